/**
 * `switchRoom`: the credentials of the next room, derived from the current stay's. The SDK leaves the room and
 * enters the new one with the same user, role, scene, receive flags and E2EE settings; local capture keeps
 * running and is published again. A PrivateMapKey and a room password belong to one room, so the old ones are
 * never carried over (the user's display name is).
 */
import { roomIdSchema, strRoomIdSchema } from '@conclave/protocol';
import { RtcError } from './errors.ts';
import type { RoomCredentials } from './params.ts';

/** `switchRoom`'s options (TRTC Web SDK v5): the target room, and optionally a new UserSig and PrivateMapKey. */
export interface SwitchRoomOptions {
  roomId?: number;
  strRoomId?: string;
  /** Defaults to the current UserSig (which TRTC does not bind to a room). */
  userSig?: string;
  /** The target room's PrivateMapKey, when the app enforces advanced permission control. */
  privateMapKey?: string;
}

const fn = 'switchRoom';

/** Validates `switchRoom`'s options against the current credentials; throws 5000 naming the bad field. */
export function parseSwitchRoomOptions(
  current: RoomCredentials,
  options: SwitchRoomOptions | undefined,
): RoomCredentials {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw RtcError.invalidParameter(fn, 'switchRoom needs { roomId } or { strRoomId }');
  const hasRoomId = options.roomId !== undefined && options.roomId !== null;
  const hasStrRoomId = options.strRoomId !== undefined && options.strRoomId !== null;
  if (hasRoomId === hasStrRoomId) throw RtcError.invalidParameter(fn, 'pass exactly one of roomId and strRoomId');
  let room: RoomCredentials['room'];
  if (hasRoomId) {
    if (!roomIdSchema.safeParse(options.roomId).success)
      throw RtcError.invalidParameter(fn, 'roomId must be an integer 1..4294967294');
    room = { roomId: options.roomId as number };
  } else {
    if (!strRoomIdSchema.safeParse(options.strRoomId).success)
      throw RtcError.invalidParameter(
        fn,
        'strRoomId must be 1-64 characters of letters, digits, space and TRTC punctuation',
      );
    room = { strRoomId: options.strRoomId as string };
  }
  if (sameRoom(current.room, room)) throw RtcError.invalidOperation(fn, 'already in this room');
  const { userSig, privateMapKey } = options;
  if (userSig !== undefined && (typeof userSig !== 'string' || userSig.length === 0 || userSig.length > 4096))
    throw RtcError.invalidParameter(fn, 'userSig must be a non-empty string');
  if (
    privateMapKey !== undefined &&
    (typeof privateMapKey !== 'string' || privateMapKey.length === 0 || privateMapKey.length > 4096)
  )
    throw RtcError.invalidParameter(fn, 'privateMapKey must be a non-empty string');
  return { ...current, room, userSig: userSig ?? current.userSig, privateMapKey, roomPassword: undefined };
}

function sameRoom(a: RoomCredentials['room'], b: RoomCredentials['room']): boolean {
  if ('roomId' in a && 'roomId' in b) return a.roomId === b.roomId;
  if ('strRoomId' in a && 'strRoomId' in b) return a.strRoomId === b.strRoomId;
  return false;
}
