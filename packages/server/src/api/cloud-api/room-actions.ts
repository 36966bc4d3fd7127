/**
 * Room management actions: DismissRoom(ByStrRoomId) and RemoveUser(ByStrRoomId), on whichever node serves the
 * room (the {@link RoomManagement} forwards in a cluster).
 */
import { z } from 'zod';
import { ConclaveError, roomIdSchema, strRoomIdSchema, userIdSchema } from '@conclave/protocol';
import type { RoomManagement, RoomKey } from '../../rooms/index.ts';
import { defineAction, sdkAppIdParam, type CloudAction } from './action.ts';

const userIds = z.array(userIdSchema).min(1).max(10);

export function roomActions(rooms: RoomManagement): CloudAction[] {
  const dismiss = async (key: RoomKey) => {
    if (!(await rooms.dismissRoom(key))) throw new ConclaveError('ROOM_NOT_FOUND');
    return {};
  };
  const remove = async (key: RoomKey, ids: string[]) => {
    // Users not in the room are ignored, as TRTC does: removing is idempotent.
    if (!(await rooms.removeUsers(key, ids))) throw new ConclaveError('ROOM_NOT_FOUND');
    return {};
  };
  return [
    defineAction('DismissRoom', z.object({ SdkAppId: sdkAppIdParam, RoomId: roomIdSchema }).strict(), (p) =>
      dismiss({ sdkAppId: p.SdkAppId, roomId: p.RoomId }),
    ),
    defineAction(
      'DismissRoomByStrRoomId',
      z.object({ SdkAppId: sdkAppIdParam, RoomId: strRoomIdSchema }).strict(),
      (p) => dismiss({ sdkAppId: p.SdkAppId, strRoomId: p.RoomId }),
    ),
    defineAction(
      'RemoveUser',
      z.object({ SdkAppId: sdkAppIdParam, RoomId: roomIdSchema, UserIds: userIds }).strict(),
      (p) => remove({ sdkAppId: p.SdkAppId, roomId: p.RoomId }, p.UserIds),
    ),
    defineAction(
      'RemoveUserByStrRoomId',
      z.object({ SdkAppId: sdkAppIdParam, RoomId: strRoomIdSchema, UserIds: userIds }).strict(),
      (p) => remove({ sdkAppId: p.SdkAppId, strRoomId: p.RoomId }, p.UserIds),
    ),
  ];
}
