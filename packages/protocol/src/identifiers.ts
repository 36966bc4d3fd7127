/** Shared identifier rules and enumerations of TRTC's model (see docs/architecture.md). */
import { z } from 'zod';

/** Protocol version carried in every signaling message. */
export const PROTOCOL_VERSION = 1;

/** userId: 1–32 bytes of `[a-zA-Z0-9_-]` (TRTC's rule). */
export const userIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'userId must be 1-32 characters of [a-zA-Z0-9_-]');
/** Numeric room: 1..4294967294. */
export const roomIdSchema = z.number().int().min(1).max(4294967294);
/** String room: 1–64 characters of letters, digits, space and TRTC's allowed punctuation. */
export const strRoomIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]+$/, 'strRoomId has a character TRTC does not allow');
export const sdkAppIdSchema = z.number().int().min(1).max(4294967295);

/** `anchor` may publish; `audience` only receives. */
export const roleSchema = z.enum(['anchor', 'audience']);
export type Role = z.infer<typeof roleSchema>;

/** `rtc`: calls (≤ 300 users, ≤ 50 publishers); `live`: interactive live streaming. */
export const sceneSchema = z.enum(['rtc', 'live']);
export type Scene = z.infer<typeof sceneSchema>;

/** `main` is the camera (with an optional small simulcast copy); `sub` is the screen share. */
export const streamTypeSchema = z.enum(['main', 'sub']);
export type StreamType = z.infer<typeof streamTypeSchema>;

export const mediaKindSchema = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof mediaKindSchema>;

/** Why a participant was removed (TRTC's KICKED_OUT reasons). */
export const kickReasonSchema = z.enum(['kick', 'banned', 'room_disband']);
export type KickReason = z.infer<typeof kickReasonSchema>;

/** Why a participant left, as reported to the others. */
export const leaveReasonSchema = z.enum(['left', 'timeout', 'kicked', 'removed', 'disbanded']);
export type LeaveReason = z.infer<typeof leaveReasonSchema>;
