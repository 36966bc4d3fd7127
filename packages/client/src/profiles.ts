/** TRTC's named capture profiles for camera, screen and microphone. */

/** Camera or screen capture: size, frame rate and the encoder's bitrate ceiling. */
export interface VideoProfile {
  width: number;
  height: number;
  frameRate: number;
  /** kbps */
  bitrate: number;
}

/** Microphone capture and encoding. */
export interface AudioProfile {
  sampleRate: number;
  channelCount: number;
  /** kbps */
  bitrate: number;
}

/** TRTC Web SDK v5 camera profiles (`480p` is the default). */
export const VIDEO_PROFILES: Readonly<Record<string, VideoProfile>> = {
  '120p': { width: 160, height: 120, frameRate: 15, bitrate: 200 },
  '180p': { width: 320, height: 180, frameRate: 15, bitrate: 350 },
  '240p': { width: 320, height: 240, frameRate: 15, bitrate: 400 },
  '360p': { width: 640, height: 360, frameRate: 15, bitrate: 800 },
  '480p': { width: 640, height: 480, frameRate: 15, bitrate: 900 },
  '720p': { width: 1280, height: 720, frameRate: 15, bitrate: 1500 },
  '1080p': { width: 1920, height: 1080, frameRate: 15, bitrate: 2000 },
};

/** TRTC Web SDK v5 screen-share profiles (`1080p` is the default). */
export const SCREEN_PROFILES: Readonly<Record<string, VideoProfile>> = {
  '720p': { width: 1280, height: 720, frameRate: 5, bitrate: 1200 },
  '1080p': { width: 1920, height: 1080, frameRate: 5, bitrate: 1600 },
  '1080p_2': { width: 1920, height: 1080, frameRate: 15, bitrate: 2000 },
};

/** TRTC Web SDK v5 microphone profiles (`standard` is the default). */
export const AUDIO_PROFILES: Readonly<Record<string, AudioProfile>> = {
  speech: { sampleRate: 48000, channelCount: 1, bitrate: 24 },
  standard: { sampleRate: 48000, channelCount: 1, bitrate: 40 },
  'standard-stereo': { sampleRate: 48000, channelCount: 2, bitrate: 64 },
  high: { sampleRate: 48000, channelCount: 1, bitrate: 128 },
  'high-stereo': { sampleRate: 48000, channelCount: 2, bitrate: 192 },
};

/** The small (simulcast) stream: TRTC's default 320×180 at 15 fps, 100 kbps. */
export const SMALL_VIDEO_PROFILE: VideoProfile = { width: 320, height: 180, frameRate: 15, bitrate: 100 };

/** Resolves a profile name or object; `undefined` when the name is unknown or the object is malformed. */
export function resolveVideoProfile(
  profile: string | Partial<VideoProfile> | undefined,
  table: Readonly<Record<string, VideoProfile>>,
  fallback: string,
): VideoProfile | undefined {
  if (profile === undefined) return table[fallback];
  if (typeof profile === 'string') return table[profile];
  const base = table[fallback];
  if (!base || typeof profile !== 'object' || profile === null) return undefined;
  const merged = { ...base, ...profile };
  const ok = [merged.width, merged.height, merged.frameRate, merged.bitrate].every((n) => Number.isFinite(n) && n > 0);
  return ok ? merged : undefined;
}

/**
 * The factor by which the small layer scales the captured size down: the small layer is at most
 * {@link SMALL_VIDEO_PROFILE}'s height, and never larger than the capture.
 */
export function smallLayerScale(capturedHeight: number): number {
  if (!Number.isFinite(capturedHeight) || capturedHeight <= SMALL_VIDEO_PROFILE.height) return 1;
  return capturedHeight / SMALL_VIDEO_PROFILE.height;
}
