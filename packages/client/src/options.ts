/** The option objects of the public API (TRTC Web SDK v5 shapes, plus Conclave's `server`). */
import type { TRTCRole, TRTCScene, TRTCStreamType } from './constants.ts';
import type { VideoProfile } from './profiles.ts';

/** `TRTC.create(options)`. */
export interface CreateOptions {
  /**
   * The Conclave server: `https://host:port` (or `wss://host:port`). The SDK connects to `<server>/signal`.
   * Defaults to the page's own origin.
   */
  server?: string;
  /**
   * Allow plain `ws://`/`http://` to a server that is not loopback (default false: such a server is refused
   * with 5000). Loopback (127.0.0.0/8, ::1, localhost) may always use `ws://`.
   */
  allowInsecureTransport?: boolean;
  /**
   * Conclave extension, for tests (TRTC's SDK has no such switch): `'relay'` makes the browser use only the
   * TURN relays the server offers, as on a network that reaches nothing else. Default `'all'`.
   */
  iceTransportPolicy?: 'all' | 'relay';
}

/** `trtc.enterRoom(options)`. */
export interface EnterRoomOptions {
  sdkAppId: number;
  userId: string;
  userSig: string;
  /** Numeric room 1..4294967294. When both are given, `roomId` wins (as in TRTC). */
  roomId?: number;
  /** String room, 1–64 characters. A different room from the numeric room with the same digits. */
  strRoomId?: string;
  role?: TRTCRole;
  scene?: TRTCScene;
  /** Play every remote user's audio as it becomes available (default true). */
  autoReceiveAudio?: boolean;
  /** Receive every remote video as it becomes available, before `startRemoteVideo` (default false). */
  autoReceiveVideo?: boolean;
  /** Room-level privileges, required when the app enables advanced permission control. */
  privateMapKey?: string;
  /**
   * End-to-end encrypt this participant's media (RFC 9605 SFrame; VP8 and Opus only). `shared`: every
   * participant passes the same room secret; `managed`: each participant makes a session key pair and
   * random sender keys are sealed to each peer (users compare `getSecurityCode()` out of band).
   */
  e2ee?: E2eeOptions;
  /** Ask the room to refuse entrants without E2EE (honoured when this entry creates the room). Needs `e2ee`. */
  requireE2ee?: boolean;
  /** Conclave: the display name shown to the others (1–64 characters, no control characters). */
  userName?: string;
  /** Conclave: the room's password, when its owner set one (`setRoomPassword`). */
  roomPassword?: string;
}

/** `enterRoom({ e2ee })`: where the media keys come from. */
export type E2eeOptions = { mode: 'shared'; secret: string } | ManagedE2eeOptions;

/** `enterRoom({ e2ee: { mode: 'managed' } })`. */
export interface ManagedE2eeOptions {
  mode: 'managed';
  /**
   * Approves a participant's session public key (base64, as the server announces it) before this
   * participant's media key is sealed to it — e.g. check a signature your backend made over
   * (userId, publicKey), as it makes UserSigs. Return false (or throw) to refuse: that participant then
   * gets no key (`E2EE_PEER_KEY_REFUSED`). Without it, every announced key is accepted once per presence.
   */
  verifyPeerKey?: (userId: string, publicKey: string) => boolean | Promise<boolean>;
}

/** An element id or the element the SDK renders a `<video>` into. */
export type ViewTarget = string | HTMLElement | null;

/** `startLocalAudio/updateLocalAudio(config)`. */
export interface LocalAudioConfig {
  /** Send silence while keeping the microphone captured (remote users see audio unavailable). */
  mute?: boolean;
  option?: {
    microphoneId?: string;
    profile?: string;
    /** Custom capture: publish this track instead of opening a microphone. */
    audioTrack?: MediaStreamTrack;
  };
}

/** `startLocalVideo/updateLocalVideo(config)`. */
export interface LocalVideoConfig {
  view?: ViewTarget;
  /** Stop sending frames while keeping the camera captured. */
  mute?: boolean;
  option?: {
    cameraId?: string;
    /** A profile name such as `480p` (default) or a custom profile. */
    profile?: string | Partial<VideoProfile>;
    /** Also send a small simulcast layer (320×180-ish) that receivers can pick. */
    small?: boolean;
    /** Mirror the local preview (default true, as TRTC). Never affects what others see. */
    mirror?: boolean;
    /** Custom capture: publish this track instead of opening a camera. */
    videoTrack?: MediaStreamTrack;
  };
}

/** `startScreenShare(config)`. */
export interface ScreenShareConfig {
  view?: ViewTarget;
  option?: {
    profile?: string | Partial<VideoProfile>;
    /** Custom capture (tests, canvas, another source): publish this track as the sub stream. */
    videoTrack?: MediaStreamTrack;
  };
}

/** `startRemoteVideo/updateRemoteVideo/stopRemoteVideo(config)`. */
export interface RemoteVideoConfig {
  userId: string;
  streamType: TRTCStreamType;
  view?: ViewTarget;
  option?: {
    /** Receive the small simulcast layer of a main stream. */
    small?: boolean;
    fillMode?: 'contain' | 'cover' | 'fill';
    mirror?: boolean;
  };
}

/** `sendCustomMessage(message)`. */
export interface CustomMessage {
  /** 1..10 */
  cmdId: number;
  /** At most 1 KB. */
  data: ArrayBuffer;
}
