/**
 * Schemas of what telemetry stores: quality samples, backend (room entry/exit) logs and user events.
 * They are the boundary: anything from a client or the SFU passes through one of these parsers, which bound
 * every field, reject unknown fields and fail with one clear ConclaveError, before anything is buffered.
 */
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import type { ErrorCode } from '@conclave/protocol';
import { parseCommId } from './comm-id.ts';

/** Largest JSON text accepted for one record; real samples are well under 1 KB. */
export const MAX_RECORD_BYTES = 4096;

const sdkAppId = z.number().int().min(1).max(0xffffffff);
const userId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'userId must be 1-32 of [A-Za-z0-9_-]');
const commId = z.string().max(96);
// Times are epoch ms; bounded to 2000..2100 so a seconds/ms mix-up or garbage is caught at the door.
const epochMs = z.number().int().min(946_684_800_000).max(4_102_444_800_000);
const bounded = (max: number) => z.number().finite().min(0).max(max).optional();
const shortText = (max: number) => z.string().max(max).optional();

function withMatchingApp<T extends { sdkAppId: number; commId: string }>(schema: z.ZodType<T>) {
  return schema.superRefine((value, ctx) => {
    try {
      if (parseCommId(value.commId).sdkAppId !== value.sdkAppId)
        ctx.addIssue({ code: 'custom', path: ['commId'], message: 'commId belongs to another SDKAppID' });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['commId'], message: 'commId must be {SdkAppId}_{RoomId}_{CreateTime}' });
    }
  });
}

/** One 2-second sample. SDK samples carry what the browser measures; server samples carry transport stats. */
export const QualitySampleSchema = withMatchingApp(
  z
    .object({
      sdkAppId,
      commId,
      userId,
      source: z.enum(['sdk', 'server']),
      sampledAt: epochMs,
      audioOn: z.boolean().optional(),
      videoOn: z.boolean().optional(),
      audioMuted: z.boolean().optional(),
      videoMuted: z.boolean().optional(),
      appCpu: bounded(100),
      sysCpu: bounded(100),
      memoryMb: bounded(1_048_576),
      rttMs: bounded(60_000),
      audioLoss: bounded(100),
      videoLoss: bounded(100),
      videoWidth: z.number().int().min(0).max(7680).optional(),
      videoHeight: z.number().int().min(0).max(7680).optional(),
      audioBitrateKbps: bounded(10_000),
      videoBitrateKbps: bounded(100_000),
      availableBitrateKbps: bounded(1_000_000),
      captureFps: bounded(240),
      encodeFps: bounded(240),
      decodeFps: bounded(240),
      renderFps: bounded(240),
      audioBlockMs: bounded(60_000),
      videoBlockMs: bounded(60_000),
      captureVolume: bounded(100),
      playbackVolume: bounded(100),
    })
    .strict(),
);

/** A validated quality sample (loss in percent, bitrates in kbit/s, volume 0-100). */
export type QualitySample = z.infer<typeof QualitySampleSchema>;

/** One room entry or exit (TRTC's backend log). Reason uses TRTC's exit reasons 1-5 (entry: 1 normal). */
export const BackendLogSchema = withMatchingApp(
  z
    .object({
      sdkAppId,
      commId,
      roomId: z.string().min(1).max(64),
      roomIdType: z.union([z.literal(0), z.literal(1)]),
      userId,
      action: z.enum(['enter', 'exit']),
      reason: z.number().int().min(0).max(99).optional(),
      clientIp: shortText(45),
      sdkVersion: shortText(32),
      osType: shortText(32),
      occurredAt: epochMs,
    })
    .strict(),
);

/** A validated backend log record. */
export type BackendLog = z.infer<typeof BackendLogSchema>;

/** A user event inside a call; see {@link UserEventIds}. */
export const UserEventSchema = withMatchingApp(
  z
    .object({
      sdkAppId,
      commId,
      userId,
      eventId: z.number().int().min(1).max(99_999),
      paramOne: shortText(256),
      paramTwo: shortText(256),
      occurredAt: epochMs,
    })
    .strict(),
);

/** A validated user event. */
export type UserEvent = z.infer<typeof UserEventSchema>;

/**
 * Event ids: TRTC's callback event types where one exists (room group 1xx, media group 2xx), Conclave's own
 * events from 9001 up where TRTC has no public number.
 */
export const UserEventIds = {
  ENTER_ROOM: 103,
  EXIT_ROOM: 104,
  CHANGE_ROLE: 105,
  VIDEO_START: 201,
  VIDEO_STOP: 202,
  AUDIO_START: 203,
  AUDIO_STOP: 204,
  SUB_STREAM_START: 205,
  SUB_STREAM_STOP: 206,
  SIGNALING_CONNECTED: 9001,
  MEDIA_CONNECTED: 9002,
  MEDIA_DISCONNECTED: 9003,
} as const;

function parseWith<T>(schema: z.ZodType<T>, code: ErrorCode, input: unknown): T {
  let value = input;
  if (typeof input === 'string') {
    if (Buffer.byteLength(input, 'utf8') > MAX_RECORD_BYTES)
      throw new ConclaveError(code, `Record exceeds ${MAX_RECORD_BYTES} bytes`);
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new ConclaveError(code, 'Record is not valid JSON', { cause });
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConclaveError(
      code,
      `${code === 'SAMPLE_INVALID' ? 'Invalid quality sample' : 'Invalid record'}: ${issues.join('; ')}`,
      {
        details: { issues },
      },
    );
  }
  return result.data;
}

/** Validates a quality sample (object or JSON text ≤ {@link MAX_RECORD_BYTES}); failure → SAMPLE_INVALID. */
export function parseQualitySample(input: unknown): QualitySample {
  return parseWith(QualitySampleSchema, 'SAMPLE_INVALID', input);
}

/** Validates a backend log record; failure → TELEMETRY_RECORD_INVALID. */
export function parseBackendLog(input: unknown): BackendLog {
  return parseWith(BackendLogSchema, 'TELEMETRY_RECORD_INVALID', input);
}

/** Validates a user event; failure → TELEMETRY_RECORD_INVALID. */
export function parseUserEvent(input: unknown): UserEvent {
  return parseWith(UserEventSchema, 'TELEMETRY_RECORD_INVALID', input);
}
