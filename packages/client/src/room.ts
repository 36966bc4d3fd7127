/**
 * One stay in one room, from enterRoom to exitRoom (or being kicked, or giving up reconnecting): the
 * connection engine, the media session, the remote roster and subscriptions, the 2-second statistics and
 * quality-sample loop, and publishing the local tracks. It emits TRTC events through the facade's emitter.
 */
import { qualitySampleSchema, type JoinAnswer, type QualitySample } from '@conclave/protocol';
import { base64ToArrayBuffer, bytesToBase64 } from './base64.ts';
import type { TRTCRole, TRTCStreamType } from './constants.ts';
import type { Emitter } from './emitter.ts';
import { RtcError } from './errors.ts';
import { applyEncoderLimits } from './encoder-limits.ts';
import { EVENT, type E2eeKeyHolder, type TRTCEventMap } from './events.ts';
import type { LocalMedia } from './local-media.ts';
import type { Logger } from './logger.ts';
import { MediaSession, type PublishSlot } from './media-session.ts';
import type { E2eeOptions } from './options.ts';
import type { RoomCredentials } from './params.ts';
import { RemoteMedia } from './remote-media.ts';
import { RemoteRoster } from './remote-roster.ts';
import { RoomControlClient } from './room-control.ts';
import { RoomE2ee } from './room-e2ee.ts';
import { SignalEngine } from './signal-engine.ts';
import type { Notification, SocketLike } from './signal-client.ts';
import { StatsCalculator, statsEntries } from './stats.ts';

/** The SDK version reported to the server. */
export const SDK_VERSION = '0.1.0';

const STATS_INTERVAL_MS = 2000;

/** What a {@link Room} needs from outside. */
export interface RoomContext {
  url: string;
  credentials: RoomCredentials;
  local: LocalMedia;
  events: Emitter<TRTCEventMap>;
  log: Logger;
  /** Called once when the room ends on its own (kicked, reconnection gave up). */
  onEnded: () => void;
  createSocket?: (url: string) => SocketLike;
  /** `'relay'`: TURN relays only (tests); see CreateOptions.iceTransportPolicy. */
  iceTransportPolicy?: 'all' | 'relay';
  /** The server closed a local stream (conference control): release that capture. */
  onDeviceClosed?: (slot: PublishSlot) => void;
}

/** PUBLISH_STATE_CHANGED's `mediaType` (TRTC v5) and `streamType` (camera and screen only) of a slot. */
const publishKind = (slot: PublishSlot): { mediaType: 'audio' | 'video' | 'screen'; streamType?: TRTCStreamType } =>
  slot === 'audio'
    ? { mediaType: 'audio' }
    : slot === 'sub'
      ? { mediaType: 'screen', streamType: 'sub' }
      : { mediaType: 'video', streamType: 'main' };

/** A joined (or joining) room. */
export class Room {
  readonly credentials: RoomCredentials;
  readonly remote: RemoteMedia;
  /** Conference control: state, names, host actions. */
  readonly control: RoomControlClient;
  readonly #ctx: RoomContext;
  readonly #engine: SignalEngine;
  readonly #roster: RemoteRoster;
  readonly #log: Logger;
  readonly #stats = new StatsCalculator();
  readonly #volumeStats = new StatsCalculator();
  #session: MediaSession | undefined;
  /** End-to-end encryption, when the app asked for it (made before joining: managed mode publishes a key). */
  #e2ee: RoomE2ee | undefined;
  /** Notifications that arrive before the join snapshot is applied. */
  #early: Notification[] | undefined = [];
  /** Serialises session rebuilds and publishing so they never interleave. */
  #mediaChain: Promise<unknown> = Promise.resolve();
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #volumeTimer: ReturnType<typeof setInterval> | undefined;
  #ended = false;

  constructor(ctx: RoomContext) {
    this.#ctx = ctx;
    this.credentials = ctx.credentials;
    this.#log = ctx.log.child({ userId: ctx.credentials.userId });
    this.#engine = new SignalEngine({
      url: ctx.url,
      log: this.#log,
      createSocket: ctx.createSocket,
      rtpCapabilities: () =>
        this.#session?.device.loaded
          ? (this.#session.device.rtpCapabilities as unknown as Record<string, unknown>)
          : undefined,
    });
    this.#roster = new RemoteRoster(ctx.credentials.userId, ctx.credentials.scene);
    this.control = new RoomControlClient(ctx.credentials.userId, ctx.credentials.userName, {
      request: this.#engine.request,
      events: ctx.events,
      onDeviceClosed: (slot) => {
        if (this.#ended) return;
        void this.unpublish(slot).catch(() => undefined);
        ctx.onDeviceClosed?.(slot);
      },
    });
    this.remote = new RemoteMedia(
      this.#roster,
      ctx.credentials,
      {
        onFirstFrame: (userId, streamType, width, height) =>
          this.#emit(EVENT.FIRST_VIDEO_FRAME, { userId, streamType, width, height }),
        onSizeChanged: (userId, streamType, newWidth, newHeight) =>
          this.#emit(EVENT.VIDEO_SIZE_CHANGED, { userId, streamType, newWidth, newHeight }),
        onAutoplayFailed: (userId, resume) => this.#emit(EVENT.AUTOPLAY_FAILED, { userId, mediaType: 'audio', resume }),
      },
      this.#log,
    );
    this.#wire();
  }

  get role(): TRTCRole {
    return this.credentials.role;
  }

  /** Joins, builds the media session, applies the room snapshot and publishes what is captured. */
  async enter(): Promise<void> {
    const c = this.credentials;
    if (c.e2ee) {
      const e2ee = await this.#createE2ee(c.e2ee);
      if (this.#ended) {
        e2ee.close();
        throw RtcError.aborted('enterRoom', 'left the room while preparing E2EE');
      }
      this.#e2ee = e2ee;
    }
    let answer: JoinAnswer;
    try {
      answer = await this.#engine.join({
        sdkAppId: c.sdkAppId,
        userId: c.userId,
        userSig: c.userSig,
        ...c.room,
        role: c.role,
        scene: c.scene,
        ...(c.privateMapKey ? { privateMapKey: c.privateMapKey } : {}),
        ...this.#e2ee?.joinFields(c.requireE2ee),
        ...(c.userName !== undefined ? { userName: c.userName } : {}),
        ...(c.roomPassword !== undefined ? { roomPassword: c.roomPassword } : {}),
        sdkVersion: SDK_VERSION,
        os: describeOs(),
      });
    } catch (err) {
      this.#e2ee?.close();
      this.#e2ee = undefined;
      throw err;
    }
    try {
      // Never send plain media into a room that requires E2EE (the server refuses such entrants anyway).
      if (answer.e2eeRequired && !this.#e2ee)
        throw RtcError.fromServer('enterRoom', 'E2EE_REQUIRED', 'this room requires end-to-end encryption');
      await this.#adoptSession(answer, true);
    } catch (err) {
      await this.leave();
      throw err;
    }
    this.#statsTimer = setInterval(() => void this.#tick(), STATS_INTERVAL_MS);
    if (this.#e2ee) this.#emit(EVENT.E2EE_STATE_CHANGED, { enabled: true, mode: this.#e2ee.mode });
    if (this.role === 'anchor') {
      for (const slot of this.#ctx.local.slots())
        this.publish(slot).catch((err: unknown) => this.#emit(EVENT.ERROR, RtcError.from('enterRoom', err)));
    }
  }

  /**
   * switchRoom: reports every remote user and stream of this room as gone (REMOTE_*_UNAVAILABLE, then
   * REMOTE_USER_EXIT), so the app clears their views before the next room's users arrive. Call leave() next.
   */
  vacate(): void {
    this.#roster.handleSnapshot([], []);
  }

  /** Leaves the room and releases everything but the local capture. */
  async leave(): Promise<void> {
    this.#stop();
    await this.#engine.leave();
  }

  /** Publishes a captured slot now (no-op without a session); rejects with the server's refusal. */
  publish(slot: PublishSlot): Promise<void> {
    return this.#serial(async () => {
      const session = this.#session;
      const req = this.#ctx.local.publishRequest(slot);
      if (!session || session.closed || !req || session.producer(slot)) return;
      const kind = publishKind(slot);
      this.#emit(EVENT.PUBLISH_STATE_CHANGED, { state: 'starting', ...kind });
      try {
        const producer = await session.publish(req);
        producer.on('trackended', () => this.#log.warn('a published track ended', { slot }));
        this.#emit(EVENT.PUBLISH_STATE_CHANGED, { state: 'started', ...kind });
      } catch (err) {
        const error = RtcError.from(
          slot === 'sub' ? 'startScreenShare' : slot === 'video' ? 'startLocalVideo' : 'startLocalAudio',
          err,
        );
        this.#emit(EVENT.PUBLISH_STATE_CHANGED, { state: 'stopped', ...kind, error });
        throw error;
      }
    });
  }

  /** Stops publishing a slot. */
  unpublish(slot: PublishSlot): Promise<void> {
    return this.#serial(async () => {
      const session = this.#session;
      if (!session?.producer(slot)) return;
      await session.unpublish(slot);
      this.#emit(EVENT.PUBLISH_STATE_CHANGED, { state: 'stopped', ...publishKind(slot) });
    });
  }

  /** Mutes or unmutes a published slot (the track stays captured). */
  setMuted(slot: PublishSlot, muted: boolean): Promise<void> {
    return this.#serial(async () => this.#session?.setProducerPaused(slot, muted));
  }

  /** Swaps the track of a published slot (device change). */
  replaceTrack(slot: PublishSlot, track: MediaStreamTrack): Promise<void> {
    return this.#serial(async () => this.#session?.producer(slot)?.replaceTrack({ track }));
  }

  /** Applies the slot's current profile's bitrate and frame-rate ceilings to its live sender (profile change). */
  applyEncoderLimits(slot: PublishSlot): Promise<void> {
    return this.#serial(async () => {
      const sender = this.#session?.producer(slot)?.rtpSender;
      const req = this.#ctx.local.publishRequest(slot);
      if (!sender || !req) return;
      await applyEncoderLimits(sender, { maxBitrateKbps: req.maxBitrateKbps, maxFramerate: req.maxFramerate });
    });
  }

  /** Switches role: an audience stops publishing first; an anchor publishes what is captured after. */
  async switchRole(role: TRTCRole, privateMapKey: string | undefined): Promise<void> {
    if (role === 'audience') for (const slot of ['audio', 'video', 'sub'] as const) await this.unpublish(slot);
    await this.#engine.request('switchRole', { role, ...(privateMapKey ? { privateMapKey } : {}) });
    this.credentials.role = role;
    if (privateMapKey) this.credentials.privateMapKey = privateMapKey;
    if (role === 'anchor') for (const slot of this.#ctx.local.slots()) await this.publish(slot);
  }

  /** Sends a TRTC custom message to everyone else in the room. */
  async sendCustomMessage(cmdId: number, bytes: Uint8Array): Promise<void> {
    await this.#engine.request('customMessage', { cmdId, data: bytesToBase64(bytes) });
  }

  /** Shared E2EE mode: switches to a new room secret (5100 without E2EE or in managed mode). */
  async setE2eeSecret(secret: string): Promise<void> {
    if (!this.#e2ee) throw RtcError.invalidOperation('setE2eeSecret', 'this room was entered without e2ee');
    await this.#e2ee.setSecret(secret);
  }

  /** Managed E2EE mode: the room security code (5100 otherwise). */
  async securityCode(): Promise<string> {
    if (!this.#e2ee) throw RtcError.invalidOperation('getSecurityCode', 'this room was entered without e2ee');
    return this.#e2ee.securityCode();
  }

  /** Managed E2EE mode: who holds the local media key (5100 otherwise). */
  async e2eeKeyHolders(): Promise<E2eeKeyHolder[]> {
    if (!this.#e2ee) throw RtcError.invalidOperation('getE2eeKeyHolders', 'this room was entered without e2ee');
    return this.#e2ee.keyHolders();
  }

  /** Managed E2EE mode: accepts a refused key change (5100 otherwise, 5000 when none is pending). */
  async acceptE2eePeerKey(userId: string, fingerprint: string): Promise<void> {
    if (!this.#e2ee) throw RtcError.invalidOperation('acceptE2eePeerKey', 'this room was entered without e2ee');
    await this.#e2ee.acceptPeerKey(userId, fingerprint);
  }

  /** Starts (interval > 0) or stops AUDIO_VOLUME reports. */
  setVolumeInterval(intervalMs: number): void {
    if (this.#volumeTimer) clearInterval(this.#volumeTimer);
    this.#volumeTimer = undefined;
    if (intervalMs > 0 && !this.#ended) this.#volumeTimer = setInterval(() => void this.#volumeTick(), intervalMs);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#mediaChain.catch(() => undefined).then(task);
    this.#mediaChain = run;
    return run;
  }

  #emit<K extends keyof TRTCEventMap>(event: K, ...args: TRTCEventMap[K]): void {
    if (!this.#ended) this.#ctx.events.emit(event, ...args);
  }

  #wire(): void {
    const e = this.#engine;
    e.on('state', (prevState, state) => this.#ctx.events.emit(EVENT.CONNECTION_STATE_CHANGED, { prevState, state }));
    e.on('notification', (n) => (this.#early ? this.#early.push(n) : this.#onNotification(n)));
    e.on('session', (answer, how) => {
      this.#serial(() => this.#adoptSession(answer, how === 'rejoin')).catch((err: unknown) =>
        this.#emit(EVENT.ERROR, RtcError.from('reconnect', err)),
      );
    });
    e.on('kicked', ({ reason, message }) => {
      this.#log.warn('kicked out', { reason });
      this.#end();
      this.#ctx.events.emit(EVENT.KICKED_OUT, { reason, message });
    });
    e.on('failed', (error) => {
      this.#end();
      this.#ctx.events.emit(EVENT.ERROR, error);
    });
    const r = this.#roster;
    r.on('userEnter', (userId) => {
      const userName = this.control.nameOf(userId);
      this.#emit(EVENT.REMOTE_USER_ENTER, userName !== undefined ? { userId, userName } : { userId });
    });
    r.on('userExit', (userId) => this.#emit(EVENT.REMOTE_USER_EXIT, { userId }));
    r.on('audioAvailable', (userId) => this.#emit(EVENT.REMOTE_AUDIO_AVAILABLE, { userId }));
    r.on('audioUnavailable', (userId) => this.#emit(EVENT.REMOTE_AUDIO_UNAVAILABLE, { userId }));
    r.on('videoAvailable', (userId, streamType) => this.#emit(EVENT.REMOTE_VIDEO_AVAILABLE, { userId, streamType }));
    r.on('videoUnavailable', (userId, streamType) =>
      this.#emit(EVENT.REMOTE_VIDEO_UNAVAILABLE, { userId, streamType }),
    );
    r.on('streamsChanged', () => void this.remote.reconcile());
    r.on('recordingChanged', (userIds) =>
      this.#emit(EVENT.RECORDING_STATE_CHANGED, { recording: userIds.length > 0, userIds }),
    );
  }

  /**
   * Takes a join/resume answer: keeps the media session when the server kept its transports, otherwise
   * builds a new one and republishes; then applies the snapshot and reconciles subscriptions.
   */
  async #adoptSession(answer: JoinAnswer, fresh: boolean): Promise<void> {
    const old = this.#session;
    const keep = !fresh && old !== undefined && !old.closed && old.matches(answer);
    if (!keep) {
      old?.close();
      this.#stats.reset();
      this.#volumeStats.reset();
      this.#session = undefined;
      const session = await MediaSession.create(
        answer,
        this.#engine.request,
        this.#log.child({ subsystem: 'media' }),
        this.#e2ee,
        { iceTransportPolicy: this.#ctx.iceTransportPolicy ?? 'all' },
      );
      if (this.#ended) {
        session.close();
        throw RtcError.aborted('enterRoom', 'left the room while connecting media');
      }
      session.on('failed', (direction, err) => {
        this.#log.error('ICE restart failed', { direction, error: err instanceof Error ? err.message : String(err) });
        if (session === this.#session) this.#engine.handleMediaReset();
      });
      this.#session = session;
    }
    this.control.handleSnapshot(answer.participants, answer.control);
    this.#roster.handleSnapshot(answer.participants, answer.streams);
    this.#e2ee?.syncParticipants(answer.participants.filter((p) => p.userId !== this.credentials.userId));
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const n of early) this.#onNotification(n);
    void this.remote.setSession(this.#session);
    if (!keep && old && this.role === 'anchor') {
      // Republish after a rebuild (not on first entry: enter() does that). Runs after this serial task.
      for (const slot of this.#ctx.local.slots()) {
        void this.publish(slot).catch((err: unknown) => this.#emit(EVENT.ERROR, RtcError.from('reconnect', err)));
      }
    }
  }

  #onNotification(n: Notification): void {
    const r = this.#roster;
    switch (n.name) {
      case 'participantJoined':
        this.#e2ee?.handleParticipant(n.data);
        this.control.handleParticipant(n.data);
        return r.handleParticipantJoined(n.data);
      case 'participantLeft':
        this.#e2ee?.handleParticipantLeft(n.data.userId);
        r.handleParticipantLeft(n.data.userId);
        return this.control.handleParticipantLeft(n.data.userId);
      case 'roomControl':
        return this.#ended ? undefined : this.control.handleState(n.data);
      case 'deviceRequest':
        return this.#ended ? undefined : this.control.handleDeviceRequest(n.data);
      case 'deviceRequestAnswered':
        return this.#ended ? undefined : this.control.handleDeviceRequestAnswered(n.data);
      case 'deviceClosed':
        return this.control.handleDeviceClosed(n.data);
      case 'chatMessage':
        return this.#ended ? undefined : this.control.handleChat(n.data);
      case 'roleChanged':
        this.#e2ee?.handleParticipant(n.data);
        return r.handleRoleChanged(n.data);
      case 'e2eeKeyMessage':
        return this.#e2ee?.handleKeyMessage(n.data.from, n.data.payload);
      case 'streamAdded':
        return r.handleStreamAdded(n.data);
      case 'streamRemoved':
        return r.handleStreamRemoved(n.data.producerId);
      case 'streamPaused':
        return r.handleStreamPaused(n.data.producerId, true);
      case 'streamResumed':
        return r.handleStreamPaused(n.data.producerId, false);
      case 'consumerClosed':
        if (this.#session?.handleConsumerClosed(n.data.consumerId)) void this.remote.reconcile();
        return;
      case 'customMessage': {
        let data: ArrayBuffer;
        try {
          data = base64ToArrayBuffer(n.data.data);
        } catch {
          return this.#log.warn('dropping a custom message with malformed data', { userId: n.data.userId });
        }
        return this.#emit(EVENT.CUSTOM_MESSAGE, { userId: n.data.userId, cmdId: n.data.cmdId, seq: n.data.seq, data });
      }
      case 'tokenExpiring':
        return this.#log.warn('the UserSig expires soon; the server will end the session then', {
          expiresAt: n.data.expiresAt,
        });
      default:
        return this.#log.debug('ignoring notification', { name: n.name });
    }
  }

  async #collect(calc: StatsCalculator) {
    const session = this.#session;
    if (!session || session.closed) return undefined;
    const [send, recv] = await Promise.all([
      session.sendTransport.getStats().catch(() => undefined),
      session.recvTransport.getStats().catch(() => undefined),
    ]);
    return calc.compute({
      now: Date.now(),
      send: statsEntries(send),
      recv: statsEntries(recv),
      localTracks: this.#ctx.local.trackSlots(),
      remoteTracks: this.remote.remoteTracks(),
      connected: this.#engine.state === 'CONNECTED',
    });
  }

  async #tick(): Promise<void> {
    const summary = await this.#collect(this.#stats);
    if (!summary || this.#ended) return;
    this.#emit(EVENT.STATISTICS, summary.statistics);
    this.#emit(EVENT.NETWORK_QUALITY, summary.network);
    const audio = this.#ctx.local.get('audio');
    const video = this.#ctx.local.get('video');
    const sample: QualitySample = {
      ts: Date.now(),
      audioEnabled: audio !== undefined,
      videoEnabled: video !== undefined,
      audioMuted: audio?.muted ?? false,
      videoMuted: video?.muted ?? false,
      ...summary.sample,
    };
    const parsed = qualitySampleSchema.safeParse(sample);
    if (!parsed.success) return this.#log.debug('quality sample out of bounds; not sent');
    if (this.#engine.state === 'CONNECTED') this.#engine.request('qualitySample', parsed.data).catch(() => undefined);
  }

  async #volumeTick(): Promise<void> {
    const summary = await this.#collect(this.#volumeStats);
    if (summary) this.#emit(EVENT.AUDIO_VOLUME, { result: summary.volumes });
  }

  /** Stops timers and media; the room emits nothing more. */
  #stop(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    if (this.#volumeTimer) clearInterval(this.#volumeTimer);
    this.#session?.close();
    this.#session = undefined;
    this.remote.clear();
    this.#roster.clear();
    const e2ee = this.#e2ee;
    this.#e2ee = undefined;
    if (e2ee) {
      e2ee.close();
      this.#ctx.events.emit(EVENT.E2EE_STATE_CHANGED, { enabled: false, mode: e2ee.mode });
    }
  }

  #createE2ee(options: E2eeOptions): Promise<RoomE2ee> {
    const c = this.credentials;
    return RoomE2ee.create(options, {
      userId: c.userId,
      // Numeric room 123 and string room "123" are different rooms: their keys must differ too.
      roomKeyId: 'roomId' in c.room ? `roomId:${c.room.roomId}` : `strRoomId:${c.room.strRoomId}`,
      log: this.#log.child({ subsystem: 'e2ee' }),
      hooks: {
        sendKeyMessage: (to, payload) => this.#engine.request('e2eeKeyMessage', { to, payload }),
        onKeyChanged: (userId, keyId) =>
          this.#emit(EVENT.E2EE_KEY_CHANGED, keyId === undefined ? { userId } : { userId, keyId }),
        onDecryptionFailed: (userId, count) => this.#emit(EVENT.E2EE_DECRYPTION_FAILED, { userId, count }),
        onSecurityCodeChanged: (code, keyHolders) => this.#emit(EVENT.E2EE_SECURITY_CODE_CHANGED, { code, keyHolders }),
        onPeerKeyChanged: (change) => this.#emit(EVENT.E2EE_PEER_KEY_CHANGED, change),
        onPeerKeyRefused: (userId, fingerprint) => this.#emit(EVENT.E2EE_PEER_KEY_REFUSED, { userId, fingerprint }),
      },
    });
  }

  #end(): void {
    if (this.#ended) return;
    this.#stop();
    this.#ctx.onEnded();
  }
}

function describeOs(): string {
  if (typeof navigator === 'undefined') return 'unknown';
  const nav = navigator as Navigator & { userAgentData?: { platform?: string } };
  return (nav.userAgentData?.platform || nav.platform || 'unknown').slice(0, 64);
}
