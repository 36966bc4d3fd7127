/** TRTC's call id: `{SdkAppId}_{RoomId}_{CreateTime}` with CreateTime in Unix seconds. */
import { ConclaveError } from '@conclave/protocol';

/** The parts of a CommId. `roomId` is the numeric room id or the strRoomId, as a string. */
export interface CommIdParts {
  sdkAppId: number;
  roomId: string;
  createTime: number;
}

/** Builds a CommId from a room's app, id and creation time (ms; TRTC uses seconds). */
export function makeCommId(sdkAppId: number, roomId: string | number, createdAtMs: number): string {
  return `${sdkAppId}_${roomId}_${Math.floor(createdAtMs / 1000)}`;
}

// A strRoomId may itself contain '_', so the app id is everything before the first '_' and the time everything
// after the last one.
const COMM_ID = /^([0-9]{1,10})_(.{1,64})_([0-9]{1,12})$/s;

/** Parses a CommId; malformed → COMM_ID_INVALID. */
export function parseCommId(commId: string): CommIdParts {
  const m = commId.length <= 96 ? COMM_ID.exec(commId) : null;
  if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) {
    throw new ConclaveError('COMM_ID_INVALID', undefined, { details: { commId: commId.slice(0, 96) } });
  }
  return { sdkAppId: Number(m[1]), roomId: m[2], createTime: Number(m[3]) };
}
