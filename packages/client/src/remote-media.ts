/**
 * What the application wants to receive (startRemoteVideo views, small/big choice, muted users, auto-receive
 * flags) reconciled with what the room offers ({@link RemoteRoster}) and what the current
 * {@link MediaSession} consumes. Every change of either side calls {@link RemoteMedia.reconcile}, so a
 * reconnection only has to hand over a new session and everything wanted is received again.
 */
import type { RemoteStream } from '@conclave/protocol';
import type { TRTCStreamType } from './constants.ts';
import { AutoplayGate } from './autoplay.ts';
import type { Logger } from './logger.ts';
import type { MediaSession } from './media-session.ts';
import { AudioPlayer, VideoView } from './playback.ts';
import type { RemoteRoster } from './remote-roster.ts';
import type { RemoteTrackInfo } from './stats.ts';

/**
 * A stream that failed to be received is tried again after 1 s, then twice as long each time up to 8 s, at
 * most 8 times in a row (about 45 s: a server replacing a crashed media worker under load may need that long).
 */
const RECEIVE_RETRY_MS = 1000;
const RECEIVE_RETRY_MAX_MS = 8000;
const MAX_RECEIVE_RETRIES = 8;

/** Callbacks into the facade. */
export interface RemoteMediaHooks {
  onFirstFrame(userId: string, streamType: TRTCStreamType, width: number, height: number): void;
  onSizeChanged(userId: string, streamType: TRTCStreamType, width: number, height: number): void;
  /** `resume` retries the refused playback; call it from a user gesture (the SDK also retries on the next one). */
  onAutoplayFailed(userId: string, resume: () => Promise<void>): void;
}

interface VideoWish {
  view: VideoView;
  small: boolean;
}

type WishKey = `${string}|${TRTCStreamType}`;

/** Remote subscriptions and their playback. */
export class RemoteMedia {
  readonly #roster: RemoteRoster;
  readonly #log: Logger;
  readonly #hooks: RemoteMediaHooks;
  readonly #autoAudio: boolean;
  readonly #autoVideo: boolean;
  readonly #videoWishes = new Map<WishKey, VideoWish>();
  readonly #audioMuted = new Set<string>();
  readonly #audioUnmuted = new Set<string>();
  readonly #audioPlayers = new Map<string, AudioPlayer>();
  readonly #volumes = new Map<string, number>();
  readonly #autoplay = new AutoplayGate();
  #session: MediaSession | undefined;
  #chain: Promise<Map<string, unknown>> = Promise.resolve(new Map());
  /** Bumped with each new media session: reconciliations queued for an earlier one are dropped. */
  #generation = 0;
  /** Pending retry of streams that failed to be received (e.g. while a rejoin settles), and how many in a row. */
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retries = 0;

  constructor(
    roster: RemoteRoster,
    options: { autoReceiveAudio: boolean; autoReceiveVideo: boolean },
    hooks: RemoteMediaHooks,
    log: Logger,
  ) {
    this.#roster = roster;
    this.#autoAudio = options.autoReceiveAudio;
    this.#autoVideo = options.autoReceiveVideo;
    this.#hooks = hooks;
    this.#log = log;
  }

  /** Hands over a (new) media session and receives everything wanted on it. */
  setSession(session: MediaSession | undefined): Promise<Map<string, unknown>> {
    if (session !== this.#session) {
      // A reconciliation still running on the previous session (its node gone mid-request) must not hold up the
      // new one: a new chain starts, and what was queued on the old one is dropped. The one running finishes on
      // the session it started with, which is closed; two never run on the same session.
      this.#generation++;
      this.#chain = Promise.resolve(new Map());
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#retries = 0;
    }
    this.#session = session;
    return this.reconcile();
  }

  /** Starts (or re-targets) playback of a remote video; rejects with the consume error, if any. */
  async startVideo(
    userId: string,
    streamType: TRTCStreamType,
    view: HTMLElement | null,
    small: boolean,
  ): Promise<void> {
    const key: WishKey = `${userId}|${streamType}`;
    let wish = this.#videoWishes.get(key);
    if (!wish) {
      const videoView = new VideoView({
        onFirstFrame: (w, h) => this.#hooks.onFirstFrame(userId, streamType, w, h),
        onSizeChanged: (w, h) => this.#hooks.onSizeChanged(userId, streamType, w, h),
      });
      wish = { view: videoView, small };
      this.#videoWishes.set(key, wish);
    }
    wish.small = small;
    wish.view.attach(view);
    const errors = await this.reconcile();
    const stream = this.#roster.findStream(userId, 'video', streamType);
    const error = stream && errors.get(stream.producerId);
    if (error) throw error;
  }

  /** Changes the view or layer of a started remote video. Returns false when it was not started. */
  async updateVideo(
    userId: string,
    streamType: TRTCStreamType,
    view: HTMLElement | null | undefined,
    small: boolean | undefined,
  ): Promise<boolean> {
    const wish = this.#videoWishes.get(`${userId}|${streamType}`);
    if (!wish) return false;
    if (view !== undefined) wish.view.attach(view);
    if (small !== undefined) wish.small = small;
    const errors = await this.reconcile();
    const stream = this.#roster.findStream(userId, 'video', streamType);
    const error = stream && errors.get(stream.producerId);
    if (error) throw error;
    return true;
  }

  /** Stops remote videos: one, all of a user, or all (no userId). */
  async stopVideo(userId?: string, streamType?: TRTCStreamType): Promise<void> {
    for (const [key, wish] of this.#videoWishes) {
      const [u, t] = key.split('|');
      if ((userId === undefined || u === userId) && (streamType === undefined || t === streamType)) {
        wish.view.destroy();
        this.#videoWishes.delete(key);
      }
    }
    await this.reconcile();
  }

  /** Mutes (stops receiving) or unmutes one user's audio. */
  async muteAudio(userId: string, mute: boolean): Promise<void> {
    if (mute) {
      this.#audioMuted.add(userId);
      this.#audioUnmuted.delete(userId);
    } else {
      this.#audioMuted.delete(userId);
      this.#audioUnmuted.add(userId);
    }
    await this.reconcile();
  }

  /** Playback volume 0..100 of one user. */
  setVolume(userId: string, volume: number): void {
    this.#volumes.set(userId, volume);
    this.#audioPlayers.get(userId)?.setVolume(volume);
  }

  /** The `<video>` showing a started remote video that has a track (getVideoSnapshot). */
  videoElement(userId: string, streamType: TRTCStreamType): HTMLVideoElement | undefined {
    const wish = this.#videoWishes.get(`${userId}|${streamType}`);
    return wish?.view.track ? wish.view.element : undefined;
  }

  /** Remote track ids and what they carry, for statistics. */
  remoteTracks(): Map<string, RemoteTrackInfo> {
    const out = new Map<string, RemoteTrackInfo>();
    for (const { consumer, stream, small } of this.#session?.consumers.values() ?? []) {
      out.set(consumer.track.id, { userId: stream.userId, kind: stream.kind, streamType: stream.streamType, small });
    }
    return out;
  }

  /** Stops all playback and forgets every wish (exitRoom, kicked). */
  clear(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#retries = 0;
    for (const wish of this.#videoWishes.values()) wish.view.destroy();
    this.#videoWishes.clear();
    for (const player of this.#audioPlayers.values()) player.destroy();
    this.#audioPlayers.clear();
    this.#autoplay.clear();
    this.#audioMuted.clear();
    this.#audioUnmuted.clear();
    this.#session = undefined;
  }

  /** Brings consumption in line with wishes and availability; resolves with per-producer errors. */
  reconcile(): Promise<Map<string, unknown>> {
    const generation = this.#generation;
    this.#chain = this.#chain
      .catch(() => new Map())
      .then(() => (generation === this.#generation ? this.#reconcileNow() : new Map()));
    return this.#chain;
  }

  #wantsAudio(userId: string): boolean {
    if (this.#audioMuted.has(userId)) return false;
    return this.#autoAudio || this.#audioUnmuted.has(userId);
  }

  #wanted(stream: RemoteStream): { small: boolean } | undefined {
    if (stream.kind === 'audio')
      return stream.streamType === 'main' && this.#wantsAudio(stream.userId) ? { small: false } : undefined;
    const wish = this.#videoWishes.get(`${stream.userId}|${stream.streamType}`);
    if (wish) return { small: wish.small && stream.streamType === 'main' && stream.simulcast };
    return this.#autoVideo ? { small: false } : undefined;
  }

  async #reconcileNow(): Promise<Map<string, unknown>> {
    const errors = new Map<string, unknown>();
    const session = this.#session;
    if (!session || session.closed) {
      this.#render();
      return errors;
    }
    const streams = this.#roster.streams;
    for (const producerId of [...session.consumers.keys()]) {
      const stream = streams.get(producerId);
      if (!stream) session.dropConsumer(producerId);
      else if (!this.#wanted(stream)) await session.unconsume(producerId);
    }
    // All at once: the requests overlap and mediasoup-client negotiates consumers created together in one
    // SDP exchange, so a meeting's first pictures do not queue behind each other's round trips.
    const tasks: Promise<void>[] = [];
    for (const stream of streams.values()) {
      const wanted = this.#wanted(stream);
      if (!wanted || session.closed) continue;
      const existing = session.consumers.get(stream.producerId);
      const task = !existing
        ? session.consume(stream, wanted.small).then(() => this.#render())
        : existing.small !== wanted.small
          ? session.setConsumerLayer(stream.producerId, wanted.small)
          : undefined;
      tasks.push(
        (task ?? Promise.resolve()).catch((err: unknown) => {
          errors.set(stream.producerId, err);
          this.#log.warn('cannot receive a remote stream', {
            userId: stream.userId,
            kind: stream.kind,
            streamType: stream.streamType,
            error: err instanceof Error ? err.message : String(err),
          });
        }),
      );
    }
    await Promise.all(tasks);
    this.#render();
    this.#scheduleRetry(errors.size > 0);
    return errors;
  }

  /**
   * A stream that could not be received is tried again a few times: after a reconnection or a media reset the
   * publisher's side may still be settling, and nothing else would ask again.
   */
  #scheduleRetry(failed: boolean): void {
    if (!failed) {
      this.#retries = 0;
      return;
    }
    if (this.#retryTimer !== undefined || this.#retries >= MAX_RECEIVE_RETRIES) return;
    const delay = Math.min(RECEIVE_RETRY_MS * 2 ** this.#retries, RECEIVE_RETRY_MAX_MS);
    this.#retries++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.reconcile();
    }, delay);
  }

  /** Points every view and audio player at the current consumers' tracks. */
  #render(): void {
    const consumers = this.#session?.closed ? undefined : this.#session?.consumers;
    const trackOf = (userId: string, kind: 'audio' | 'video', streamType: TRTCStreamType) => {
      const stream = this.#roster.findStream(userId, kind, streamType);
      const entry = stream && consumers?.get(stream.producerId);
      return entry ? entry.consumer.track : null;
    };
    for (const [key, wish] of this.#videoWishes) {
      const [userId = '', streamType] = key.split('|') as [string, TRTCStreamType];
      wish.view.setTrack(trackOf(userId, 'video', streamType));
    }
    const audioUsers = new Set<string>();
    for (const entry of consumers?.values() ?? [])
      if (entry.stream.kind === 'audio') audioUsers.add(entry.stream.userId);
    for (const [userId, player] of this.#audioPlayers) {
      if (!audioUsers.has(userId)) {
        player.destroy();
        this.#audioPlayers.delete(userId);
        this.#autoplay.forget(`${userId}|audio`);
      }
    }
    for (const userId of audioUsers) {
      let player = this.#audioPlayers.get(userId);
      if (!player) {
        player = new AudioPlayer((retry) =>
          this.#hooks.onAutoplayFailed(userId, this.#autoplay.blocked(`${userId}|audio`, retry)),
        );
        player.setVolume(this.#volumes.get(userId) ?? 100);
        this.#audioPlayers.set(userId, player);
      }
      player.setTrack(trackOf(userId, 'audio', 'main'));
    }
  }
}
