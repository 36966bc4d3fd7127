/** GET /console/api/apps/:sdkAppId/realtime — the app's live rooms on this node and who is in them. */
import type { RoomDirectory } from '../../rooms/room-directory.ts';
import { makeCommId } from '../../telemetry/comm-id.ts';

/** One live room. */
export interface LiveRoom {
  roomId: string;
  commId: string;
  users: string[];
  since: number;
}

export function liveRooms(rooms: RoomDirectory, sdkAppId: number): LiveRoom[] {
  return rooms
    .rooms()
    .filter((room) => room.key.sdkAppId === sdkAppId && !room.closed)
    .map((room) => {
      const roomId = 'roomId' in room.key ? room.key.roomId : room.key.strRoomId;
      return {
        roomId: String(roomId),
        commId: makeCommId(sdkAppId, roomId, room.createdAt),
        users: room.participants().map((p) => p.userId),
        since: room.createdAt,
      };
    })
    .sort((a, b) => b.since - a.since);
}
