/**
 * Client-side validation of the public API's parameters with the protocol's own identifier schemas, so a bad
 * argument fails at once with 5000 INVALID_PARAMETER instead of a round trip.
 */
import {
  roomIdSchema,
  roomPasswordSchema,
  sdkAppIdSchema,
  strRoomIdSchema,
  userIdSchema,
  userNameSchema,
} from '@conclave/protocol';
import { RtcError } from './errors.ts';
import type { CustomMessage, E2eeOptions, EnterRoomOptions, ViewTarget } from './options.ts';
import type { TRTCRole, TRTCScene, TRTCStreamType } from './constants.ts';

/** A validated `enterRoom` configuration. */
export interface RoomCredentials {
  sdkAppId: number;
  userId: string;
  userSig: string;
  room: { roomId: number } | { strRoomId: string };
  role: TRTCRole;
  scene: TRTCScene;
  privateMapKey: string | undefined;
  autoReceiveAudio: boolean;
  autoReceiveVideo: boolean;
  /** End-to-end encryption, when asked for. */
  e2ee: E2eeOptions | undefined;
  requireE2ee: boolean;
  userName: string | undefined;
  roomPassword: string | undefined;
}

/** Longest shared E2EE secret accepted (a passphrase or a base64 key). */
export const MAX_E2EE_SECRET_LENGTH = 1024;

/** Validates a shared E2EE secret (enterRoom, setE2eeSecret). */
export function parseE2eeSecret(fn: string, secret: unknown): string {
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_E2EE_SECRET_LENGTH)
    throw RtcError.invalidParameter(fn, `the E2EE secret must be a string of 1-${MAX_E2EE_SECRET_LENGTH} characters`);
  return secret;
}

function parseE2ee(fn: string, e2ee: unknown): E2eeOptions | undefined {
  if (e2ee === undefined) return undefined;
  if (!isObject(e2ee))
    throw RtcError.invalidParameter(fn, "e2ee must be { mode: 'shared', secret } or { mode: 'managed' }");
  if (e2ee['mode'] === 'managed') {
    const verifyPeerKey = e2ee['verifyPeerKey'];
    if (verifyPeerKey === undefined) return { mode: 'managed' };
    if (typeof verifyPeerKey !== 'function')
      throw RtcError.invalidParameter(fn, 'e2ee.verifyPeerKey must be a function');
    return { mode: 'managed', verifyPeerKey: verifyPeerKey as (userId: string, publicKey: string) => boolean };
  }
  if (e2ee['mode'] === 'shared') return { mode: 'shared', secret: parseE2eeSecret(fn, e2ee['secret']) };
  throw RtcError.invalidParameter(fn, "e2ee.mode must be 'shared' or 'managed'");
}

/** Largest custom message payload, bytes. */
export const MAX_CUSTOM_MESSAGE_BYTES = 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates `enterRoom`'s options; throws 5000 naming the first bad field. */
export function parseEnterRoomOptions(options: EnterRoomOptions | undefined): RoomCredentials {
  const fn = 'enterRoom';
  if (!isObject(options)) throw RtcError.invalidParameter(fn, 'enterRoom needs an options object');
  const o = options as EnterRoomOptions;
  if (!sdkAppIdSchema.safeParse(o.sdkAppId).success)
    throw RtcError.invalidParameter(fn, 'sdkAppId must be a positive 32-bit integer');
  if (!userIdSchema.safeParse(o.userId).success)
    throw RtcError.invalidParameter(fn, 'userId must be 1-32 characters of [a-zA-Z0-9_-]');
  if (typeof o.userSig !== 'string' || o.userSig.length === 0 || o.userSig.length > 4096) {
    throw RtcError.invalidParameter(fn, 'userSig must be a non-empty string');
  }
  let room: RoomCredentials['room'];
  if (o.roomId !== undefined && o.roomId !== null) {
    if (!roomIdSchema.safeParse(o.roomId).success)
      throw RtcError.invalidParameter(fn, 'roomId must be an integer 1..4294967294');
    room = { roomId: o.roomId };
  } else if (o.strRoomId !== undefined && o.strRoomId !== null) {
    if (!strRoomIdSchema.safeParse(o.strRoomId).success) {
      throw RtcError.invalidParameter(
        fn,
        'strRoomId must be 1-64 characters of letters, digits, space and TRTC punctuation',
      );
    }
    room = { strRoomId: o.strRoomId };
  } else {
    throw RtcError.invalidParameter(fn, 'roomId or strRoomId is required');
  }
  const role = o.role ?? 'anchor';
  if (role !== 'anchor' && role !== 'audience')
    throw RtcError.invalidParameter(fn, "role must be 'anchor' or 'audience'");
  const scene = o.scene ?? 'rtc';
  if (scene !== 'rtc' && scene !== 'live') throw RtcError.invalidParameter(fn, "scene must be 'rtc' or 'live'");
  if (
    o.privateMapKey !== undefined &&
    (typeof o.privateMapKey !== 'string' || o.privateMapKey.length === 0 || o.privateMapKey.length > 4096)
  ) {
    throw RtcError.invalidParameter(fn, 'privateMapKey must be a non-empty string');
  }
  for (const flag of ['autoReceiveAudio', 'autoReceiveVideo'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean')
      throw RtcError.invalidParameter(fn, `${flag} must be a boolean`);
  }
  const e2ee = parseE2ee(fn, o.e2ee);
  if (o.requireE2ee !== undefined && typeof o.requireE2ee !== 'boolean')
    throw RtcError.invalidParameter(fn, 'requireE2ee must be a boolean');
  if (o.requireE2ee && !e2ee) throw RtcError.invalidParameter(fn, 'requireE2ee needs e2ee');
  if (o.userName !== undefined && !userNameSchema.safeParse(o.userName).success)
    throw RtcError.invalidParameter(fn, 'userName must be 1-64 characters without control characters');
  if (o.roomPassword !== undefined && !roomPasswordSchema.safeParse(o.roomPassword).success)
    throw RtcError.invalidParameter(fn, 'roomPassword must be 1-64 characters');
  return {
    sdkAppId: o.sdkAppId,
    userId: o.userId,
    userSig: o.userSig,
    room,
    role,
    scene,
    privateMapKey: o.privateMapKey,
    autoReceiveAudio: o.autoReceiveAudio ?? true,
    autoReceiveVideo: o.autoReceiveVideo ?? false,
    e2ee,
    requireE2ee: o.requireE2ee ?? false,
    userName: o.userName,
    roomPassword: o.roomPassword,
  };
}

/** Validates a role argument. */
export function parseRole(fn: string, role: unknown): TRTCRole {
  if (role !== 'anchor' && role !== 'audience')
    throw RtcError.invalidParameter(fn, "role must be 'anchor' or 'audience'");
  return role;
}

/** Validates a remote userId. */
export function parseUserId(fn: string, userId: unknown): string {
  if (!userIdSchema.safeParse(userId).success)
    throw RtcError.invalidParameter(fn, 'userId must be 1-32 characters of [a-zA-Z0-9_-]');
  return userId as string;
}

/** Validates a streamType. */
export function parseStreamType(fn: string, streamType: unknown): TRTCStreamType {
  if (streamType !== 'main' && streamType !== 'sub')
    throw RtcError.invalidParameter(fn, "streamType must be 'main' or 'sub'");
  return streamType;
}

/** Validates a custom message: cmdId 1..10, an ArrayBuffer of at most 1 KB. */
export function parseCustomMessage(message: CustomMessage | undefined): { cmdId: number; bytes: Uint8Array } {
  const fn = 'sendCustomMessage';
  if (!isObject(message)) throw RtcError.invalidParameter(fn, 'sendCustomMessage needs {cmdId, data}');
  const { cmdId, data } = message as { cmdId: unknown; data: unknown };
  if (typeof cmdId !== 'number' || !Number.isInteger(cmdId) || cmdId < 1 || cmdId > 10)
    throw RtcError.invalidParameter(fn, 'cmdId must be an integer 1..10');
  const view =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : undefined;
  if (!view) throw RtcError.invalidParameter(fn, 'data must be an ArrayBuffer');
  if (view.byteLength > MAX_CUSTOM_MESSAGE_BYTES)
    throw RtcError.invalidParameter(fn, `data must be at most ${MAX_CUSTOM_MESSAGE_BYTES} bytes`);
  return { cmdId, bytes: view };
}

/** Validates a 0..100 volume. */
export function parseVolume(fn: string, volume: unknown): number {
  if (typeof volume !== 'number' || !Number.isFinite(volume) || volume < 0 || volume > 100) {
    throw RtcError.invalidParameter(fn, 'volume must be a number 0..100');
  }
  return volume;
}

/** Resolves a `view` (element id or element); `null` when none is given; 5000 when an id matches nothing. */
export function resolveView(fn: string, view: ViewTarget | undefined): HTMLElement | null {
  if (view === undefined || view === null) return null;
  if (typeof view === 'string') {
    const el = typeof document === 'undefined' ? null : document.getElementById(view);
    if (!el) throw RtcError.invalidParameter(fn, `no element with id "${view}"`);
    return el;
  }
  if (typeof HTMLElement !== 'undefined' && view instanceof HTMLElement) return view;
  throw RtcError.invalidParameter(fn, 'view must be an element id or an HTMLElement');
}
