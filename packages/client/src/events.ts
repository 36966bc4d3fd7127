/** `TRTC.EVENT`: event names (TRTC Web SDK v5 values) and their payloads. */
import type { ControlledDevice, KickReason, RoomControlState } from '@conclave/protocol';
import type { ConnectionState, TRTCStreamType } from './constants.ts';
import type { RtcError } from './errors.ts';

/** The names passed to `trtc.on(...)`. */
export const EVENT = {
  ERROR: 'error',
  AUTOPLAY_FAILED: 'autoplay-failed',
  KICKED_OUT: 'kicked-out',
  REMOTE_USER_ENTER: 'remote-user-enter',
  REMOTE_USER_EXIT: 'remote-user-exit',
  REMOTE_AUDIO_AVAILABLE: 'remote-audio-available',
  REMOTE_AUDIO_UNAVAILABLE: 'remote-audio-unavailable',
  REMOTE_VIDEO_AVAILABLE: 'remote-video-available',
  REMOTE_VIDEO_UNAVAILABLE: 'remote-video-unavailable',
  AUDIO_VOLUME: 'audio-volume',
  NETWORK_QUALITY: 'network-quality',
  CONNECTION_STATE_CHANGED: 'connection-state-changed',
  PUBLISH_STATE_CHANGED: 'publish-state-changed',
  STATISTICS: 'statistics',
  CUSTOM_MESSAGE: 'custom-message',
  SCREEN_SHARE_STOPPED: 'screen-share-stopped',
  DEVICE_CHANGED: 'device-changed',
  FIRST_VIDEO_FRAME: 'first-video-frame',
  /** A shown video's resolution changed after its first frame (`userId` '' is the local preview). */
  VIDEO_SIZE_CHANGED: 'video-size-changed',
  /** Conclave: end-to-end encryption turned on (after entering) or off (after leaving). */
  E2EE_STATE_CHANGED: 'e2ee-state-changed',
  /** Conclave: a media key changed — the local sender key (`userId` '') or a remote sender's (managed mode). */
  E2EE_KEY_CHANGED: 'e2ee-key-changed',
  /** Conclave: frames from a user were dropped because they did not decrypt (wrong or missing key). */
  E2EE_DECRYPTION_FAILED: 'e2ee-decryption-failed',
  /** Conclave: the room security code changed (managed mode: someone joined or left). */
  E2EE_SECURITY_CODE_CHANGED: 'e2ee-security-code-changed',
  /**
   * Conclave (managed mode): a participant already present was announced with another public key. The new
   * key is refused (that participant cannot read us, nor we it) until `acceptE2eePeerKey(userId, newFingerprint)`.
   */
  E2EE_PEER_KEY_CHANGED: 'e2ee-peer-key-changed',
  /** Conclave (managed mode): `e2ee.verifyPeerKey` refused a participant's key; it gets no media key. */
  E2EE_PEER_KEY_REFUSED: 'e2ee-peer-key-refused',
  /** Conclave conference control: the room's owner, admins, disabled devices, lock, seats or raised hands changed. */
  ROOM_CONTROL_CHANGED: 'room-control-changed',
  /** Conclave conference control: a host asks you to open a device; call `accept()` (then open it) or `reject()`. */
  DEVICE_OPEN_REQUEST: 'device-open-request',
  /** Conclave conference control: the participant you asked answered. */
  DEVICE_OPEN_REQUEST_ANSWERED: 'device-open-request-answered',
  /** Conclave conference control: the server closed your microphone, camera or screen share (`userId`: by whom). */
  DEVICE_CLOSED_BY_HOST: 'device-closed-by-host',
  /** Conclave: an in-room text message (`sendTextMessage`). */
  TEXT_MESSAGE: 'text-message',
  /**
   * Conclave: a recording participant (the on-premises recorder) entered or left. `recording` is true while at
   * least one is in the room, so an app can show a "recording" badge; `userIds` lists the recorders.
   */
  RECORDING_STATE_CHANGED: 'recording-state-changed',
} as const;

/** Local or remote audio/video statistics of one stream. */
export interface AudioStatistics {
  /** kbps */
  bitrate: number;
  /** 0..1 */
  audioLevel: number;
}

/** Video statistics of one layer or stream. */
export interface VideoStatistics {
  width: number;
  height: number;
  frameRate: number;
  /** kbps */
  bitrate: number;
  /** `big`/`small` camera layers, `sub` = screen share. */
  videoType: 'big' | 'small' | 'sub';
}

/** The `STATISTICS` payload (TRTC's `TRTCStatistics`). */
export interface TRTCStatistics {
  /** ms, to the server */
  rtt: number;
  /** % uplink packet loss */
  upLoss: number;
  /** % downlink packet loss */
  downLoss: number;
  bytesSent: number;
  bytesReceived: number;
  localStatistics: { audio: AudioStatistics; video: VideoStatistics[] };
  remoteStatistics: { userId: string; audio: AudioStatistics; video: VideoStatistics[] }[];
}

/** The `NETWORK_QUALITY` payload: quality 0 unknown, 1 excellent … 5 very bad, 6 disconnected. */
export interface NetworkQuality {
  uplinkNetworkQuality: number;
  downlinkNetworkQuality: number;
  /** ms */
  uplinkRTT: number;
  downlinkRTT: number;
  /** % */
  uplinkLoss: number;
  downlinkLoss: number;
}

/** The `PUBLISH_STATE_CHANGED` payload. */
export interface PublishStateChanged {
  state: 'starting' | 'started' | 'stopped';
  /** TRTC v5: what is published — microphone, camera or screen share. */
  mediaType: 'audio' | 'video' | 'screen';
  /** Camera (`main`) and screen share (`sub`) only; absent for the microphone. */
  streamType?: TRTCStreamType;
  /** Set when publishing stopped because of a failure. */
  error?: RtcError;
}

/**
 * The `AUTOPLAY_FAILED` payload: the browser refused to start a remote user's audio before a user gesture.
 * Call `resume()` from a click handler (e.g. an "unmute" button); the SDK also retries on the next click,
 * key or touch anywhere on the page.
 */
export interface AutoplayFailed {
  userId: string;
  mediaType: 'audio';
  resume: () => Promise<void>;
}

/** The `DEVICE_CHANGED` payload. */
export interface DeviceChanged {
  type: 'camera' | 'microphone' | 'speaker';
  action: 'add' | 'remove' | 'active';
  device: MediaDeviceInfo;
}

/** The `E2EE_STATE_CHANGED` payload. */
export interface E2eeStateChanged {
  enabled: boolean;
  mode: 'shared' | 'managed';
}

/** The `E2EE_KEY_CHANGED` payload. */
export interface E2eeKeyChanged {
  /** '' for the local sender key. */
  userId: string;
  /** The new SFrame KID (decimal), when there is one. */
  keyId?: string;
}

/** A participant the local media key is sealed to (managed mode), with its key's fingerprint. */
export interface E2eeKeyHolder {
  userId: string;
  /** Lowercase hex SHA-256 of the participant's session public key. */
  fingerprint: string;
}

/** The `E2EE_PEER_KEY_CHANGED` payload. */
export interface E2eePeerKeyChanged {
  userId: string;
  /** The key still in use for `userId`. */
  oldFingerprint: string;
  /** The refused key; pass it to `acceptE2eePeerKey` to switch. */
  newFingerprint: string;
}

/** Payloads of every event, by name. */
export interface TRTCEventPayloads {
  [EVENT.ERROR]: RtcError;
  [EVENT.AUTOPLAY_FAILED]: AutoplayFailed;
  [EVENT.KICKED_OUT]: { reason: KickReason; message: string };
  /** `userName`: the display name the user entered with, if any (Conclave). */
  [EVENT.REMOTE_USER_ENTER]: { userId: string; userName?: string };
  [EVENT.REMOTE_USER_EXIT]: { userId: string };
  [EVENT.REMOTE_AUDIO_AVAILABLE]: { userId: string };
  [EVENT.REMOTE_AUDIO_UNAVAILABLE]: { userId: string };
  [EVENT.REMOTE_VIDEO_AVAILABLE]: { userId: string; streamType: TRTCStreamType };
  [EVENT.REMOTE_VIDEO_UNAVAILABLE]: { userId: string; streamType: TRTCStreamType };
  [EVENT.AUDIO_VOLUME]: { result: { userId: string; volume: number }[] };
  [EVENT.NETWORK_QUALITY]: NetworkQuality;
  [EVENT.CONNECTION_STATE_CHANGED]: { prevState: ConnectionState; state: ConnectionState };
  [EVENT.PUBLISH_STATE_CHANGED]: PublishStateChanged;
  [EVENT.STATISTICS]: TRTCStatistics;
  [EVENT.CUSTOM_MESSAGE]: { userId: string; cmdId: number; seq: number; data: ArrayBuffer };
  [EVENT.SCREEN_SHARE_STOPPED]: Record<string, never>;
  [EVENT.DEVICE_CHANGED]: DeviceChanged;
  /** `userId` '' is the local preview. */
  [EVENT.FIRST_VIDEO_FRAME]: { userId: string; streamType: TRTCStreamType; width: number; height: number };
  /** `userId` '' is the local preview. */
  [EVENT.VIDEO_SIZE_CHANGED]: { userId: string; streamType: TRTCStreamType; newWidth: number; newHeight: number };
  [EVENT.E2EE_STATE_CHANGED]: E2eeStateChanged;
  [EVENT.E2EE_KEY_CHANGED]: E2eeKeyChanged;
  /** `count`: frames of `userId` dropped since the previous report (reports come every 2 s while it lasts). */
  [EVENT.E2EE_DECRYPTION_FAILED]: { userId: string; count: number };
  /** `code`: 30 digits in 6 groups; identical on every screen when nobody is in the middle. */
  [EVENT.E2EE_SECURITY_CODE_CHANGED]: { code: string; keyHolders: E2eeKeyHolder[] };
  [EVENT.E2EE_PEER_KEY_CHANGED]: E2eePeerKeyChanged;
  [EVENT.E2EE_PEER_KEY_REFUSED]: { userId: string; fingerprint: string };
  [EVENT.ROOM_CONTROL_CHANGED]: RoomControlState;
  /** `userId`: the host asking. */
  [EVENT.DEVICE_OPEN_REQUEST]: {
    requestId: string;
    userId: string;
    device: 'microphone' | 'camera';
    accept: () => Promise<void>;
    reject: () => Promise<void>;
  };
  /** `userId`: the participant asked. */
  [EVENT.DEVICE_OPEN_REQUEST_ANSWERED]: {
    requestId: string;
    userId: string;
    device: 'microphone' | 'camera';
    accepted: boolean;
  };
  [EVENT.DEVICE_CLOSED_BY_HOST]: { device: ControlledDevice; userId: string };
  /** `time`: server time (Unix ms) when it was relayed. */
  [EVENT.TEXT_MESSAGE]: { userId: string; userName?: string; text: string; time: number };
  [EVENT.RECORDING_STATE_CHANGED]: { recording: boolean; userIds: string[] };
}

/** An event name. */
export type TRTCEventName = keyof TRTCEventPayloads;

/** The emitter map of the TRTC facade: every event has exactly one payload argument. */
export type TRTCEventMap = { [K in TRTCEventName]: [TRTCEventPayloads[K]] };
