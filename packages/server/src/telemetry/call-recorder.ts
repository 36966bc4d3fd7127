/**
 * Turns what happens in rooms into stored telemetry, in each app's own region: room sessions (CommId),
 * backend logs of entries and exits, user events (TRTC's event ids), usage seconds, and quality samples from
 * the SDK (every 2 s) and from the SFU's transport statistics. Storage failures are logged, never thrown into
 * the call path. A write that fails because the store is down (storage/outage.ts) is kept, in order, and tried
 * again every second until it succeeds; at most MAX_RETAINED are kept, beyond that they are dropped and counted.
 */
import type { types } from 'mediasoup';
import { ConclaveError, type LeaveReason, type QualitySample as ClientSample } from '@conclave/protocol';
import type { Conference } from '../conference/conference.ts';
import type { Session } from '../conference/session.ts';
import type { Logger } from '../logger.ts';
import { roomKeyString, type Participant, type Room, type RoomDirectory, type RoomKey } from '../rooms/index.ts';
import { isStoreOutage } from '../storage/outage.ts';
import type { RegionStores } from '../storage/regions.ts';
import { makeCommId } from './comm-id.ts';
import { UserEventIds } from './records.ts';

const EXIT_REASON: Record<LeaveReason, number> = { left: 1, timeout: 2, removed: 3, kicked: 3, disbanded: 3 };

const STREAM_EVENT = {
  'video/main': [UserEventIds.VIDEO_START, UserEventIds.VIDEO_STOP],
  'audio/main': [UserEventIds.AUDIO_START, UserEventIds.AUDIO_STOP],
  'video/sub': [UserEventIds.SUB_STREAM_START, UserEventIds.SUB_STREAM_STOP],
  'audio/sub': [UserEventIds.SUB_STREAM_START, UserEventIds.SUB_STREAM_STOP],
} as const;

function roomIdText(key: RoomKey): { roomId: string; roomIdType: 0 | 1 } {
  // TRTC's RoomIdType: 0 string room, 1 numeric room.
  return 'roomId' in key ? { roomId: String(key.roomId), roomIdType: 1 } : { roomId: key.strRoomId, roomIdType: 0 };
}

/** Direct writes (room sessions, usage) kept while the store is down. */
const MAX_RETAINED = 10_000;
const RETRY_MS = 1_000;

type DirectWrite = {
  sdkAppId: number;
  what: string;
  write: (region: Awaited<ReturnType<RegionStores['storeForWrite']>>) => unknown;
};

export class CallRecorder {
  /** Writes waiting for the store to come back, oldest first. */
  #retained: DirectWrite[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  #retrying = false;
  /** Direct writes dropped because too many were waiting. */
  dropped = 0;
  readonly #stores: RegionStores;
  readonly #log: Logger;
  readonly #now: () => number;
  /** CommId of each open room, by room key string. */
  readonly #commIds = new Map<string, string>();

  constructor(stores: RegionStores, log: Logger, now: () => number = Date.now) {
    this.#stores = stores;
    this.#log = log;
    this.#now = now;
  }

  /** The CommId of an open room (undefined once it closed). */
  commIdOf(key: RoomKey): string | undefined {
    return this.#commIds.get(roomKeyString(key));
  }

  attach(rooms: RoomDirectory, conference: Conference): void {
    rooms.on('roomcreated', (room) => this.#roomCreated(room));
    rooms.on('roomclosed', (room) => this.#roomClosed(room));
    rooms.on('participantjoined', (room, p) => this.#entered(room, p));
    rooms.on('participantleft', (room, p, reason) => this.#exited(room, p, reason));
    rooms.on('memberlost', (room, userId) => this.#lost(room, userId));
    rooms.on('rolechanged', (room, p) => this.#event(room, p.userId, UserEventIds.CHANGE_ROLE, p.role));
    rooms.on('streamadded', (room, s) => this.#event(room, s.userId, STREAM_EVENT[`${s.kind}/${s.streamType}`][0]));
    rooms.on('streamremoved', (room, s) => this.#event(room, s.userId, STREAM_EVENT[`${s.kind}/${s.streamType}`][1]));
    conference.on('qualitysample', (session, sample) => this.#clientSample(session, sample));
    conference.on('transportstats', (session, stats) => this.#serverSample(session, stats));
  }

  /** Writes waiting for the store (for tests and metrics). */
  get retained(): number {
    return this.#retained.length;
  }

  #write(sdkAppId: number, what: string, write: DirectWrite['write']): void {
    const w: DirectWrite = { sdkAppId, what, write };
    // Behind writes already waiting, so a room's close never lands before its open.
    if (this.#retained.length > 0) this.#retain(w);
    else void this.#attempt(w).then((outage) => outage && this.#retain(w));
  }

  /** One attempt; resolves true when the store is down (the write should be kept and tried again). */
  async #attempt(w: DirectWrite): Promise<boolean> {
    try {
      await w.write(await this.#stores.storeForWrite(w.sdkAppId));
      return false;
    } catch (err) {
      // A terminated app's data is being purged: nothing more is written for it, by design.
      if (err instanceof ConclaveError && err.code === 'APP_TERMINATED') return false;
      if (isStoreOutage(err)) return true;
      this.#log.warn({ err, sdkAppId: w.sdkAppId, what: w.what }, 'telemetry write failed');
      return false;
    }
  }

  #retain(w: DirectWrite): void {
    if (this.#retained.length >= MAX_RETAINED) {
      if (this.dropped++ % 1000 === 0)
        this.#log.error({ dropped: this.dropped }, 'telemetry retry queue full; dropped');
      return;
    }
    if (this.#retained.length === 0) this.#log.warn({ what: w.what }, 'telemetry store unavailable; keeping writes');
    this.#retained.push(w);
    if (this.#retryTimer === undefined) {
      this.#retryTimer = setInterval(() => void this.#retry(), RETRY_MS);
      this.#retryTimer.unref();
    }
  }

  async #retry(): Promise<void> {
    if (this.#retrying) return;
    this.#retrying = true;
    try {
      while (this.#retained.length > 0) {
        if (await this.#attempt(this.#retained[0]!)) return;
        this.#retained.shift();
      }
      clearInterval(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#log.info('telemetry store back; kept writes stored');
    } finally {
      this.#retrying = false;
    }
  }

  #roomCreated(room: Room): void {
    const { roomId, roomIdType } = roomIdText(room.key);
    const commId = makeCommId(room.key.sdkAppId, roomIdType === 1 ? Number(roomId) : roomId, room.createdAt);
    this.#commIds.set(room.id, commId);
    this.#write(room.key.sdkAppId, 'room session', (r) =>
      r.telemetry.openRoomSession({ sdkAppId: room.key.sdkAppId, roomId, roomIdType, createdAt: room.createdAt }),
    );
  }

  #roomClosed(room: Room): void {
    const commId = this.#commIds.get(room.id);
    this.#commIds.delete(room.id);
    if (commId)
      this.#write(room.key.sdkAppId, 'room close', (r) =>
        r.telemetry.closeRoomSession(room.key.sdkAppId, commId, this.#now()),
      );
  }

  #entered(room: Room, p: Participant): void {
    this.#backendLog(room, p, 'enter', 1);
    this.#event(room, p.userId, UserEventIds.ENTER_ROOM, p.role);
  }

  #exited(room: Room, p: Participant, reason: LeaveReason): void {
    this.#backendLog(room, p, 'exit', EXIT_REASON[reason]);
    this.#event(room, p.userId, UserEventIds.EXIT_ROOM, String(EXIT_REASON[reason]));
    const seconds = (this.#now() - p.joinedAt) / 1000;
    this.#write(room.key.sdkAppId, 'usage', (r) => r.telemetry.addUsage(room.key.sdkAppId, this.#now(), seconds));
  }

  /** A member of the room on a node that died did not come back: its exit (time on that node is not known). */
  #lost(room: Room, userId: string): void {
    this.#backendLog(room, { userId }, 'exit', EXIT_REASON.timeout);
    this.#event(room, userId, UserEventIds.EXIT_ROOM, String(EXIT_REASON.timeout));
  }

  #backendLog(
    room: Room,
    p: Pick<Participant, 'userId'> & Partial<Pick<Participant, 'clientIp' | 'sdkVersion' | 'os'>>,
    action: 'enter' | 'exit',
    reason: number,
  ): void {
    const commId = this.#commIds.get(room.id);
    if (!commId) return;
    const { roomId, roomIdType } = roomIdText(room.key);
    this.#write(room.key.sdkAppId, 'backend log', (r) =>
      r.writer.recordBackendLog({
        sdkAppId: room.key.sdkAppId,
        commId,
        roomId,
        roomIdType,
        userId: p.userId,
        action,
        reason,
        ...(p.clientIp ? { clientIp: p.clientIp.slice(0, 45) } : {}),
        ...(p.sdkVersion ? { sdkVersion: p.sdkVersion.slice(0, 32) } : {}),
        ...(p.os ? { osType: p.os.slice(0, 32) } : {}),
        occurredAt: this.#now(),
      }),
    );
  }

  #event(room: Room, userId: string, eventId: number, paramOne?: string): void {
    const commId = this.#commIds.get(room.id);
    if (!commId) return;
    this.#write(room.key.sdkAppId, 'user event', (r) =>
      r.writer.recordUserEvent({
        sdkAppId: room.key.sdkAppId,
        commId,
        userId,
        eventId,
        ...(paramOne !== undefined ? { paramOne } : {}),
        occurredAt: this.#now(),
      }),
    );
  }

  #clientSample(session: Session, s: ClientSample): void {
    const commId = this.commIdOf(session.participant.roomKey);
    if (!commId) return;
    const pct = (ratio: number | undefined) => (ratio === undefined ? undefined : Math.min(100, ratio * 100));
    const sample = {
      sdkAppId: session.app.sdkAppId,
      commId,
      userId: session.userId,
      source: 'sdk' as const,
      // The client's clock is not trusted for storage order; the server's receive time is.
      sampledAt: this.#now(),
      audioOn: s.audioEnabled,
      videoOn: s.videoEnabled,
      audioMuted: s.audioMuted,
      videoMuted: s.videoMuted,
      appCpu: pct(s.appCpu),
      sysCpu: pct(s.sysCpu),
      memoryMb: s.memoryMb,
      rttMs: s.rttMs,
      audioLoss: pct(s.audioDown?.packetLoss ?? s.audioUp?.packetLoss),
      videoLoss: pct(s.videoDown?.packetLoss ?? s.videoUp?.packetLoss),
      videoWidth: s.videoUp?.width ?? s.videoDown?.width,
      videoHeight: s.videoUp?.height ?? s.videoDown?.height,
      audioBitrateKbps: s.audioUp?.bitrateKbps ?? s.audioDown?.bitrateKbps,
      videoBitrateKbps: s.videoUp?.bitrateKbps ?? s.videoDown?.bitrateKbps,
      encodeFps: s.videoUp?.frameRate,
      decodeFps: s.videoDown?.frameRate,
      captureVolume: pct(s.audioUp?.volume),
      playbackVolume: pct(s.audioDown?.volume),
    };
    const defined = Object.fromEntries(Object.entries(sample).filter(([, v]) => v !== undefined));
    this.#write(session.app.sdkAppId, 'quality sample', (r) => r.writer.recordQuality(defined));
  }

  #serverSample(session: Session, stats: { recv: types.WebRtcTransportStat[] }): void {
    const commId = this.commIdOf(session.participant.roomKey);
    const recv = stats.recv[0];
    if (!commId || !recv) return;
    const sample = {
      sdkAppId: session.app.sdkAppId,
      commId,
      userId: session.userId,
      source: 'server' as const,
      sampledAt: this.#now(),
      ...(recv.availableOutgoingBitrate !== undefined
        ? { availableBitrateKbps: Math.min(1_000_000, recv.availableOutgoingBitrate / 1000) }
        : {}),
      videoBitrateKbps: Math.min(100_000, (recv.sendBitrate ?? 0) / 1000),
    };
    this.#write(session.app.sdkAppId, 'server sample', (r) => r.writer.recordQuality(sample));
  }
}
