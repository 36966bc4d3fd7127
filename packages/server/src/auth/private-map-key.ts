/**
 * PrivateMapKey: a UserSig whose userbuf is a binary privilege record binding a user to one room with a
 * privilege bit map (trtc.md §2). The record is big-endian:
 * `u8 ver · u16 userIdLen · userId · u32 sdkAppId · u32 roomId · u32 expiresAt · u32 privileges ·
 * u32 accountType · [u16 strRoomIdLen · strRoomId]` — ver 0 for numeric rooms, ver 1 (with the string part
 * and roomId 0) for string rooms.
 */
import { ConclaveError } from '@conclave/protocol';
import { type RoomRef, sameRoom, validateRoom, validateSdkAppId, validateUserId } from './identifiers.ts';
import { type VerifiedUserSig, generateUserSig, validateExpireSeconds, verifyUserSig } from './user-sig.ts';

/** Privilege bits of a PrivateMapKey. */
export const PrivilegeBits = {
  CreateRoom: 1,
  EnterRoom: 2,
  SendAudio: 4,
  ReceiveAudio: 8,
  SendVideo: 16,
  ReceiveVideo: 32,
  SendSubStream: 64,
  ReceiveSubStream: 128,
  /** TRTC's eight bits together. */
  All: 255,
  /**
   * Conclave's extension above TRTC's eight bits: the holder may enter as a recording participant (`join`
   * with `recording: true`), shown to everyone as recording. TRTC never sets it; a TRTC key stays valid.
   */
  Record: 256,
} as const;

/** Every bit that has a meaning here (TRTC's eight and {@link PrivilegeBits.Record}). */
export const KNOWN_PRIVILEGE_BITS = 511;

/** One of {@link PrivilegeBits}' values. */
export type PrivilegeBit = (typeof PrivilegeBits)[keyof typeof PrivilegeBits];

/** The decoded userbuf of a PrivateMapKey. */
export interface PrivateMapKeyRecord {
  userId: string;
  sdkAppId: number;
  room: RoomRef;
  /** Absolute expiry, seconds since the epoch (u32). */
  expiresAtSeconds: number;
  /** Privilege bit map (u32 on the wire; only the low 9 bits have a meaning). */
  privileges: number;
  /** Tencent always writes 0; kept as read, never interpreted. */
  accountType: number;
}

/** Input of {@link generatePrivateMapKey}. */
export interface GeneratePrivateMapKeyOptions {
  sdkAppId: number;
  userId: string;
  secretKey: string;
  /** Lifetime in seconds, both of the token and of the privileges (Tencent suggests 300). */
  expireSeconds: number;
  room: RoomRef;
  /** A combination of {@link PrivilegeBits}, 0..511. */
  privileges: number;
  /** ms since the epoch; defaults to `Date.now()`. */
  now?: number;
}

/** Input of {@link verifyPrivateMapKey}. */
export interface VerifyPrivateMapKeyOptions {
  sdkAppId: number;
  userId: string;
  secretKey: string;
  /** The room the client is entering (or switching role in). */
  room: RoomRef;
  /** ms since the epoch; defaults to `Date.now()`. */
  now?: number;
}

/** What a valid PrivateMapKey grants. */
export interface VerifiedPrivateMapKey {
  /** The granted bits, limited to {@link KNOWN_PRIVILEGE_BITS}. */
  privileges: number;
  /** The earlier of the token's and the record's expiry, ms since the epoch. */
  expiresAt: number;
  room: RoomRef;
}

const FIXED_BYTES = 1 + 2 + 5 * 4; // ver, userIdLen, five u32 fields
const MAX_U32 = 0xffff_ffff;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Encodes a privilege record. Throws INVALID_* when a field does not fit the format. */
export function encodePrivateMapKeyRecord(record: PrivateMapKeyRecord): Uint8Array {
  const userId = Buffer.from(validateUserId(record.userId), 'utf8');
  const room = validateRoom(record.room);
  const strRoomId = 'strRoomId' in room ? Buffer.from(room.strRoomId, 'utf8') : undefined;
  if (!isU32(record.expiresAtSeconds)) throw new ConclaveError('INVALID_EXPIRE');
  if (!isU32(record.privileges)) throw new ConclaveError('INVALID_PRIVILEGES');
  if (!isU32(record.accountType)) throw new ConclaveError('PRIVATE_MAP_KEY_MALFORMED', 'accountType must be a u32');

  const bytes = Buffer.alloc(FIXED_BYTES + userId.length + (strRoomId === undefined ? 0 : 2 + strRoomId.length));
  let offset = bytes.writeUInt8(strRoomId === undefined ? 0 : 1, 0);
  offset = bytes.writeUInt16BE(userId.length, offset);
  offset += userId.copy(bytes, offset);
  offset = bytes.writeUInt32BE(validateSdkAppId(record.sdkAppId), offset);
  offset = bytes.writeUInt32BE('roomId' in room ? room.roomId : 0, offset);
  offset = bytes.writeUInt32BE(record.expiresAtSeconds, offset);
  offset = bytes.writeUInt32BE(record.privileges, offset);
  offset = bytes.writeUInt32BE(record.accountType, offset);
  if (strRoomId !== undefined) {
    offset = bytes.writeUInt16BE(strRoomId.length, offset);
    strRoomId.copy(bytes, offset);
  }
  return new Uint8Array(bytes);
}

/**
 * Decodes a privilege record. Throws PRIVATE_MAP_KEY_MALFORMED when the bytes are not exactly one record:
 * unknown version, short, trailing bytes, empty or non-UTF-8 strings, a numeric roomId in a string-room record.
 */
export function decodePrivateMapKeyRecord(bytes: Uint8Array): PrivateMapKeyRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < FIXED_BYTES) throw recordMalformed('short record');
  const ver = view.getUint8(0);
  if (ver !== 0 && ver !== 1) throw recordMalformed('unknown version');
  const userIdLength = view.getUint16(1);
  let offset = 3;
  if (userIdLength === 0) throw recordMalformed('empty userId');
  if (bytes.length < FIXED_BYTES + userIdLength) throw recordMalformed('short record');
  const userId = decodeText(bytes.subarray(offset, offset + userIdLength));
  offset += userIdLength;
  const sdkAppId = view.getUint32(offset);
  const roomId = view.getUint32(offset + 4);
  const expiresAtSeconds = view.getUint32(offset + 8);
  const privileges = view.getUint32(offset + 12);
  const accountType = view.getUint32(offset + 16);
  offset += 20;

  let room: RoomRef;
  if (ver === 0) {
    room = { roomId };
  } else {
    if (roomId !== 0) throw recordMalformed('numeric roomId in a string-room record');
    if (bytes.length < offset + 2) throw recordMalformed('short record');
    const strRoomIdLength = view.getUint16(offset);
    offset += 2;
    if (strRoomIdLength === 0) throw recordMalformed('empty strRoomId');
    if (bytes.length < offset + strRoomIdLength) throw recordMalformed('short record');
    room = { strRoomId: decodeText(bytes.subarray(offset, offset + strRoomIdLength)) };
    offset += strRoomIdLength;
  }
  if (offset !== bytes.length) throw recordMalformed('trailing bytes');
  return { userId, sdkAppId, room, expiresAtSeconds, privileges, accountType };
}

/** Issues a PrivateMapKey granting `privileges` to `userId` in `room` for `expireSeconds`. */
export function generatePrivateMapKey(options: GeneratePrivateMapKeyOptions): string {
  const { sdkAppId, userId, secretKey, room, privileges } = options;
  const now = options.now ?? Date.now();
  const expireSeconds = validateExpireSeconds(options.expireSeconds);
  if (!Number.isInteger(privileges) || privileges < 0 || privileges > KNOWN_PRIVILEGE_BITS) {
    throw new ConclaveError('INVALID_PRIVILEGES');
  }
  const expiresAtSeconds = Math.floor(now / 1000) + expireSeconds;
  const userbuf = encodePrivateMapKeyRecord({ userId, sdkAppId, room, expiresAtSeconds, privileges, accountType: 0 });
  return generateUserSig({ sdkAppId, userId, secretKey, expireSeconds, userbuf, now });
}

/**
 * Verifies a PrivateMapKey for the claimed app, user and room. The envelope is verified as a UserSig that
 * must carry a userbuf (USERSIG_* codes, except that an expired envelope is PRIVATE_MAP_KEY_EXPIRED); then
 * the record: malformed → PRIVATE_MAP_KEY_MALFORMED, other app → USERSIG_APP_MISMATCH, other user →
 * USERSIG_USER_MISMATCH, other room → PRIVATE_MAP_KEY_ROOM_MISMATCH, `floor(now/1000) > expiry` →
 * PRIVATE_MAP_KEY_EXPIRED.
 */
export function verifyPrivateMapKey(token: string, options: VerifyPrivateMapKeyOptions): VerifiedPrivateMapKey {
  const { sdkAppId, userId, room } = options;
  const now = options.now ?? Date.now();
  let envelope: VerifiedUserSig;
  try {
    envelope = verifyUserSig(token, { sdkAppId, userId, secretKey: options.secretKey, now, expectUserbuf: true });
  } catch (error) {
    // Envelope and record carry the same expiry; the caller should hear that the key expired.
    if (error instanceof ConclaveError && error.code === 'USERSIG_EXPIRED') {
      throw new ConclaveError('PRIVATE_MAP_KEY_EXPIRED', undefined, { cause: error, details: error.details });
    }
    throw error;
  }
  if (envelope.userbuf === undefined) throw new ConclaveError('USERSIG_USERBUF_MISMATCH'); // unreachable: required above

  const record = decodePrivateMapKeyRecord(envelope.userbuf);
  if (record.sdkAppId !== sdkAppId) {
    throw new ConclaveError('USERSIG_APP_MISMATCH', 'The PrivateMapKey record names another SDKAppID');
  }
  if (record.userId !== userId) {
    throw new ConclaveError('USERSIG_USER_MISMATCH', 'The PrivateMapKey record names another userId');
  }
  if (!sameRoom(record.room, room)) throw new ConclaveError('PRIVATE_MAP_KEY_ROOM_MISMATCH');
  if (Math.floor(now / 1000) > record.expiresAtSeconds) {
    throw new ConclaveError('PRIVATE_MAP_KEY_EXPIRED', undefined, {
      details: { expiresAt: record.expiresAtSeconds * 1000 },
    });
  }
  return {
    privileges: record.privileges & KNOWN_PRIVILEGE_BITS,
    expiresAt: Math.min(envelope.expiresAt, record.expiresAtSeconds * 1000),
    room: record.room,
  };
}

/** Throws PRIVILEGE_MISSING (details `{ required }`) unless `privileges` holds every bit of `required`. */
export function requirePrivilege(privileges: number, required: PrivilegeBit): void {
  if ((privileges & required) !== required) {
    throw new ConclaveError('PRIVILEGE_MISSING', undefined, { details: { required } });
  }
}

function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw recordMalformed('text is not UTF-8');
  }
}

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_U32;
}

function recordMalformed(reason: string): ConclaveError {
  return new ConclaveError('PRIVATE_MAP_KEY_MALFORMED', `The PrivateMapKey record is malformed: ${reason}`);
}
