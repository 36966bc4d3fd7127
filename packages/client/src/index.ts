/**
 * Conclave's browser SDK with the TRTC Web SDK v5 shape.
 *
 * ```js
 * const trtc = TRTC.create();               // or TRTC.create({ server: 'https://rtc.example.com' })
 * await trtc.enterRoom({ sdkAppId, userId, userSig, roomId: 8888 });
 * await trtc.startLocalVideo({ view: 'local', option: { small: true } });
 * trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) =>
 *   trtc.startRemoteVideo({ userId, streamType, view: `remote-${userId}` }));
 * ```
 */
import { TRTC } from './trtc.ts';

export default TRTC;
export { TRTC, signalUrl, type SupportResult, type TRTCListener } from './trtc.ts';
export { RtcError, ERROR_CODE, trtcCodeForServerCode, type RtcErrorCode, type RtcErrorOptions } from './errors.ts';
export {
  EVENT,
  type TRTCEventName,
  type TRTCEventPayloads,
  type TRTCStatistics,
  type NetworkQuality,
  type AudioStatistics,
  type VideoStatistics,
  type PublishStateChanged,
  type DeviceChanged,
  type E2eeStateChanged,
  type E2eeKeyChanged,
  type E2eeKeyHolder,
  type E2eePeerKeyChanged,
  type AutoplayFailed,
} from './events.ts';
export type { SwitchRoomOptions } from './switch-room.ts';
export { NETWORK_QUALITY_LEVEL } from './network-quality.ts';
export { TYPE, type ConnectionState, type TRTCRole, type TRTCScene, type TRTCStreamType } from './constants.ts';
export { LOG_LEVEL, type LogLevel } from './logger.ts';
export type { RoomUser, RoomUserRole } from './room-control.ts';
export type { ControlledDevice, RoomControlState, RoomSeat } from '@conclave/protocol';
export { VIDEO_PROFILES, SCREEN_PROFILES, AUDIO_PROFILES, type VideoProfile, type AudioProfile } from './profiles.ts';
export type {
  CreateOptions,
  EnterRoomOptions,
  LocalAudioConfig,
  LocalVideoConfig,
  ScreenShareConfig,
  RemoteVideoConfig,
  CustomMessage,
  ViewTarget,
  E2eeOptions,
  ManagedE2eeOptions,
} from './options.ts';
