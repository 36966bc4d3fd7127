/**
 * Validation of the identifiers that name apps, users and rooms (trtc.md §3). Each validator takes an
 * untrusted value, returns it typed when valid and throws a {@link ConclaveError} with an INVALID_* code
 * otherwise, so it can sit directly at a boundary.
 */
import { ConclaveError } from '@conclave/protocol';

/** A room: TRTC numeric rooms and string rooms are distinct namespaces (123 ≠ "123"). */
export type RoomRef = { readonly roomId: number } | { readonly strRoomId: string };

/** Largest numeric roomId TRTC accepts (2^32 - 2; 2^32 - 1 is reserved). */
export const MAX_ROOM_ID = 4_294_967_294;
/** Largest SDKAppID: it travels as a u32 in the PrivateMapKey record. */
export const MAX_SDK_APP_ID = 4_294_967_295;

const USER_ID = /^[A-Za-z0-9_-]{1,32}$/;
// TRTC's documented strRoomId charset (89 characters): letters, digits, space and !#$%&()+-:;<=.>?@[]^_{}|~,
// All of it is ASCII, so 64 characters are 64 bytes.
const STR_ROOM_ID = /^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]{1,64}$/;

/** A userId: 1–32 bytes of `[a-zA-Z0-9_-]`. Throws INVALID_USER_ID. */
export function validateUserId(value: unknown): string {
  if (typeof value !== 'string' || !USER_ID.test(value)) throw new ConclaveError('INVALID_USER_ID');
  return value;
}

/** A numeric roomId: an integer 1..4294967294. Throws INVALID_ROOM_ID. */
export function validateRoomId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_ROOM_ID) {
    throw new ConclaveError('INVALID_ROOM_ID');
  }
  return value;
}

/**
 * A string roomId: 1–64 characters from TRTC's documented set — letters, digits, space and
 * `!#$%&()+-:;<=.>?@[]^_{}|~,`. Throws INVALID_ROOM_ID.
 */
export function validateStrRoomId(value: unknown): string {
  if (typeof value !== 'string' || !STR_ROOM_ID.test(value)) throw new ConclaveError('INVALID_ROOM_ID');
  return value;
}

/** A room reference with exactly one of `roomId` / `strRoomId`, each valid. Throws INVALID_ROOM_ID. */
export function validateRoom(value: unknown): RoomRef {
  if (typeof value !== 'object' || value === null) throw new ConclaveError('INVALID_ROOM_ID');
  const hasNumeric = Object.hasOwn(value, 'roomId');
  const hasString = Object.hasOwn(value, 'strRoomId');
  if (hasNumeric === hasString) throw new ConclaveError('INVALID_ROOM_ID', 'Give exactly one of roomId and strRoomId');
  return hasNumeric
    ? { roomId: validateRoomId((value as { roomId: unknown }).roomId) }
    : { strRoomId: validateStrRoomId((value as { strRoomId: unknown }).strRoomId) };
}

/** An SDKAppID: an integer 1..2^32-1. Throws INVALID_SDK_APP_ID. */
export function validateSdkAppId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_SDK_APP_ID) {
    throw new ConclaveError('INVALID_SDK_APP_ID');
  }
  return value;
}

/** True when both references name the same room (numeric and string rooms never match each other). */
export function sameRoom(a: RoomRef, b: RoomRef): boolean {
  if ('roomId' in a) return 'roomId' in b && a.roomId === b.roomId;
  return 'strRoomId' in b && a.strRoomId === b.strRoomId;
}
