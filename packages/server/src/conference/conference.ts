/**
 * The call service: turns verified signaling requests into room decisions (rooms/) and media actions (media/),
 * and tells every session what changed. Signaling hands requests in already validated; this module decides.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import {
  ConclaveError,
  type JoinAnswer,
  type KickReason,
  type LeaveReason,
  type QualitySample,
  type RemoteParticipant,
  type RemoteStream,
  type RequestData,
  type RequestMethod,
} from '@conclave/protocol';
import { verifyPrivateMapKey, verifyUserSig } from '../auth/index.ts';
import type { Logger } from '../logger.ts';
import { ParticipantMedia } from '../media/participant-media.ts';
import { RoomRouter, type MediaNetwork } from '../media/room-router.ts';
import type { WorkerPool } from '../media/worker-pool.ts';
import {
  roomKeyString,
  type Participant,
  type PublishedStream,
  type Room,
  type RoomDirectory,
  type RoomKey,
} from '../rooms/index.ts';
import { CloseCode } from '../signaling/close-codes.ts';
import type { SignalConnection, SignalHandler } from '../signaling/connection.ts';
import type { AppAccess, AppAccessLookup } from './app-access.ts';
import { hashResumeToken, Session } from './session.ts';
import { StreamRequests } from './stream-requests.ts';

export interface ConferenceOptions {
  directory: RoomDirectory;
  workers: WorkerPool;
  network: MediaNetwork;
  apps: AppAccessLookup;
  resumeGraceSeconds: number;
  log: Logger;
  now?: () => number;
}

export type ConferenceEvents = {
  /** A client's 2-second quality sample, for telemetry. */
  qualitysample: [session: Session, sample: QualitySample];
  /** The server's own transport statistics of a session, for telemetry. */
  transportstats: [session: Session, stats: { send: types.WebRtcTransportStat[]; recv: types.WebRtcTransportStat[] }];
};

function describeParticipant(p: Participant): RemoteParticipant {
  return p.e2eePublicKey
    ? { userId: p.userId, role: p.role, e2eePublicKey: p.e2eePublicKey }
    : { userId: p.userId, role: p.role };
}

/** How each leave reason reaches a still-connected client as TRTC's KICKED_OUT reason (others just end). */
const KICK_REASON: Partial<Record<LeaveReason, KickReason>> = {
  kicked: 'kick',
  removed: 'kick',
  disbanded: 'room_disband',
};
const SWEEP_MS = 2_000;
const STATS_EVERY_SWEEPS = 5;

export class Conference extends EventEmitter<ConferenceEvents> implements SignalHandler {
  readonly sessions = new Map<string, Session>();
  readonly #byConnection = new Map<SignalConnection, Session>();
  readonly #byResumeToken = new Map<string, Session>();
  readonly #routers = new Map<string, Promise<RoomRouter>>();
  readonly #streams: StreamRequests;
  readonly #options: ConferenceOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #sweep: NodeJS.Timeout;
  #sweeps = 0;

  constructor(options: ConferenceOptions) {
    super();
    this.#options = options;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#streams = new StreamRequests(options.directory, (room) => this.#sessionsIn(room));
    this.#listen(options.directory);
    this.#sweep = setInterval(() => this.#onSweep(), SWEEP_MS).unref();
  }

  /** Sessions of the participants of `room`. */
  #sessionsIn(room: Room): Session[] {
    return room.participants().flatMap((p) => this.sessions.get(p.sessionId) ?? []);
  }

  async handle(connection: SignalConnection, method: RequestMethod, data: unknown): Promise<unknown> {
    if (method === 'join') return this.#join(connection, data as RequestData<'join'>);
    if (method === 'resume') return this.#resume(connection, data as RequestData<'resume'>);
    const session = this.#byConnection.get(connection);
    if (!session || session.ended) throw new ConclaveError('SIGNAL_NOT_JOINED');
    switch (method) {
      case 'leave':
        this.#leave(session, 'left');
        setImmediate(() => connection.close(CloseCode.Normal, 'left'));
        return {};
      case 'switchRole':
        return this.#switchRole(session, data as RequestData<'switchRole'>);
      case 'customMessage':
        return this.#customMessage(session, data as RequestData<'customMessage'>);
      case 'qualitySample':
        this.emit('qualitysample', session, data as QualitySample);
        return {};
      case 'heartbeat':
        return { serverTime: this.#now() };
      case 'e2eeKeyMessage':
        return this.#relayKeyMessage(session, data as RequestData<'e2eeKeyMessage'>);
      default:
        return this.#streams.handle(session, method, data);
    }
  }

  disconnected(connection: SignalConnection): void {
    const session = this.#byConnection.get(connection);
    this.#byConnection.delete(connection);
    if (!session || session.ended || session.connection !== connection) return;
    session.connection = undefined;
    // The media transports stay up: a client whose socket dropped keeps sending and receiving while it resumes.
    this.#options.directory.markDisconnected(session.participant);
    this.#log.info({ userId: session.userId }, 'participant disconnected; grace period started');
  }

  /** Ends every session and the media of every room. */
  close(): void {
    clearInterval(this.#sweep);
    for (const session of [...this.sessions.values()]) this.#leave(session, 'left');
    for (const router of this.#routers.values())
      void router.then(
        (r) => r.close(),
        () => undefined,
      );
    this.#routers.clear();
  }

  async #join(connection: SignalConnection, data: RequestData<'join'>): Promise<JoinAnswer> {
    const { directory } = this.#options;
    const app = await this.#options.apps.access(data.sdkAppId);
    const now = this.#now();
    const sig = verifyUserSig(data.userSig, {
      sdkAppId: data.sdkAppId,
      userId: data.userId,
      secretKey: app.secretKey,
      now,
    });
    const ref = data.roomId !== undefined ? { roomId: data.roomId } : { strRoomId: data.strRoomId as string };
    const key: RoomKey = { sdkAppId: data.sdkAppId, ...ref };
    const privileges = this.#privileges(app, data.userId, key, data.privateMapKey);

    // The app's policy decides before any room state exists; a room it creates is marked as requiring E2EE.
    if (app.requireE2ee === true && !data.e2ee) throw new ConclaveError('E2EE_REQUIRED', 'this app requires E2EE');
    const sessionId = crypto.randomUUID();
    const { participant, room } = directory.admit({
      key,
      userId: data.userId,
      role: data.role,
      scene: data.scene,
      sessionId,
      privilegeControl: app.privilegeControl,
      ...(privileges !== undefined ? { privileges } : {}),
      metadata: {
        sdkVersion: data.sdkVersion,
        os: data.os,
        clientIp: connection.clientIp,
        ...(data.e2eePublicKey ? { e2eePublicKey: data.e2eePublicKey } : {}),
      },
      e2ee: data.e2ee,
      requireE2ee: data.requireE2ee || app.requireE2ee === true,
    });
    let media: ParticipantMedia;
    let router: RoomRouter;
    try {
      router = await this.#routerFor(room);
      media = await ParticipantMedia.create(router, { sessionId, userId: data.userId });
    } catch (error) {
      directory.leave(participant, 'left');
      throw error instanceof ConclaveError ? error : new ConclaveError('MEDIA_NO_WORKER', undefined, { cause: error });
    }
    if (participant.left || connection.state === 'closed') {
      media.close();
      if (!participant.left) directory.leave(participant, 'left');
      throw new ConclaveError('SESSION_RESUME_FAILED', 'the session ended while joining');
    }
    if (data.rtpCapabilities) media.rtpCapabilities = data.rtpCapabilities as unknown as types.RtpCapabilities;
    const session = new Session({
      id: sessionId,
      app,
      participant,
      router,
      media,
      expiresAt: sig.expiresAt,
      connection,
    });
    media.on('consumerclosed', (consumerId) => session.notify('consumerClosed', { consumerId }));
    this.sessions.set(sessionId, session);
    this.#byConnection.set(connection, session);
    connection.markJoined();
    this.#log.info({ userId: data.userId, room: roomKeyString(key), role: data.role }, 'participant joined');
    // The others hear of the newcomer only once its session can receive (e.g. E2EE key messages), and after
    // its own join answer has gone out (setImmediate runs after the response is sent).
    setImmediate(() => this.#announceJoined(session));
    return this.#answer(session, room);
  }

  #announceJoined(session: Session): void {
    const room = session.ended ? undefined : this.#options.directory.getRoom(session.participant.roomKey);
    for (const other of room ? this.#sessionsIn(room) : []) {
      if (other !== session) other.notify('participantJoined', describeParticipant(session.participant));
    }
  }

  async #resume(connection: SignalConnection, data: RequestData<'resume'>): Promise<JoinAnswer> {
    const session = this.#byResumeToken.get(hashResumeToken(data.resumeToken));
    if (!session || session.ended || session.participant.left) throw new ConclaveError('SESSION_RESUME_FAILED');
    const previous = session.connection;
    if (previous) {
      this.#byConnection.delete(previous);
      previous.close(CloseCode.GoingAway, 'resumed elsewhere');
    }
    this.#byResumeToken.delete(session.resumeTokenHash);
    session.connection = connection;
    this.#byConnection.set(connection, session);
    this.#options.directory.markReconnected(session.participant);
    if (data.rtpCapabilities) session.media.rtpCapabilities = data.rtpCapabilities as unknown as types.RtpCapabilities;
    connection.markJoined();
    const room = this.#options.directory.getRoom(session.participant.roomKey);
    if (!room) throw new ConclaveError('SESSION_RESUME_FAILED');
    this.#log.info({ userId: session.userId }, 'participant resumed');
    return this.#answer(session, room);
  }

  #answer(session: Session, room: Room): JoinAnswer {
    const resumeToken = session.rotateResumeToken();
    this.#byResumeToken.set(session.resumeTokenHash, session);
    return {
      resumeToken,
      resumeGraceSeconds: this.#options.resumeGraceSeconds,
      routerRtpCapabilities: session.router.rtpCapabilities as unknown as Record<string, unknown>,
      sendTransport: ParticipantMedia.describe(session.media.send) as unknown as JoinAnswer['sendTransport'],
      recvTransport: ParticipantMedia.describe(session.media.recv) as unknown as JoinAnswer['recvTransport'],
      participants: room
        .participants()
        .filter((p) => p !== session.participant)
        .map(describeParticipant),
      streams: room
        .streams()
        .filter((s) => s.sessionId !== session.id)
        .flatMap((s) => this.#streams.describe(s) ?? []),
      expiresAt: session.expiresAt,
      e2eeRequired: room.e2eeRequired,
    };
  }

  /** The room's router, created on the least-loaded worker at first use (one creation even under races). */
  #routerFor(room: Room): Promise<RoomRouter> {
    const id = roomKeyString(room.key);
    let router = this.#routers.get(id);
    if (!router) {
      const created = RoomRouter.create(this.#options.workers, this.#options.network, { room: id });
      router = created;
      this.#routers.set(id, created);
      created.then(
        (r) => r.once('workerclose', () => this.#onRouterLost(id, created)),
        () => this.#routers.delete(id),
      );
    }
    return router;
  }

  /** The worker under a room died: every session there must rejoin to get new transports on a live worker. */
  #onRouterLost(id: string, router: Promise<RoomRouter>): void {
    if (this.#routers.get(id) === router) this.#routers.delete(id);
    const affected = [...this.sessions.values()].filter((s) => roomKeyString(s.participant.roomKey) === id);
    this.#log.warn({ room: id, sessions: affected.length }, 'media worker under room died; resetting its sessions');
    for (const session of affected) {
      session.notify('mediaReset', { reason: 'worker_died' });
      const connection = session.connection;
      this.#leave(session, 'left');
      connection?.close(CloseCode.MediaReset, 'media reset');
    }
  }

  #privileges(app: AppAccess, userId: string, key: RoomKey, privateMapKey: string | undefined): number | undefined {
    if (!app.privilegeControl || privateMapKey === undefined) return undefined;
    const room = 'roomId' in key ? { roomId: key.roomId } : { strRoomId: key.strRoomId };
    return verifyPrivateMapKey(privateMapKey, {
      sdkAppId: app.sdkAppId,
      userId,
      secretKey: app.secretKey,
      room,
      now: this.#now(),
    }).privileges;
  }

  #switchRole(session: Session, data: RequestData<'switchRole'>): { role: 'anchor' | 'audience' } {
    const privileges = this.#privileges(session.app, session.userId, session.participant.roomKey, data.privateMapKey);
    const change = this.#options.directory.switchRole(session.participant, data.role, privileges);
    return { role: change.role };
  }

  #customMessage(session: Session, data: RequestData<'customMessage'>): Record<string, never> {
    const bytes = Buffer.from(data.data, 'base64');
    if (bytes.length > 1024) throw new ConclaveError('SIGNAL_MALFORMED', 'custom message data is limited to 1 KB');
    const seq = this.#options.directory.sendCustomMessage(session.participant, bytes.length);
    const room = this.#options.directory.getRoom(session.participant.roomKey);
    for (const other of room ? this.#sessionsIn(room) : []) {
      if (other !== session)
        other.notify('customMessage', { userId: session.userId, cmdId: data.cmdId, seq, data: data.data });
    }
    return {};
  }

  /**
   * Relays an opaque E2EE key message to one participant of the same room. The server never parses it; it only
   * bounds its size (schema) and rate (per sender), so key exchange cannot be used to flood anyone.
   */
  #relayKeyMessage(session: Session, data: RequestData<'e2eeKeyMessage'>): Record<string, never> {
    if (!session.keyMessages.tryTake(1)) throw new ConclaveError('E2EE_KEY_MESSAGE_RATE_LIMITED');
    const room = this.#options.directory.getRoom(session.participant.roomKey);
    const target = room?.getParticipant(data.to);
    const recipient = target && this.sessions.get(target.sessionId);
    if (!recipient || recipient === session) throw new ConclaveError('NOT_FOUND', 'no such participant in this room');
    recipient.notify('e2eeKeyMessage', { from: session.userId, payload: data.payload });
    return {};
  }

  /**
   * Ends a session on this side's initiative (leave request, expiry, media reset): the session ends first, so the
   * departure announced to the others sends this one nothing more. Idempotent.
   */
  #leave(session: Session, reason: LeaveReason): void {
    if (session.ended) return;
    this.#endSession(session);
    if (!session.participant.left) this.#options.directory.leave(session.participant, reason);
  }

  #endSession(session: Session): void {
    if (session.ended) return;
    session.ended = true;
    this.sessions.delete(session.id);
    this.#byResumeToken.delete(session.resumeTokenHash);
    if (session.connection) this.#byConnection.delete(session.connection);
    session.media.close();
  }

  #listen(directory: RoomDirectory): void {
    directory.on('participantleft', (room, participant, reason) => this.#onParticipantLeft(room, participant, reason));
    directory.on('rolechanged', (room, participant) => {
      for (const other of this.#sessionsIn(room)) {
        if (other.participant !== participant)
          other.notify('roleChanged', { userId: participant.userId, role: participant.role });
      }
    });
    directory.on('streamadded', (room, stream) => this.#onStream(room, stream, true));
    directory.on('streamremoved', (room, stream) => this.#onStream(room, stream, false));
    directory.on('roomclosed', (room) => {
      const id = roomKeyString(room.key);
      const router = this.#routers.get(id);
      this.#routers.delete(id);
      void router?.then(
        (r) => r.close(),
        () => undefined,
      );
    });
  }

  #onParticipantLeft(room: Room, participant: Participant, reason: LeaveReason): void {
    const session = this.sessions.get(participant.sessionId);
    if (session && !session.ended) {
      const kick = KICK_REASON[reason];
      const connection = session.connection;
      if (kick && connection) {
        session.notify('kicked', {
          reason: kick,
          message: reason === 'kicked' ? 'the same userId entered the room elsewhere' : `removed: ${reason}`,
        });
        setImmediate(() => connection.close(CloseCode.Kicked, kick));
      }
      this.#endSession(session);
    }
    for (const other of this.#sessionsIn(room)) other.notify('participantLeft', { userId: participant.userId, reason });
  }

  #onStream(room: Room, stream: PublishedStream, added: boolean): void {
    const description = added ? this.#streams.describe(stream) : undefined;
    if (!added) this.#streams.forget(stream);
    for (const other of this.#sessionsIn(room)) {
      if (other.id === stream.sessionId) continue;
      if (description) other.notify('streamAdded', description satisfies RemoteStream);
      else other.notify('streamRemoved', { producerId: stream.id, userId: stream.userId });
    }
  }

  #onSweep(): void {
    const { directory } = this.#options;
    directory.expireDisconnected();
    const now = this.#now();
    for (const session of [...this.sessions.values()]) {
      if (session.expiresAt <= now) {
        session.notify('kicked', { reason: 'kick', message: 'the UserSig expired' });
        const connection = session.connection;
        this.#leave(session, 'removed');
        connection?.close(CloseCode.Kicked, 'UserSig expired');
      }
    }
    if (++this.#sweeps % STATS_EVERY_SWEEPS === 0 && this.listenerCount('transportstats') > 0) {
      for (const session of this.sessions.values()) {
        session.media.stats().then(
          (stats) => this.emit('transportstats', session, stats),
          () => undefined,
        );
      }
    }
  }
}
