/**
 * The `TRTC` facade: the TRTC Web SDK v5 API over Conclave. It validates arguments, owns local capture
 * ({@link LocalMedia}) and delegates everything that needs a room to the current {@link Room}.
 */
import { TYPE } from './constants.ts';
import type { TRTCRole, TRTCStreamType } from './constants.ts';
import { captureCamera, captureMicrophone, captureScreen, videoConstraints } from './capture.ts';
import { DeviceWatcher, listDevices } from './devices.ts';
import { Emitter } from './emitter.ts';
import { ERROR_CODE, RtcError } from './errors.ts';
import { EVENT, type E2eeKeyHolder, type TRTCEventMap, type TRTCEventName, type TRTCEventPayloads } from './events.ts';
import { LocalMedia, type LocalTrack } from './local-media.ts';
import { createLogger, LOG_LEVEL, setLogLevel, type LogLevel } from './logger.ts';
import type {
  CreateOptions,
  CustomMessage,
  EnterRoomOptions,
  LocalAudioConfig,
  LocalVideoConfig,
  RemoteVideoConfig,
  ScreenShareConfig,
} from './options.ts';
import {
  parseCustomMessage,
  parseE2eeSecret,
  parseEnterRoomOptions,
  parseRole,
  parseStreamType,
  parseUserId,
  parseVolume,
  resolveView,
  type RoomCredentials,
} from './params.ts';
import { VideoView } from './playback.ts';
import { AUDIO_PROFILES, resolveVideoProfile, SCREEN_PROFILES, VIDEO_PROFILES } from './profiles.ts';
import { Room, SDK_VERSION } from './room.ts';
import { snapshotVideo } from './snapshot.ts';
import { parseSwitchRoomOptions, type SwitchRoomOptions } from './switch-room.ts';
import type { RoomUser } from './room-control.ts';
import {
  MAX_CHAT_MESSAGE_CHARS,
  MAX_SEATS,
  roomPasswordSchema,
  type ControlledDevice,
  type RoomControlRequest,
  type RoomControlState,
} from '@conclave/protocol';
import type { SocketLike } from './signal-client.ts';

/** The result of {@link TRTC.isSupported}. */
export interface SupportResult {
  result: boolean;
  detail: {
    isBrowserSupported: boolean;
    isWebRTCSupported: boolean;
    isMediaDevicesSupported: boolean;
    isScreenShareSupported: boolean;
    isVp8EncodeSupported: boolean;
    isVp8DecodeSupported: boolean;
  };
}

/** Listener of a TRTC event. */
export type TRTCListener<K extends TRTCEventName> = (payload: TRTCEventPayloads[K]) => void;

/** Options of {@link signalUrl}. */
export interface SignalUrlOptions {
  /** Allow `ws://` (or `http://`) to a host other than loopback. */
  allowInsecureTransport?: boolean;
}

/**
 * Derives the signaling URL (`ws(s)://host/signal`) from a server URL or the page's origin. Plain `ws://` is
 * refused (5000) unless the host is loopback (127.0.0.0/8, ::1, localhost) or `allowInsecureTransport` is set:
 * the socket carries the UserSig and, in managed E2EE, the public keys that protect the media keys.
 */
export function signalUrl(server: string | undefined, options: SignalUrlOptions = {}): string {
  const base = server ?? (typeof location === 'undefined' ? undefined : location.origin);
  if (!base) throw RtcError.invalidParameter('enterRoom', 'no server: pass TRTC.create({ server }) outside a page');
  const fn = server === undefined ? 'enterRoom' : 'create';
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw RtcError.invalidParameter(fn, `server must be a URL such as https://host:port, got "${base}"`);
  }
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw RtcError.invalidParameter(fn, 'server must be http(s) or ws(s)');
  if (url.protocol === 'ws:' && !isLoopbackHost(url.hostname) && options.allowInsecureTransport !== true) {
    throw RtcError.invalidParameter(
      fn,
      `refusing unencrypted ws:// to ${url.host}: use https/wss, or pass TRTC.create({ allowInsecureTransport: true })`,
    );
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/signal`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped loopback) and localhost names; `hostname` as `URL` normalises it. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  return host === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

/**
 * A TRTC client: enter a room, publish the camera, microphone and screen, and receive others.
 * Create one with {@link TRTC.create}.
 */
export class TRTC {
  /** Event names for {@link TRTC.on}. */
  static readonly EVENT = EVENT;
  /** Error codes of {@link RtcError}. */
  static readonly ERROR_CODE = ERROR_CODE;
  /** Scene, role, stream-type, profile and quality constants. */
  static readonly TYPE = TYPE;
  /** Log levels for {@link TRTC.setLogLevel}. */
  static readonly LOG_LEVEL = LOG_LEVEL;
  /** This SDK's version. */
  static readonly VERSION = SDK_VERSION;

  readonly #events = new Emitter<TRTCEventMap>();
  readonly #local = new LocalMedia();
  readonly #server: string | undefined;
  readonly #allowInsecureTransport: boolean;
  readonly #log = createLogger('trtc');
  readonly #devices: DeviceWatcher | undefined;
  /** For tests: a socket factory instead of the browser WebSocket. */
  readonly #createSocket: ((url: string) => SocketLike) | undefined;
  readonly #iceTransportPolicy: 'all' | 'relay';
  #room: Room | undefined;
  #entering: Promise<void> | undefined;
  #volumeInterval = 0;
  #destroyed = false;

  /** Prefer {@link TRTC.create}. */
  constructor(options: CreateOptions & { createSocket?: (url: string) => SocketLike } = {}) {
    this.#allowInsecureTransport = options.allowInsecureTransport === true;
    if (options.server !== undefined)
      signalUrl(options.server, { allowInsecureTransport: this.#allowInsecureTransport });
    this.#server = options.server;
    this.#createSocket = options.createSocket;
    this.#iceTransportPolicy = options.iceTransportPolicy === 'relay' ? 'relay' : 'all';
    this.#devices =
      typeof navigator !== 'undefined' && navigator.mediaDevices
        ? new DeviceWatcher((change) => this.#events.emit(EVENT.DEVICE_CHANGED, change))
        : undefined;
  }

  /** Creates a client. `server` defaults to the page's origin; the SDK connects to `<server>/signal`. */
  static create(options: CreateOptions = {}): TRTC {
    return new TRTC(options);
  }

  /** Whether this browser can run the SDK, with details. */
  static async isSupported(): Promise<SupportResult> {
    const hasWindow = typeof window !== 'undefined';
    const isWebRTCSupported = hasWindow && typeof RTCPeerConnection === 'function';
    const isMediaDevicesSupported = typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
    const isScreenShareSupported =
      isMediaDevicesSupported && typeof navigator.mediaDevices.getDisplayMedia === 'function';
    const codecs = (kind: 'sender' | 'receiver') => {
      const api = kind === 'sender' ? globalThis.RTCRtpSender : globalThis.RTCRtpReceiver;
      return api?.getCapabilities?.('video')?.codecs.some((c) => c.mimeType.toLowerCase() === 'video/vp8') ?? false;
    };
    const isVp8EncodeSupported = isWebRTCSupported && codecs('sender');
    const isVp8DecodeSupported = isWebRTCSupported && codecs('receiver');
    const isBrowserSupported = hasWindow && typeof WebSocket === 'function';
    return {
      result:
        isBrowserSupported &&
        isWebRTCSupported &&
        isMediaDevicesSupported &&
        isVp8EncodeSupported &&
        isVp8DecodeSupported,
      detail: {
        isBrowserSupported,
        isWebRTCSupported,
        isMediaDevicesSupported,
        isScreenShareSupported,
        isVp8EncodeSupported,
        isVp8DecodeSupported,
      },
    };
  }

  /** Cameras (asks for permission first when labels are hidden, unless `requestPermission` is false). */
  static getCameraList(requestPermission = true): Promise<MediaDeviceInfo[]> {
    return listDevices('videoinput', requestPermission);
  }

  /** Microphones. */
  static getMicrophoneList(requestPermission = true): Promise<MediaDeviceInfo[]> {
    return listDevices('audioinput', requestPermission);
  }

  /** Speakers. */
  static getSpeakerList(requestPermission = true): Promise<MediaDeviceInfo[]> {
    return listDevices('audiooutput', requestPermission);
  }

  /** Sets the console log level (0 TRACE … 5 NONE). */
  static setLogLevel(level: LogLevel): void {
    setLogLevel(level);
  }

  /** Listens to an event; `context` becomes `this`. */
  on<K extends TRTCEventName>(event: K, handler: TRTCListener<K>, context?: unknown): this {
    this.#events.on(event, handler as (...args: TRTCEventMap[K]) => void, context);
    return this;
  }

  /** Stops listening; `off('*')` removes every listener. */
  off<K extends TRTCEventName>(event: K | '*', handler?: TRTCListener<K>, context?: unknown): this {
    this.#events.off(event, handler as ((...args: TRTCEventMap[K]) => void) | undefined, context);
    return this;
  }

  /**
   * Enters a room; rejects with 5000 (bad parameter), 5100 (already in a room), 5400 (refused by the server,
   * e.g. `E2EE_REQUIRED`), 5200 (`e2ee` asked for in a browser without encoded transforms) …
   */
  async enterRoom(options: EnterRoomOptions): Promise<void> {
    this.#assertAlive('enterRoom');
    const credentials = parseEnterRoomOptions(options);
    if (this.#room) throw RtcError.invalidOperation('enterRoom', 'already in a room; call exitRoom first');
    await this.#enter(credentials, 'enterRoom');
  }

  /**
   * Moves to another room (`{ roomId }` or `{ strRoomId }`, optionally with a new `userSig` and the target
   * room's `privateMapKey`) as the same user, role and scene. Local capture keeps running and is published in
   * the new room; the old room's users are reported as gone (REMOTE_*_UNAVAILABLE, REMOTE_USER_EXIT) and their
   * views stopped, as on exitRoom. Rejects with 5000 (bad parameter), 5100 (not in a room, or already in that
   * one) or 5400 (refused by the server); after a refusal by the server the client is in no room.
   */
  async switchRoom(options: SwitchRoomOptions): Promise<void> {
    const fn = 'switchRoom';
    this.#assertAlive(fn);
    const current = this.#requireRoom(fn);
    await this.#entering;
    if (this.#room !== current) throw RtcError.invalidOperation(fn, 'not in a room; call enterRoom first');
    const credentials = parseSwitchRoomOptions(current.credentials, options);
    current.vacate();
    await this.exitRoom();
    await this.#enter(credentials, fn);
  }

  async #enter(credentials: RoomCredentials, fn: string): Promise<void> {
    const room: Room = new Room({
      url: signalUrl(this.#server, { allowInsecureTransport: this.#allowInsecureTransport }),
      credentials,
      local: this.#local,
      events: this.#events,
      log: this.#log,
      createSocket: this.#createSocket,
      iceTransportPolicy: this.#iceTransportPolicy,
      onDeviceClosed: (slot) => this.#local.release(slot),
      onEnded: () => {
        if (this.#room === room) this.#room = undefined;
      },
    });
    this.#room = room;
    const entering = room.enter();
    this.#entering = entering.catch(() => undefined);
    try {
      await entering;
      room.setVolumeInterval(this.#volumeInterval);
    } catch (err) {
      if (this.#room === room) this.#room = undefined;
      throw RtcError.from(fn, err);
    } finally {
      this.#entering = undefined;
    }
  }

  /** Leaves the room. Local capture (camera, microphone) keeps running until stopped. */
  async exitRoom(): Promise<void> {
    const room = this.#room;
    this.#room = undefined;
    if (!room) return;
    await room.leave();
    await this.#entering;
  }

  /**
   * Shared E2EE mode: encrypts with `newSecret` from now on. Every participant must switch (the app
   * distributes the secret); the previous one keeps decrypting for 10 s so frames in flight still play.
   */
  async setE2eeSecret(newSecret: string): Promise<void> {
    const fn = 'setE2eeSecret';
    const secret = parseE2eeSecret(fn, newSecret);
    const room = this.#requireRoom(fn);
    await this.#entering;
    try {
      await room.setE2eeSecret(secret);
    } catch (err) {
      throw RtcError.from(fn, err);
    }
  }

  /**
   * Managed E2EE mode: the room security code (6 groups of 5 digits) over every participant's public key.
   * Users compare it out of band; it is the same on every screen unless someone (the server included)
   * swapped a key. Changes are announced by `E2EE_SECURITY_CODE_CHANGED`.
   */
  async getSecurityCode(): Promise<string> {
    const fn = 'getSecurityCode';
    const room = this.#requireRoom(fn);
    await this.#entering;
    try {
      return await room.securityCode();
    } catch (err) {
      throw RtcError.from(fn, err);
    }
  }

  /**
   * Managed E2EE mode: every participant the local media key is sealed to, with its key fingerprint — the
   * same set the security code covers. Audience members of a live room hold the key too, though TRTC sends
   * no `REMOTE_USER_ENTER` for them. Also delivered with each `E2EE_SECURITY_CODE_CHANGED`.
   */
  async getE2eeKeyHolders(): Promise<E2eeKeyHolder[]> {
    const fn = 'getE2eeKeyHolders';
    const room = this.#requireRoom(fn);
    await this.#entering;
    try {
      return await room.e2eeKeyHolders();
    } catch (err) {
      throw RtcError.from(fn, err);
    }
  }

  /**
   * Managed E2EE mode: accepts the key an `E2EE_PEER_KEY_CHANGED` event refused (pass its `newFingerprint`),
   * e.g. after users compared the new security code out of band. The old key is treated as having left.
   */
  async acceptE2eePeerKey(userId: string, fingerprint: string): Promise<void> {
    const fn = 'acceptE2eePeerKey';
    const id = parseUserId(fn, userId);
    if (typeof fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(fingerprint))
      throw RtcError.invalidParameter(fn, 'fingerprint must be the 64 hex digits from E2EE_PEER_KEY_CHANGED');
    const room = this.#requireRoom(fn);
    await this.#entering;
    try {
      await room.acceptE2eePeerKey(id, fingerprint);
    } catch (err) {
      throw RtcError.from(fn, err);
    }
  }

  /** Switches between anchor and audience. */
  async switchRole(role: TRTCRole, option: { privateMapKey?: string } = {}): Promise<void> {
    const r = parseRole('switchRole', role);
    const room = this.#requireRoom('switchRole');
    if (room.role === r && !option.privateMapKey) return;
    try {
      await room.switchRole(r, option.privateMapKey);
    } catch (err) {
      throw RtcError.from('switchRole', err);
    }
  }

  /** Leaves any room, stops all capture and removes every listener. The instance cannot be used again. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    await this.exitRoom();
    for (const slot of this.#local.slots()) this.#local.release(slot);
    this.#devices?.close();
    this.#events.off('*');
    this.#destroyed = true;
  }

  /** Opens the microphone (or publishes `option.audioTrack`) and publishes it when in a room. */
  async startLocalAudio(config: LocalAudioConfig = {}): Promise<void> {
    const fn = 'startLocalAudio';
    this.#assertAlive(fn);
    if (this.#local.get('audio'))
      throw RtcError.invalidOperation(fn, 'local audio is already started; use updateLocalAudio');
    const profile = AUDIO_PROFILES[config.option?.profile ?? 'standard'];
    if (!profile) throw RtcError.invalidParameter(fn, `unknown audio profile "${config.option?.profile}"`);
    const custom = config.option?.audioTrack;
    if (custom !== undefined && !(custom instanceof MediaStreamTrack && custom.kind === 'audio')) {
      throw RtcError.invalidParameter(fn, 'option.audioTrack must be an audio MediaStreamTrack');
    }
    const track = custom ?? (await captureMicrophone(fn, profile, config.option?.microphoneId));
    this.#local.set('audio', {
      track,
      owned: !custom,
      muted: config.mute ?? false,
      audio: { profile, deviceId: config.option?.microphoneId },
    });
    await this.#publishOrRelease('audio', fn);
  }

  /** Mutes/unmutes the microphone or switches to another one. */
  async updateLocalAudio(config: LocalAudioConfig = {}): Promise<void> {
    const fn = 'updateLocalAudio';
    const local = this.#local.get('audio');
    if (!local) throw RtcError.invalidOperation(fn, 'local audio is not started');
    const microphoneId = config.option?.microphoneId;
    const profileName = config.option?.profile;
    const profile = profileName === undefined ? undefined : AUDIO_PROFILES[profileName];
    if (profileName !== undefined && !profile)
      throw RtcError.invalidParameter(fn, `unknown audio profile "${profileName}"`);
    const newDevice = microphoneId !== undefined && microphoneId !== '' && microphoneId !== local.audio?.deviceId;
    const newProfile = profile !== undefined && profile !== local.audio?.profile;
    // A new device, or a new profile on a microphone the SDK opened (its sample rate and channels), re-captures.
    if (local.audio && (newDevice || (newProfile && local.owned))) {
      const deviceId = newDevice ? microphoneId : local.audio.deviceId;
      const track = await captureMicrophone(fn, profile ?? local.audio.profile, deviceId);
      await this.#swapTrack('audio', local, track, fn);
      local.audio.deviceId = deviceId;
    }
    if (local.audio && newProfile) {
      local.audio.profile = profile;
      await this.#room?.applyEncoderLimits('audio').catch((err: unknown) => {
        throw RtcError.from(fn, err);
      });
    }
    if (config.mute !== undefined && config.mute !== local.muted) {
      local.muted = config.mute;
      await this.#room?.setMuted('audio', config.mute).catch((err: unknown) => {
        throw RtcError.from(fn, err);
      });
    }
  }

  /** Stops publishing and closes the microphone. */
  async stopLocalAudio(): Promise<void> {
    await this.#room?.unpublish('audio').catch(() => undefined);
    this.#local.release('audio');
  }

  /**
   * Opens the camera (or uses `option.videoTrack`), previews it in `view` and publishes it when in a room
   * (VP8; with `option.small`, simulcast big + small).
   */
  async startLocalVideo(config: LocalVideoConfig = {}): Promise<void> {
    const fn = 'startLocalVideo';
    this.#assertAlive(fn);
    if (this.#local.get('video'))
      throw RtcError.invalidOperation(fn, 'local video is already started; use updateLocalVideo');
    const option = config.option ?? {};
    const profile = resolveVideoProfile(option.profile, VIDEO_PROFILES, '480p');
    if (!profile) throw RtcError.invalidParameter(fn, 'unknown or malformed video profile');
    const view = resolveView(fn, config.view);
    const custom = option.videoTrack;
    if (custom !== undefined && !(custom instanceof MediaStreamTrack && custom.kind === 'video')) {
      throw RtcError.invalidParameter(fn, 'option.videoTrack must be a video MediaStreamTrack');
    }
    const track = custom ?? (await captureCamera(fn, profile, option.cameraId));
    const preview = this.#preview(view, option.mirror ?? true, 'main');
    preview.setTrack(track);
    this.#local.set('video', {
      track,
      owned: !custom,
      muted: config.mute ?? false,
      view: preview,
      video: { profile, small: option.small ?? false, deviceId: option.cameraId },
    });
    await this.#publishOrRelease('video', fn);
  }

  /** Changes the camera's view, mirror, device, profile, small stream or mute state. */
  async updateLocalVideo(config: LocalVideoConfig = {}): Promise<void> {
    const fn = 'updateLocalVideo';
    const local = this.#local.get('video');
    if (!local?.video) throw RtcError.invalidOperation(fn, 'local video is not started');
    const option = config.option ?? {};
    if (config.view !== undefined) local.view?.attach(resolveView(fn, config.view));
    if (option.mirror !== undefined) local.view?.setMirror(option.mirror);
    if (option.profile !== undefined) {
      const profile = resolveVideoProfile(option.profile, VIDEO_PROFILES, '480p');
      if (!profile) throw RtcError.invalidParameter(fn, 'unknown or malformed video profile');
      local.video.profile = profile;
      await local.track
        .applyConstraints(videoConstraints(profile))
        .catch((err: unknown) => this.#log.warn('cannot apply profile', { error: String(err) }));
      await this.#room
        ?.applyEncoderLimits('video')
        .catch((err: unknown) => this.#log.warn('cannot apply the profile to the encoder', { error: String(err) }));
    }
    if (option.cameraId && option.cameraId !== local.video.deviceId) {
      const track = await captureCamera(fn, local.video.profile, option.cameraId);
      await this.#swapTrack('video', local, track, fn);
      local.video.deviceId = option.cameraId;
    }
    if (option.small !== undefined && option.small !== local.video.small) {
      local.video.small = option.small;
      if (this.#room) {
        await this.#room.unpublish('video');
        await this.#publishOrRelease('video', fn);
      }
    }
    if (config.mute !== undefined && config.mute !== local.muted) {
      local.muted = config.mute;
      await this.#room?.setMuted('video', config.mute).catch((err: unknown) => {
        throw RtcError.from(fn, err);
      });
    }
  }

  /** Stops publishing and closes the camera. */
  async stopLocalVideo(): Promise<void> {
    await this.#room?.unpublish('video').catch(() => undefined);
    this.#local.release('video');
  }

  /**
   * Shares a screen as the sub stream. `option.videoTrack` publishes a given track instead (custom capture,
   * and the way to share in a headless browser without getDisplayMedia).
   */
  async startScreenShare(config: ScreenShareConfig = {}): Promise<void> {
    const fn = 'startScreenShare';
    this.#assertAlive(fn);
    if (this.#local.get('sub')) throw RtcError.invalidOperation(fn, 'screen sharing is already started');
    const option = config.option ?? {};
    const profile = resolveVideoProfile(option.profile, SCREEN_PROFILES, '1080p');
    if (!profile) throw RtcError.invalidParameter(fn, 'unknown or malformed screen profile');
    const view = resolveView(fn, config.view);
    const custom = option.videoTrack;
    if (custom !== undefined && !(custom instanceof MediaStreamTrack && custom.kind === 'video')) {
      throw RtcError.invalidParameter(fn, 'option.videoTrack must be a video MediaStreamTrack');
    }
    const track = custom ?? (await captureScreen(fn, profile));
    const preview = view ? this.#preview(view, false, 'sub') : undefined;
    preview?.setTrack(track);
    this.#local.set('sub', { track, owned: !custom, muted: false, view: preview, video: { profile, small: false } });
    track.addEventListener('ended', () => {
      if (this.#local.get('sub')?.track !== track) return;
      void this.stopScreenShare().then(() => this.#events.emit(EVENT.SCREEN_SHARE_STOPPED, {}));
    });
    await this.#publishOrRelease('sub', fn);
  }

  /** Stops sharing the screen. */
  async stopScreenShare(): Promise<void> {
    await this.#room?.unpublish('sub').catch(() => undefined);
    this.#local.release('sub');
  }

  /** Plays a remote user's main or sub video in `view`; `option.small` picks the small layer. */
  async startRemoteVideo(config: RemoteVideoConfig): Promise<void> {
    const fn = 'startRemoteVideo';
    const { userId, streamType, view } = this.#parseRemoteVideo(fn, config);
    const room = this.#requireRoom(fn);
    try {
      await room.remote.startVideo(userId, streamType, view, config.option?.small ?? false);
    } catch (err) {
      throw RtcError.from(fn, err);
    }
  }

  /** Changes the view or the small/big layer of a playing remote video. */
  async updateRemoteVideo(config: RemoteVideoConfig): Promise<void> {
    const fn = 'updateRemoteVideo';
    const userId = parseUserId(fn, config?.userId);
    const streamType = parseStreamType(fn, config.streamType);
    const view = config.view === undefined ? undefined : resolveView(fn, config.view);
    const room = this.#requireRoom(fn);
    let updated: boolean;
    try {
      updated = await room.remote.updateVideo(userId, streamType, view, config.option?.small);
    } catch (err) {
      throw RtcError.from(fn, err);
    }
    if (!updated) throw RtcError.invalidOperation(fn, `remote video of ${userId} (${streamType}) is not started`);
  }

  /** Stops a remote video; without `userId`, stops every remote video. */
  async stopRemoteVideo(config: Partial<RemoteVideoConfig> = {}): Promise<void> {
    const fn = 'stopRemoteVideo';
    const userId = config.userId === undefined || config.userId === '*' ? undefined : parseUserId(fn, config.userId);
    const streamType = config.streamType === undefined ? undefined : parseStreamType(fn, config.streamType);
    await this.#room?.remote.stopVideo(userId, streamType);
  }

  /** Stops (true) or resumes (false) receiving one user's audio; `'*'` for everyone present. */
  async muteRemoteAudio(userId: string, mute: boolean): Promise<void> {
    const fn = 'muteRemoteAudio';
    if (typeof mute !== 'boolean') throw RtcError.invalidParameter(fn, 'mute must be a boolean');
    const id = userId === '*' ? userId : parseUserId(fn, userId);
    const room = this.#requireRoom(fn);
    await room.remote.muteAudio(id, mute);
  }

  /** Playback volume of one user, 0..100. */
  setRemoteAudioVolume(userId: string, volume: number): void {
    const fn = 'setRemoteAudioVolume';
    const id = parseUserId(fn, userId);
    const v = parseVolume(fn, volume);
    this.#requireRoom(fn).remote.setVolume(id, v);
  }

  /**
   * The current frame of a shown video as a PNG data URL: the local camera (no `userId`) or screen share
   * (`streamType: 'sub'`), or a remote video started with startRemoteVideo. '' when that video shows no
   * picture yet.
   */
  getVideoSnapshot(config: { userId?: string; streamType?: TRTCStreamType } = {}): string {
    const fn = 'getVideoSnapshot';
    if (typeof config !== 'object' || config === null) throw RtcError.invalidParameter(fn, 'config must be an object');
    const streamType = config.streamType === undefined ? 'main' : parseStreamType(fn, config.streamType);
    if (config.userId === undefined || config.userId === '') {
      const view = this.#local.get(streamType === 'sub' ? 'sub' : 'video')?.view;
      return view ? snapshotVideo(view.element) : '';
    }
    const element = this.#room?.remote.videoElement(parseUserId(fn, config.userId), streamType);
    return element ? snapshotVideo(element) : '';
  }

  /** Emits AUDIO_VOLUME every `interval` ms (default 2000); 0 or less turns it off. */
  enableAudioVolumeEvaluation(interval = 2000): void {
    if (typeof interval !== 'number' || !Number.isFinite(interval))
      throw RtcError.invalidParameter('enableAudioVolumeEvaluation', 'interval must be a number of ms');
    this.#volumeInterval = interval <= 0 ? 0 : Math.max(16, interval);
    this.#room?.setVolumeInterval(this.#volumeInterval);
  }

  /** Sends a custom message (cmdId 1..10, ≤ 1 KB) to everyone in the room; anchors only. */
  async sendCustomMessage(message: CustomMessage): Promise<void> {
    const { cmdId, bytes } = parseCustomMessage(message);
    const room = this.#requireRoom('sendCustomMessage');
    try {
      await room.sendCustomMessage(cmdId, bytes);
    } catch (err) {
      throw RtcError.from('sendCustomMessage', err);
    }
  }

  // Conference control (TUIRoomKit-style; see docs/conference-control.md). The server decides every action and
  // refuses a non-host with NOT_ROOM_ADMIN (or NOT_ROOM_OWNER): RtcError 5100 with that `serverCode`.

  /** The room's control state (owner, admins, disabled devices, lock, seats, raised hands); undefined outside a room. */
  getRoomControlState(): RoomControlState | undefined {
    return this.#room?.control.state;
  }

  /** Everyone in the room with display names, control roles (owner/admin/member), seats and raised hands. */
  getUserList(): RoomUser[] {
    return this.#room?.control.userList() ?? [];
  }

  /** Owner: hands the room to another participant. */
  transferOwner(userId: string): Promise<void> {
    return this.#controlAction('transferOwner', {
      action: 'transferOwner',
      userId: parseUserId('transferOwner', userId),
    });
  }

  /** Owner: makes a participant an admin (or a member again). */
  setAdmin(userId: string, isAdmin: boolean): Promise<void> {
    const fn = 'setAdmin';
    return this.#controlAction(fn, {
      action: 'setAdmin',
      userId: parseUserId(fn, userId),
      admin: parseFlag(fn, isAdmin),
    });
  }

  /**
   * Host: mute all (`microphone`), disable all cameras (`camera`) or screen sharing (`screen`) for everyone but
   * the hosts. The server closes those streams and refuses new ones (`MEDIA_DISABLED_BY_HOST`) until lifted.
   */
  disableDeviceForAllUsers(device: ControlledDevice, disabled: boolean): Promise<void> {
    const fn = 'disableDeviceForAllUsers';
    return this.#controlAction(fn, {
      action: 'disableDeviceForAll',
      device: parseDevice(fn, device),
      disabled: parseFlag(fn, disabled),
    });
  }

  /** Host: closes one participant's device (the server closes its stream; the participant may open it again). */
  closeRemoteDevice(userId: string, device: ControlledDevice): Promise<void> {
    const fn = 'closeRemoteDevice';
    return this.#controlAction(fn, {
      action: 'closeRemoteDevice',
      userId: parseUserId(fn, userId),
      device: parseDevice(fn, device),
    });
  }

  /**
   * Host: asks a participant to open its microphone or camera. The participant gets DEVICE_OPEN_REQUEST and must
   * accept (and then open it itself); the answer arrives as DEVICE_OPEN_REQUEST_ANSWERED. Resolves with the
   * request id.
   */
  async requestRemoteDeviceOpen(userId: string, device: 'microphone' | 'camera'): Promise<string> {
    const fn = 'requestRemoteDeviceOpen';
    if (device !== 'microphone' && device !== 'camera')
      throw RtcError.invalidParameter(fn, "device must be 'microphone' or 'camera'");
    const room = this.#requireRoom(fn);
    try {
      return (await room.control.send({ action: 'requestOpenDevice', userId: parseUserId(fn, userId), device })) ?? '';
    } catch (err) {
      throw RtcError.from(fn, err);
    }
  }

  /** Host: on-stage mode with `maxSeats` seats (0 turns it off). Off stage, only hosts may publish. */
  setSeatMode(maxSeats: number): Promise<void> {
    const fn = 'setSeatMode';
    if (!Number.isInteger(maxSeats) || maxSeats < 0 || maxSeats > MAX_SEATS)
      throw RtcError.invalidParameter(fn, `maxSeats must be an integer 0..${MAX_SEATS}`);
    return this.#controlAction(fn, { action: 'setSeatMode', maxSeats });
  }

  /** On-stage mode: asks for a seat (a host takes a free one at once). */
  raiseHand(): Promise<void> {
    return this.#controlAction('raiseHand', { action: 'raiseHand', raised: true });
  }

  /** Withdraws a raised hand. */
  lowerHand(): Promise<void> {
    return this.#controlAction('lowerHand', { action: 'raiseHand', raised: false });
  }

  /** Host: brings a participant whose hand is up onto a free seat (`approve` false turns it down). */
  approveSeat(userId: string, approve = true): Promise<void> {
    const fn = 'approveSeat';
    return this.#controlAction(fn, {
      action: 'approveSeat',
      userId: parseUserId(fn, userId),
      approve: parseFlag(fn, approve),
    });
  }

  /** Leaves this participant's seat (its streams close). */
  leaveSeat(): Promise<void> {
    return this.#controlAction('leaveSeat', { action: 'leaveSeat' });
  }

  /** Host: takes a participant off its seat (its streams close). */
  kickUserOffSeat(userId: string): Promise<void> {
    return this.#controlAction('kickUserOffSeat', {
      action: 'kickOffSeat',
      userId: parseUserId('kickUserOffSeat', userId),
    });
  }

  /** Host: locks or unlocks seat `index`; a locked seat cannot be taken. */
  lockSeat(index: number, locked: boolean): Promise<void> {
    const fn = 'lockSeat';
    if (!Number.isInteger(index) || index < 0 || index >= MAX_SEATS)
      throw RtcError.invalidParameter(fn, `index must be an integer 0..${MAX_SEATS - 1}`);
    return this.#controlAction(fn, { action: 'lockSeat', index, locked: parseFlag(fn, locked) });
  }

  /** Host: removes a participant from the room (it gets KICKED_OUT, reason `kick`). */
  kickRemoteUser(userId: string): Promise<void> {
    return this.#controlAction('kickRemoteUser', { action: 'kickUser', userId: parseUserId('kickRemoteUser', userId) });
  }

  /** Host: refuses new entrants (ROOM_LOCKED) while locked. */
  lockRoom(locked: boolean): Promise<void> {
    return this.#controlAction('lockRoom', { action: 'lockRoom', locked: parseFlag('lockRoom', locked) });
  }

  /** Owner: new entrants must pass `enterRoom({ roomPassword })`; null removes the password. */
  setRoomPassword(password: string | null): Promise<void> {
    const fn = 'setRoomPassword';
    if (password !== null && !roomPasswordSchema.safeParse(password).success)
      throw RtcError.invalidParameter(fn, 'password must be 1-64 characters, or null');
    return this.#controlAction(fn, { action: 'setPassword', password });
  }

  /** Sends a text message to everyone else in the room (≤ 500 characters, a few per second; never stored). */
  async sendTextMessage(text: string): Promise<void> {
    const fn = 'sendTextMessage';
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_CHAT_MESSAGE_CHARS)
      throw RtcError.invalidParameter(fn, `text must be 1-${MAX_CHAT_MESSAGE_CHARS} characters`);
    const room = this.#requireRoom(fn);
    try {
      await room.control.chat(text);
    } catch (err) {
      throw RtcError.from(fn, err);
    }
  }

  async #controlAction(fn: string, request: RoomControlRequest): Promise<void> {
    const room = this.#requireRoom(fn);
    try {
      await room.control.send(request);
    } catch (err) {
      throw RtcError.from(fn, err);
    }
  }

  #assertAlive(fn: string): void {
    if (this.#destroyed) throw RtcError.invalidOperation(fn, 'this TRTC instance was destroyed');
  }

  #requireRoom(fn: string): Room {
    const room = this.#room;
    if (!room) throw RtcError.invalidOperation(fn, 'not in a room; call enterRoom first');
    return room;
  }

  #parseRemoteVideo(
    fn: string,
    config: RemoteVideoConfig,
  ): { userId: string; streamType: TRTCStreamType; view: HTMLElement | null } {
    if (typeof config !== 'object' || config === null)
      throw RtcError.invalidParameter(fn, `${fn} needs {userId, streamType, view}`);
    return {
      userId: parseUserId(fn, config.userId),
      streamType: parseStreamType(fn, config.streamType),
      view: resolveView(fn, config.view),
    };
  }

  #preview(view: HTMLElement | null, mirror: boolean, streamType: TRTCStreamType): VideoView {
    const preview = new VideoView({
      mirror,
      onFirstFrame: (width, height) =>
        this.#events.emit(EVENT.FIRST_VIDEO_FRAME, { userId: '', streamType, width, height }),
      onSizeChanged: (newWidth, newHeight) =>
        this.#events.emit(EVENT.VIDEO_SIZE_CHANGED, { userId: '', streamType, newWidth, newHeight }),
    });
    preview.attach(view);
    return preview;
  }

  /** Publishes a freshly captured slot when in a room; on refusal releases the capture and rethrows. */
  async #publishOrRelease(slot: 'audio' | 'video' | 'sub', fn: string): Promise<void> {
    const room = this.#room;
    if (!room) return;
    await this.#entering;
    try {
      await room.publish(slot);
    } catch (err) {
      this.#local.release(slot);
      throw RtcError.from(fn, err);
    }
  }

  async #swapTrack(slot: 'audio' | 'video', local: LocalTrack, track: MediaStreamTrack, fn: string): Promise<void> {
    try {
      await this.#room?.replaceTrack(slot, track);
    } catch (err) {
      track.stop();
      throw RtcError.from(fn, err);
    }
    if (local.owned) local.track.stop();
    local.track = track;
    local.owned = true;
    local.view?.setTrack(track);
  }
}

function parseFlag(fn: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw RtcError.invalidParameter(fn, 'expected a boolean');
  return value;
}

function parseDevice(fn: string, device: unknown): ControlledDevice {
  if (device !== 'microphone' && device !== 'camera' && device !== 'screen')
    throw RtcError.invalidParameter(fn, "device must be 'microphone', 'camera' or 'screen'");
  return device;
}
