/**
 * The key-holding recorder: a headless participant that joins a room through the normal signaling with its own
 * UserSig and a PrivateMapKey carrying the Record privilege (so everyone sees `recording: true`), receives each
 * stream as plain RTP on a UDP socket (the SFU's comedia PlainTransport), depacketizes VP8 and Opus, decrypts
 * each frame with the room's E2EE secret when it has one, and writes one WebM per user and segment to the
 * customer's storage. Nothing here runs on the server; no key leaves this process.
 */
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { ConclaveError, type RemoteStream, type RecordStreamAnswer } from '@conclave/protocol';
import type { FrameDecryptor } from './frame-decryptor.ts';
import { roomKeyId, sharedSecretDecryptor } from './frame-decryptor.ts';
import { OpusDepacketizer } from './opus-depacketizer.ts';
import { MixedRecording } from './mix/mixed-recording.ts';
import {
  mixOutputFormat,
  parseMixLayout,
  type MixLayout,
  type MixLayoutParams,
  type MixTranscodeParams,
} from './mix/mix-params.ts';
import { recordLimits, type RecordLimits, type RecordParams, type SubscribeStreamUserIds } from './record-params.ts';
import {
  buildEmptyReceiverReport,
  buildPli,
  isRtcp,
  MAX_RTP_PACKET_BYTES,
  parseRtp,
  TimestampUnwrapper,
} from './rtp.ts';
import { SignalSession } from './signal-session.ts';
import type { LocalDirectoryStorage, StoredFile } from './storage.ts';
import { UserSegment } from './user-segment.ts';
import { Vp8Depacketizer } from './vp8-depacketizer.ts';

export type RoomRef = { roomId: number } | { strRoomId: string };

export interface RecorderOptions {
  /** The Conclave server (`https://host:port`). */
  serverUrl: string;
  sdkAppId: number;
  room: RoomRef;
  /** The recorder's own userId, UserSig and a PrivateMapKey for this room with the Record bit (256). */
  userId: string;
  userSig: string;
  privateMapKey: string;
  storage: LocalDirectoryStorage;
  /** TRTC RecordParams (RecordMode 1 single stream, 2 mixed). */
  recordParams?: RecordParams;
  /** RecordMode 2: TRTC's MixLayoutParams (default: grid) and MixTranscodeParams. */
  mix?: { layout?: MixLayoutParams; transcode?: MixTranscodeParams };
  /** Shared-secret E2EE: the room's secret, held only here. */
  e2ee?: { mode: 'shared'; secret: string };
  /**
   * Diagnostics only: enter an E2EE room without a key and write frames as they arrive (ciphertext). Used to show
   * that what the server forwards decodes to no picture.
   */
  keepCiphertext?: boolean;
  taskId?: string;
  /** Local address of the RTP socket (default 0.0.0.0). */
  bindAddress?: string;
  /** Accept a self-signed server certificate (dev servers). */
  insecureTls?: boolean;
  /** Overrides RecordParams' minute/second limits (tests). */
  limits?: Partial<Pick<RecordLimits, 'maxIdleMs' | 'maxFileMs'>>;
  scene?: 'rtc' | 'live';
}

/** Why a recording ended: LeaveCode-like. */
export type StopReason = 'requested' | 'idle' | 'kicked' | 'disconnected' | 'failed';

/** ModifyCloudRecording's changes (TRTC: SubscribeStreamUserIds, MixLayoutParams). */
export interface RecorderModification {
  /** New allow/deny lists; replaces the old ones whole. Applied live in RecordMode 1. */
  subscribe?: SubscribeStreamUserIds;
  /** TRTC MixLayoutParams: the mixed layout from now on (RecordMode 2 only; see {@link Recorder.modifyMixLayout}). */
  mixLayout?: MixLayoutParams;
}

type RecorderEvents = {
  file: [file: StoredFile];
  /** modify() was applied. */
  modified: [change: RecorderModification];
  /** A problem that did not stop the task (a failed remux, frames that do not decrypt). */
  warning: [code: string, message: string];
  stopped: [reason: StopReason, files: StoredFile[]];
};

interface Track {
  userId: string;
  kind: 'audio' | 'video';
  /** 0 main, 1 sub (screen share: recorded in mixed mode). */
  mediaId: 0 | 1;
  ssrc: number;
  payloadType: number;
  mimeType: string;
  producerId: string;
  unwrapper: TimestampUnwrapper;
  vp8?: Vp8Depacketizer;
  opus?: OpusDepacketizer;
  /** Frames queued for decryption and writing (bounded). */
  queued: number;
  chain: Promise<void>;
  /** A frame was lost after depacketizing (queue full, decryption failed, new segment): skip to a keyframe. */
  waitKeyframe: boolean;
  /** Not recorded for now (ModifyCloudRecording's lists leave it out); packets are dropped. */
  paused: boolean;
  written: number;
  undecryptable: number;
  warned: boolean;
}

const TICK_MS = 1000;
const MAX_QUEUED_FRAMES = 256;
const USER_ID = /^[A-Za-z0-9_-]{1,32}$/;
const RECORDER_SSRC = 0x52454331; // "REC1"
const WARN_AFTER_UNDECRYPTABLE = 25;
/** Streams of the room remembered for later subscription changes. */
const MAX_KNOWN_STREAMS = 256;

export class Recorder extends EventEmitter<RecorderEvents> {
  readonly taskId: string;
  readonly files: StoredFile[] = [];
  readonly #o: RecorderOptions;
  #limits: RecordLimits;
  /** The room's streams as announced (recorded or not), so a modified list can pick them up later. */
  readonly #streams = new Map<string, RemoteStream>();
  #signal: SignalSession | undefined;
  #socket: dgram.Socket | undefined;
  #sfu: { ip: string; port: number } | undefined;
  #decryptor: FrameDecryptor | undefined;
  readonly #tracks = new Map<number, Track>();
  readonly #segments = new Map<string, UserSegment>();
  readonly #finishing: Promise<void>[] = [];
  #workDir: string | undefined;
  /** RecordMode 2: the mixer that takes every frame instead of the per-user segments. */
  #mix: MixedRecording | undefined;
  /** A layout set by {@link Recorder.modifyMixLayout} before start(). */
  #mixLayout: MixLayout | undefined;
  /** Users in the order they entered the room (mixed layouts place them so). */
  readonly #joinOrder = new Map<string, number>();
  #joins = 0;
  #tick: NodeJS.Timeout | undefined;
  #lastMediaAt = Date.now();
  #mediaSeen = false;
  #stopping: Promise<StoredFile[]> | undefined;

  constructor(options: RecorderOptions) {
    super();
    if (!USER_ID.test(options.userId)) throw new Error('userId must be 1-32 characters of [A-Za-z0-9_-]');
    this.#o = options;
    this.taskId = options.taskId ?? crypto.randomBytes(12).toString('hex');
    const limits = recordLimits(options.recordParams);
    this.#limits = { ...limits, ...options.limits, wants: limits.wants };
    // Validate the mix parameters before joining (they come from a Cloud API request).
    if (limits.mode === 2) {
      parseMixLayout(options.mix?.layout);
      mixOutputFormat(options.mix?.transcode);
    }
  }

  /** Joins the room and starts recording every stream it wants; resolves once joined. */
  async start(): Promise<void> {
    const o = this.#o;
    if (o.e2ee) {
      this.#decryptor = await sharedSecretDecryptor({
        secret: o.e2ee.secret,
        recorderUserId: o.userId,
        roomKeyId: roomKeyId(o.room),
      });
    }
    this.#workDir = o.storage.workDirectory(this.taskId);
    if (this.#limits.mode === 2) this.#mix = this.#mixedRecording(this.#workDir);
    try {
      const signal = await SignalSession.connect(o.serverUrl, { insecureTls: o.insecureTls ?? false });
      this.#signal = signal;
      const answer = await signal.request('join', {
        sdkAppId: o.sdkAppId,
        userId: o.userId,
        userSig: o.userSig,
        privateMapKey: o.privateMapKey,
        ...o.room,
        scene: o.scene ?? 'rtc',
        recording: true,
        e2ee: o.e2ee !== undefined || o.keepCiphertext === true,
        sdkVersion: 'conclave-recorder/0.1',
        os: `node/${process.versions.node}`,
      });
      for (const p of answer.participants) this.#joined(p.userId);
      signal.onNotification('participantJoined', (p) => this.#joined(p.userId));
      signal.onNotification('streamAdded', (s) => void this.#subscribe(s));
      signal.onNotification('participantLeft', ({ userId }) => {
        this.#joinOrder.delete(userId);
        if (this.#mix) {
          // Frames still queued for this user are dropped with their tracks: the tile goes now.
          for (const [ssrc, t] of this.#tracks) if (t.userId === userId) this.#tracks.delete(ssrc);
          this.#mix.userLeft(userId, Date.now());
        } else this.#closeSegment(userId);
      });
      signal.onNotification('streamRemoved', ({ producerId }) => {
        this.#streams.delete(producerId);
        this.#streamRemoved(producerId);
      });
      signal.onNotification('kicked', () => void this.stop('kicked'));
      signal.on('close', () => void this.stop('disconnected'));
      await this.#openTransport(signal);
      for (const stream of answer.streams) await this.#subscribe(stream);
      this.#lastMediaAt = Date.now();
      this.#tick = setInterval(() => this.#onTick(), TICK_MS);
    } catch (error) {
      await this.stop('failed');
      throw error;
    }
  }

  /** Ends the task: leaves the room, writes the last files, removes the work folder. Idempotent. */
  stop(reason: StopReason = 'requested'): Promise<StoredFile[]> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  /**
   * ModifyCloudRecording: new subscribe lists take effect at once (tracks left out stop being written, newly
   * allowed streams are recorded from their next keyframe); a mix layout applies from now on. Throws
   * `RECORDING_NOT_MIXED` (changing nothing) for a mix layout in RecordMode 1.
   */
  async modify(change: RecorderModification): Promise<void> {
    if (this.stopped) return;
    if (change.mixLayout !== undefined) this.modifyMixLayout(change.mixLayout);
    if (change.subscribe !== undefined) {
      const limits = recordLimits({ ...this.#o.recordParams, SubscribeStreamUserIds: change.subscribe });
      this.#limits = { ...this.#limits, wants: limits.wants.bind(limits), audio: limits.audio, video: limits.video };
      const recorded = new Set<string>();
      for (const track of this.#tracks.values()) {
        recorded.add(track.producerId);
        const wanted = this.#limits.wants(track.userId, track.kind);
        if (!wanted) track.paused = true;
        else if (track.paused) {
          track.paused = false;
          track.waitKeyframe = true;
        }
      }
      for (const stream of [...this.#streams.values()])
        if (!recorded.has(stream.producerId)) await this.#subscribe(stream);
    }
    this.emit('modified', change);
  }

  /** Frames written and frames that did not decrypt, per recorded track. */
  progress(): { userId: string; kind: 'audio' | 'video'; written: number; undecryptable: number }[] {
    return [...this.#tracks.values()].map((t) => ({
      userId: t.userId,
      kind: t.kind,
      written: t.written,
      undecryptable: t.undecryptable,
    }));
  }

  /**
   * ModifyCloudRecording's MixLayoutParams: the new layout applies from now on (what is already recorded keeps
   * its layout). Throws `RECORDING_NOT_MIXED` in RecordMode 1, a ZodError for invalid parameters.
   */
  modifyMixLayout(params: MixLayoutParams): void {
    if (this.#limits.mode !== 2) throw new ConclaveError('RECORDING_NOT_MIXED');
    const layout = parseMixLayout(params);
    if (!this.#mix) this.#mixLayout = layout;
    else if (this.#mix.modifyLayout(layout, Date.now())) this.#waitKeyframes();
  }

  get stopped(): boolean {
    return this.#stopping !== undefined;
  }

  async #stop(reason: StopReason): Promise<StoredFile[]> {
    clearInterval(this.#tick);
    const signal = this.#signal;
    if (signal && !signal.closed) {
      await signal.request('leave', {}).catch(() => undefined);
      signal.close();
    }
    this.#socket?.close();
    this.#socket = undefined;
    await Promise.all([...this.#tracks.values()].map((t) => t.chain));
    for (const userId of [...this.#segments.keys()]) this.#closeSegment(userId, reason === 'failed');
    await this.#mix?.close(Date.now(), reason === 'failed');
    await Promise.all(this.#finishing);
    this.#decryptor?.close();
    if (this.#workDir) this.#o.storage.removeWorkDirectory(this.#workDir);
    this.emit('stopped', reason, this.files);
    return this.files;
  }

  async #openTransport(signal: SignalSession): Promise<void> {
    const answer = await signal.request('openRecordingTransport', {});
    if (typeof answer.ip !== 'string' || !Number.isInteger(answer.port) || answer.port <= 0 || answer.port > 65535)
      throw new Error('the server sent an invalid recording transport');
    this.#sfu = { ip: answer.ip, port: answer.port };
    const socket = dgram.createSocket({ type: answer.ip.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
    this.#socket = socket;
    socket.on('message', (packet, from) => this.#onPacket(packet, from));
    socket.on('error', (err) => this.emit('warning', 'RTP_SOCKET_ERROR', err.message));
    await new Promise<void>((resolve) => socket.bind(0, this.#o.bindAddress, () => resolve()));
    this.#send(buildEmptyReceiverReport(RECORDER_SSRC));
  }

  async #subscribe(stream: RemoteStream): Promise<void> {
    // Screen shares (sub streams) are recorded in mixed mode; single-stream files hold the main stream only.
    if (this.stopped || (stream.streamType !== 'main' && !this.#mix)) return;
    if (!USER_ID.test(stream.userId)) return;
    if (!this.#streams.has(stream.producerId) && this.#streams.size >= MAX_KNOWN_STREAMS) return;
    this.#streams.set(stream.producerId, stream);
    if (!this.#limits.wants(stream.userId, stream.kind)) return;
    if ([...this.#tracks.values()].some((t) => t.producerId === stream.producerId)) return;
    let answer: RecordStreamAnswer;
    try {
      answer = await this.#signal!.request('recordStream', { producerId: stream.producerId });
    } catch (error) {
      this.emit('warning', 'RECORD_STREAM_FAILED', (error as Error).message);
      return;
    }
    const mime = typeof answer.mimeType === 'string' ? answer.mimeType.toLowerCase() : '';
    const kind = mime === 'video/vp8' ? 'video' : mime === 'audio/opus' ? 'audio' : undefined;
    if (!kind || !Number.isInteger(answer.ssrc) || !Number.isInteger(answer.payloadType)) {
      this.emit('warning', 'RECORD_STREAM_FAILED', `unrecordable stream ${stream.producerId}`);
      return;
    }
    this.#tracks.set(answer.ssrc >>> 0, {
      userId: stream.userId,
      kind,
      mediaId: stream.streamType === 'sub' ? 1 : 0,
      ssrc: answer.ssrc >>> 0,
      payloadType: answer.payloadType,
      mimeType: answer.mimeType,
      producerId: stream.producerId,
      unwrapper: new TimestampUnwrapper(),
      ...(kind === 'video' ? { vp8: new Vp8Depacketizer() } : { opus: new OpusDepacketizer() }),
      queued: 0,
      chain: Promise.resolve(),
      waitKeyframe: true,
      paused: false,
      written: 0,
      undecryptable: 0,
      warned: false,
    });
    if (kind === 'video') this.#send(buildPli(RECORDER_SSRC, answer.ssrc));
  }

  #send(packet: Buffer): void {
    if (this.#socket && this.#sfu) this.#socket.send(packet, this.#sfu.port, this.#sfu.ip);
  }

  #onPacket(packet: Buffer, from: dgram.RemoteInfo): void {
    // Only the SFU's transport may feed the recording.
    if (!this.#sfu || from.port !== this.#sfu.port || from.address !== this.#sfu.ip) return;
    if (packet.length > MAX_RTP_PACKET_BYTES || isRtcp(packet)) return;
    const rtp = parseRtp(packet);
    const track = rtp && this.#tracks.get(rtp.ssrc);
    if (!rtp || !track || rtp.payloadType !== track.payloadType) return;
    // Media of a paused track still counts against MaxIdleTime: the room is not idle, only left out for now.
    this.#lastMediaAt = Date.now();
    this.#mediaSeen = true;
    if (track.paused) return;
    if (track.vp8) {
      for (const frame of track.vp8.push(rtp)) this.#enqueue(track, frame.timestamp, frame.data, frame.keyframe);
    } else {
      const frame = track.opus!.push(rtp);
      if (frame) this.#enqueue(track, frame.timestamp, frame.data, false);
    }
  }

  /** Decrypts (when keyed) and writes frames in arrival order, at most {@link MAX_QUEUED_FRAMES} waiting. */
  #enqueue(track: Track, timestamp: number, data: Buffer, keyframe: boolean): void {
    if (track.queued >= MAX_QUEUED_FRAMES) {
      if (track.kind === 'video') track.waitKeyframe = true;
      return;
    }
    const rtp = track.unwrapper.unwrap(timestamp);
    const arrivedAt = Date.now();
    track.queued++;
    track.chain = track.chain
      .then(async () => {
        let frame = data;
        if (this.#decryptor) {
          const result = await this.#decryptor.decrypt(track.userId, data, track.mimeType);
          if (!result.ok) {
            this.#undecryptable(track, result.reason);
            return;
          }
          frame = result.data;
        }
        this.#write(track, rtp, frame, keyframe, arrivedAt);
      })
      .catch((error: Error) => void this.emit('warning', 'RECORD_WRITE_FAILED', error.message))
      .finally(() => track.queued--);
  }

  #write(track: Track, rtp: number, frame: Buffer, keyframe: boolean, now: number): void {
    if (this.#stopping) return;
    if (this.#mix) {
      this.#writeMixed(this.#mix, track, rtp, frame, keyframe, now);
      return;
    }
    let segment = this.#segments.get(track.userId);
    if (!segment) {
      segment = new UserSegment(track.userId, this.#workDir!, now);
      this.#segments.set(track.userId, segment);
    }
    if (track.kind === 'audio') {
      if (segment.writeAudio(track.ssrc, rtp, frame, now)) track.written++;
      return;
    }
    if (track.waitKeyframe && !keyframe) return;
    track.waitKeyframe = false;
    if (segment.writeVideo(track.ssrc, rtp, frame, keyframe, now)) track.written++;
    else track.waitKeyframe = true;
  }

  #writeMixed(mix: MixedRecording, track: Track, rtp: number, frame: Buffer, keyframe: boolean, now: number): void {
    if (this.#tracks.get(track.ssrc) !== track) return; // its user left or the stream was removed
    if (track.kind === 'audio') {
      if (mix.writeAudio(track.userId, track.mediaId, track.ssrc, rtp, frame, now)) track.written++;
      return;
    }
    if (track.waitKeyframe && !keyframe) return;
    track.waitKeyframe = false;
    if (mix.writeVideo(track.userId, track.mediaId, track.ssrc, rtp, frame, keyframe, now)) track.written++;
    else track.waitKeyframe = true;
  }

  #mixedRecording(workDir: string): MixedRecording {
    const o = this.#o;
    const room = 'roomId' in o.room ? String(o.room.roomId) : o.room.strRoomId;
    return new MixedRecording({
      workDir,
      layout: this.#mixLayout ?? parseMixLayout(o.mix?.layout),
      format: mixOutputFormat(o.mix?.transcode),
      audio: this.#limits.audio,
      video: this.#limits.video,
      outputPath: (startedAt) =>
        o.storage.finalPath([this.taskId, String(o.sdkAppId), room, 'mix', String(startedAt)], 'webm'),
      onFile: (file) => {
        this.files.push(file);
        this.emit('file', file);
      },
      onWarning: (code, message) => void this.emit('warning', code, message),
      joinRank: (userId) => this.#joinOrder.get(userId) ?? Number.MAX_SAFE_INTEGER,
    });
  }

  #joined(userId: string): void {
    this.#joinOrder.delete(userId); // a user who enters again goes to the end
    if (this.#joinOrder.size < 10_000) this.#joinOrder.set(userId, this.#joins++);
  }

  /** A stream stopped without its user leaving (a screen share ended): its mixed tile goes. */
  #streamRemoved(producerId: string): void {
    if (!this.#mix) return; // single-stream files end when their user leaves or the task stops
    for (const [ssrc, track] of this.#tracks) {
      if (track.producerId !== producerId) continue;
      this.#tracks.delete(ssrc);
      const others = [...this.#tracks.values()].some((t) => t.userId === track.userId && t.mediaId === track.mediaId);
      if (!others) this.#mix?.streamEnded(track.userId, track.mediaId, Date.now());
    }
  }

  /** Every video track restarts at a keyframe (a new file). */
  #waitKeyframes(userId?: string): void {
    for (const track of this.#tracks.values())
      if (userId === undefined || track.userId === userId) track.waitKeyframe = true;
  }

  #undecryptable(track: Track, reason: string): void {
    track.undecryptable++;
    if (track.kind === 'video') track.waitKeyframe = true;
    if (!track.warned && track.written === 0 && track.undecryptable >= WARN_AFTER_UNDECRYPTABLE) {
      track.warned = true;
      this.emit(
        'warning',
        'E2EE_DECRYPTION_FAILED',
        `${track.userId}'s ${track.kind} does not decrypt (${reason}): wrong or missing room secret`,
      );
    }
  }

  /** Finishes a user's open segment into a file (or drops it, `discard`). */
  #closeSegment(userId: string, discard = false): void {
    const segment = this.#segments.get(userId);
    if (!segment) return;
    this.#segments.delete(userId);
    if (discard) {
      segment.discard();
      return;
    }
    const room = 'roomId' in this.#o.room ? String(this.#o.room.roomId) : this.#o.room.strRoomId;
    const output = this.#o.storage.finalPath(
      [this.taskId, String(this.#o.sdkAppId), room, userId, String(segment.startedAt)],
      'webm',
    );
    this.#finishing.push(
      segment.finish(output).then(
        (file) => {
          if (!file) return;
          this.files.push(file);
          this.emit('file', file);
        },
        (error: Error) => void this.emit('warning', 'RECORD_REMUX_FAILED', error.message),
      ),
    );
  }

  #onTick(): void {
    const now = Date.now();
    // Keyframes for every video track that waits for one (start, loss, new segment); the SFU throttles them.
    for (const track of this.#tracks.values()) {
      if (track.kind === 'video' && !track.paused && (track.waitKeyframe || track.vp8!.needKeyframe))
        this.#send(buildPli(RECORDER_SSRC, track.ssrc));
    }
    if (!this.#mediaSeen) this.#send(buildEmptyReceiverReport(RECORDER_SSRC));
    const mixStarted = this.#mix?.fileStartedAt;
    if (mixStarted !== undefined && now - mixStarted >= this.#limits.maxFileMs) {
      this.#mix!.rollover(now);
      this.#waitKeyframes();
    }
    // MaxMediaFileDuration: a new file per user; its video starts at the next keyframe.
    for (const [userId, segment] of [...this.#segments]) {
      if (now - segment.startedAt < this.#limits.maxFileMs) continue;
      this.#closeSegment(userId);
      this.#waitKeyframes(userId);
    }
    if (now - this.#lastMediaAt >= this.#limits.maxIdleMs) void this.stop('idle');
  }
}
