/**
 * The SDK's call-quality sample, sent every 2 seconds (TRTC's quality data: audio/video on/off, mute,
 * CPU and memory where the browser gives them, RTT, loss, resolution, bitrate, frame rate, volume).
 */
import { z } from 'zod';

const ratio = z.number().min(0).max(1);
const nonNeg = (max: number) => z.number().min(0).max(max);

const direction = z
  .object({
    bitrateKbps: nonNeg(1_000_000).optional(),
    packetLoss: ratio.optional(),
    frameRate: nonNeg(1000).optional(),
    width: z.number().int().min(0).max(16384).optional(),
    height: z.number().int().min(0).max(16384).optional(),
    volume: ratio.optional(),
  })
  .strict();

export const qualitySampleSchema = z
  .object({
    /** Client clock, Unix ms, when the sample was taken. */
    ts: z.number().int().min(0).max(8.64e15),
    audioEnabled: z.boolean(),
    videoEnabled: z.boolean(),
    audioMuted: z.boolean(),
    videoMuted: z.boolean(),
    rttMs: nonNeg(60_000).optional(),
    appCpu: ratio.optional(),
    sysCpu: ratio.optional(),
    memoryMb: nonNeg(1_000_000).optional(),
    audioUp: direction.optional(),
    videoUp: direction.optional(),
    audioDown: direction.optional(),
    videoDown: direction.optional(),
  })
  .strict();

export type QualitySample = z.infer<typeof qualitySampleSchema>;
