/**
 * What to record, in TRTC's `RecordParams` shape (CreateCloudRecording), validated, and turned into the
 * recorder's internal limits. RecordMode 2 (mixed) takes its layout and encoding from the task's MixLayoutParams
 * and MixTranscodeParams (`./mix/mix-params.ts`).
 */
import { z } from 'zod';

const userIds = z.array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/)).max(100);

/** TRTC's SubscribeStreamUserIds: allow and deny lists per kind (deny wins). */
export const subscribeStreamUserIdsSchema = z
  .object({
    SubscribeAudioUserIds: userIds.optional(),
    UnSubscribeAudioUserIds: userIds.optional(),
    SubscribeVideoUserIds: userIds.optional(),
    UnSubscribeVideoUserIds: userIds.optional(),
  })
  .strict();

export type SubscribeStreamUserIds = z.infer<typeof subscribeStreamUserIdsSchema>;

export const recordParamsSchema = z
  .object({
    /** 1: one file per user (single stream); 2: one mixed file (all users in one picture, voices mixed). */
    RecordMode: z.union([z.literal(1), z.literal(2)]).default(1),
    /** Seconds without any media before the task stops itself (TRTC: 5..86400, default 30). */
    MaxIdleTime: z.number().int().min(5).max(86400).default(30),
    /** 0 audio and video, 1 audio only, 2 video only. */
    StreamType: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
    /** Minutes per file before a new one starts (TRTC: 1..1440, default 1440). */
    MaxMediaFileDuration: z.number().int().min(1).max(1440).default(1440),
    SubscribeStreamUserIds: subscribeStreamUserIdsSchema.optional(),
  })
  .strict();

export type RecordParams = z.input<typeof recordParamsSchema>;

/** The recorder's view of {@link RecordParams}. */
export interface RecordLimits {
  mode: 1 | 2;
  audio: boolean;
  video: boolean;
  maxIdleMs: number;
  maxFileMs: number;
  /** Whether `userId`'s stream of `kind` is recorded (allow list, then deny list). */
  wants(userId: string, kind: 'audio' | 'video'): boolean;
}

export function recordLimits(params: RecordParams = {}): RecordLimits {
  const p = recordParamsSchema.parse(params);
  const lists = p.SubscribeStreamUserIds ?? {};
  const allowed = (allow: string[] | undefined, deny: string[] | undefined, userId: string) =>
    (allow === undefined || allow.includes(userId)) && !(deny ?? []).includes(userId);
  return {
    mode: p.RecordMode,
    audio: p.StreamType !== 2,
    video: p.StreamType !== 1,
    maxIdleMs: p.MaxIdleTime * 1000,
    maxFileMs: p.MaxMediaFileDuration * 60_000,
    wants(userId, kind) {
      if (kind === 'audio')
        return this.audio && allowed(lists.SubscribeAudioUserIds, lists.UnSubscribeAudioUserIds, userId);
      return this.video && allowed(lists.SubscribeVideoUserIds, lists.UnSubscribeVideoUserIds, userId);
    },
  };
}
