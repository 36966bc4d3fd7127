/**
 * TRTC's mixed-recording parameters (CreateCloudRecording's `MixLayoutParams` and `MixTranscodeParams`,
 * ModifyCloudRecording's `MixLayoutParams`), validated at the boundary and resolved to defaults. Field names,
 * ranges and defaults follow TRTC's API; fields Conclave does not render (images, watermarks, Alpha) are accepted
 * and ignored so a TRTC request never fails on them.
 */
import { z } from 'zod';

const userId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
const mediaId = z.union([z.literal(0), z.literal(1)]);
/** 0 stretch, 1 crop (default), 2 fit with background bars, 3 smart crop (rendered as crop). */
const renderMode = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]);
const coordinate = z.number().int().min(0).max(1920);
const imageUrl = z.string().max(2048);

/** One tile of a custom layout (TRTC `MixLayout`). */
export const mixLayoutSchema = z
  .object({
    Top: coordinate,
    Left: coordinate,
    Width: coordinate,
    Height: coordinate,
    /** The user shown here; without it, tiles take users in the order they joined. */
    UserId: userId.optional(),
    Alpha: z.number().int().min(0).max(255).optional(),
    RenderMode: renderMode.optional(),
    MediaId: mediaId.optional(),
    /** Stacking order: a smaller value is further back. */
    ImageLayer: z.number().int().min(0).max(255).optional(),
    SubBackgroundImage: imageUrl.optional(),
  })
  .strict();

export const mixLayoutParamsSchema = z
  .object({
    /** 1 float, 2 screen share, 3 grid (nine-square), 4 custom. */
    MixLayoutMode: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
    MixLayoutList: z.array(mixLayoutSchema).max(25).optional(),
    /** `#RRGGBB`, black by default. */
    BackGroundColor: z
      .string()
      .regex(/^#[0-9A-Fa-f]{6}$/)
      .optional(),
    /** Modes 1 and 2: the user in the large picture (mode 1 default: the first to join). */
    MaxResolutionUserId: userId.optional(),
    /** The large picture's stream: 0 main (default), 1 sub (screen share). */
    MediaId: mediaId.optional(),
    /** Mode 2: 1 puts the large picture on the right. */
    MaxResolutionUserAlign: z.union([z.literal(0), z.literal(1)]).optional(),
    /** Template modes: how a picture fills its tile (custom tiles carry their own). */
    RenderMode: renderMode.optional(),
    /** Template modes: true keeps users who send no video out of the layout (their audio is still mixed). */
    PureAudioDisableLayout: z.boolean().optional(),
    BackgroundImageUrl: imageUrl.optional(),
    BackgroundImageRenderMode: renderMode.optional(),
    DefaultSubBackgroundImage: imageUrl.optional(),
    PlaceHolderMode: z.union([z.literal(0), z.literal(1)]).optional(),
    WaterMarkList: z.array(z.unknown()).max(25).optional(),
  })
  .strict()
  .refine((p) => p.MixLayoutMode !== 4 || (p.MixLayoutList?.length ?? 0) > 0, {
    message: 'MixLayoutMode 4 (custom) needs MixLayoutList',
  });

const videoParamsSchema = z
  .object({
    /** Pixels, default 360; at most 1920 and Width × Height ≤ 1920 × 1080. */
    Width: z.number().int().min(16).max(1920),
    Height: z.number().int().min(16).max(1920),
    /** 1..60, default 15. */
    Fps: z.number().int().min(1).max(60),
    /** bps, 64000..8192000, default 550000. */
    BitRate: z.number().int().min(64_000).max(8_192_000),
    /** Seconds between keyframes, default 10. */
    Gop: z.number().int().min(1).max(60),
  })
  .strict()
  .refine((v) => v.Width * v.Height <= 1920 * 1080, { message: 'Width × Height must not exceed 1920 × 1080' });

const audioParamsSchema = z
  .object({
    /** 1: 48000 Hz (default), 2: 44100 Hz, 3: 16000 Hz. */
    SampleRate: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    /** 1 mono, 2 stereo (default). */
    Channel: z.union([z.literal(1), z.literal(2)]),
    /** bps, 32000..128000, default 64000. */
    BitRate: z.number().int().min(32_000).max(128_000),
  })
  .strict();

export const mixTranscodeParamsSchema = z
  .object({ VideoParams: videoParamsSchema.optional(), AudioParams: audioParamsSchema.optional() })
  .strict();

export type MixLayoutParams = z.input<typeof mixLayoutParamsSchema>;
export type MixTranscodeParams = z.input<typeof mixTranscodeParamsSchema>;
export type MixLayoutTile = z.output<typeof mixLayoutSchema>;
export type MixLayout = z.output<typeof mixLayoutParamsSchema>;

/** What the encoder of a mixed file uses. */
export interface MixOutputFormat {
  width: number;
  height: number;
  fps: number;
  videoBitrate: number;
  gopSeconds: number;
  /** Opus has no 44.1 kHz: TRTC's 44100 is encoded at 48000. */
  sampleRate: 48000 | 16000;
  channels: 1 | 2;
  audioBitrate: number;
}

/** TRTC's default layout when a mixed task names none: the grid. */
export const DEFAULT_MIX_LAYOUT: MixLayout = { MixLayoutMode: 3 };

export function parseMixLayout(params: MixLayoutParams | undefined): MixLayout {
  return params === undefined ? DEFAULT_MIX_LAYOUT : mixLayoutParamsSchema.parse(params);
}

export function mixOutputFormat(params: MixTranscodeParams | undefined): MixOutputFormat {
  const p = mixTranscodeParamsSchema.parse(params ?? {});
  const v = p.VideoParams ?? { Width: 360, Height: 640, Fps: 15, BitRate: 550_000, Gop: 10 };
  const a = p.AudioParams ?? { SampleRate: 1, Channel: 2, BitRate: 64_000 };
  return {
    // VP8 in 4:2:0 wants even sizes.
    width: v.Width & ~1,
    height: v.Height & ~1,
    fps: v.Fps,
    videoBitrate: v.BitRate,
    gopSeconds: v.Gop,
    sampleRate: a.SampleRate === 3 ? 16000 : 48000,
    channels: a.Channel,
    audioBitrate: a.BitRate,
  };
}

/** `#RRGGBB` → ffmpeg's `0xRRGGBB` (black by default). */
export function ffmpegColor(color: string | undefined): string {
  return color ? `0x${color.slice(1).toUpperCase()}` : '0x000000';
}
