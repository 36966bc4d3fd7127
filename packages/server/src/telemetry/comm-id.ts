/**
 * TRTC's call id: `{SdkAppId}_{RoomId}_{CreateTime}` with CreateTime in Unix seconds.
 *
 * A numeric room and a string room may have the same digits (room 123 and strRoomId "123" are different rooms),
 * so a strRoomId made only of digits is written with a leading `*` — a character strRoomIds cannot contain — and
 * every other room id as it is: numeric rooms and ordinary string rooms keep TRTC's form exactly.
 */
import { ConclaveError } from '@conclave/protocol';

/** The parts of a CommId. `roomId` is the numeric room id or the strRoomId, as a string. */
export interface CommIdParts {
  sdkAppId: number;
  roomId: string;
  /** TRTC's RoomIdType: 1 numeric room, 0 string room. */
  roomIdType: 0 | 1;
  createTime: number;
}

/** Marks a digits-only strRoomId; not in the strRoomId alphabet, so no strRoomId starts with it. */
const STRING_ROOM_MARK = '*';

/**
 * Builds a CommId from a room's app, id and creation time (ms; TRTC uses seconds). A number is a numeric room id,
 * a string a strRoomId.
 */
export function makeCommId(sdkAppId: number, roomId: string | number, createdAtMs: number): string {
  const room = typeof roomId === 'string' && /^[0-9]+$/.test(roomId) ? `${STRING_ROOM_MARK}${roomId}` : roomId;
  return `${sdkAppId}_${room}_${Math.floor(createdAtMs / 1000)}`;
}

// A strRoomId may itself contain '_', so the app id is everything before the first '_' and the time everything
// after the last one.
const COMM_ID = /^([0-9]{1,10})_(.{1,65})_([0-9]{1,12})$/s;

/** Parses a CommId; malformed → COMM_ID_INVALID. */
export function parseCommId(commId: string): CommIdParts {
  const m = commId.length <= 97 ? COMM_ID.exec(commId) : null;
  const room = m?.[2];
  if (m === null || m[1] === undefined || room === undefined || m[3] === undefined || room === STRING_ROOM_MARK) {
    throw new ConclaveError('COMM_ID_INVALID', undefined, { details: { commId: commId.slice(0, 97) } });
  }
  const marked = room.startsWith(STRING_ROOM_MARK);
  const roomId = marked ? room.slice(STRING_ROOM_MARK.length) : room;
  if (roomId.length > 64) throw new ConclaveError('COMM_ID_INVALID', undefined, { details: { commId } });
  const roomIdType = !marked && /^[0-9]+$/.test(roomId) ? 1 : 0;
  return { sdkAppId: Number(m[1]), roomId, roomIdType, createTime: Number(m[3]) };
}
