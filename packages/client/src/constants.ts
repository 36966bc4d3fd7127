/** `TRTC.TYPE`: the string and numeric constants of the TRTC Web SDK v5 API. */
export const TYPE = {
  SCENE_RTC: 'rtc',
  SCENE_LIVE: 'live',
  ROLE_ANCHOR: 'anchor',
  ROLE_AUDIENCE: 'audience',
  STREAM_TYPE_MAIN: 'main',
  STREAM_TYPE_SUB: 'sub',
  AUDIO_PROFILE_SPEECH: 'speech',
  AUDIO_PROFILE_STANDARD: 'standard',
  AUDIO_PROFILE_STANDARD_STEREO: 'standard-stereo',
  AUDIO_PROFILE_HIGH: 'high',
  AUDIO_PROFILE_HIGH_STEREO: 'high-stereo',
  VIDEO_PROFILE_120P: '120p',
  VIDEO_PROFILE_180P: '180p',
  VIDEO_PROFILE_240P: '240p',
  VIDEO_PROFILE_360P: '360p',
  VIDEO_PROFILE_480P: '480p',
  VIDEO_PROFILE_720P: '720p',
  VIDEO_PROFILE_1080P: '1080p',
  QUALITY_UNKNOWN: 0,
  QUALITY_EXCELLENT: 1,
  QUALITY_GOOD: 2,
  QUALITY_POOR: 3,
  QUALITY_BAD: 4,
  QUALITY_VERY_BAD: 5,
  QUALITY_DISCONNECTED: 6,
} as const;

/** TRTC's connection states (`CONNECTION_STATE_CHANGED`). */
export type ConnectionState = 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'RECONNECTING';
/** `main` = camera, `sub` = screen share. */
export type TRTCStreamType = 'main' | 'sub';
/** `anchor` may publish; `audience` only receives. */
export type TRTCRole = 'anchor' | 'audience';
/** `rtc` calls or `live` streaming. */
export type TRTCScene = 'rtc' | 'live';
