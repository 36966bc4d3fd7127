/**
 * The call service: turns verified signaling requests into room decisions (rooms/) and media actions (media/),
 * and tells every session what changed. Signaling hands requests in already validated; this module decides.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import {
  ConclaveError,
  type IceServer,
  type JoinAnswer,
  type KickReason,
  type LeaveReason,
  type QualitySample,
  type RemoteParticipant,
  type RemoteStream,
  type RequestData,
  type RequestMethod,
} from '@conclave/protocol';
import type { AuditSink } from '../audit/audit-entry.ts';
import { PrivilegeBits, verifyPrivateMapKey, verifyUserSig } from '../auth/index.ts';
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
import { DEFAULT_QUOTAS, JoinRates, SessionQuotas, type QuotaLimits } from './quotas.ts';
import { hashResumeToken, Session } from './session.ts';
import { StreamRequests } from './stream-requests.ts';
import { RoomControlService } from './room-control-service.ts';

export interface ConferenceOptions {
  directory: RoomDirectory;
  workers: WorkerPool;
  network: MediaNetwork;
  apps: AppAccessLookup;
  resumeGraceSeconds: number;
  log: Logger;
  quotas?: Partial<QuotaLimits>;
  /**
   * How often live sessions' apps are re-read from the registry (default 5 s), so a key rotation or termination
   * made by another process (the CLI, another node) ends their sessions too. In-process changes are immediate
   * ({@link Conference.revokeApp}).
   */
  revalidateEveryMs?: number;
  now?: () => number;
  /**
   * In a cluster, decides whether this node serves the room (returns) or another does (throws CLUSTER_REDIRECT
   * naming it). Asked after the UserSig and PrivateMapKey are verified, so only a rightful entrant learns where
   * a room lives. Absent: a single node serves every room.
   */
  placement?: (join: { sdkAppId: number; userId: string; key: RoomKey; ticket?: string | undefined }) => Promise<void>;
  /** TURN servers with fresh credentials for a user's join answer (absent: TURN is off). */
  iceServers?: (userId: string) => IceServer[];
  /** Where conference-control actions (and refused attempts) are recorded; absent: not audited. */
  audit?: AuditSink;
}

/** Why an app's sessions are ended. */
export type Revocation = 'key_rotated' | 'terminated';
const REVOCATION_MESSAGE: Record<Revocation, string> = {
  key_rotated: "the app's secret key was rotated",
  terminated: 'the app was terminated',
};

export type ConferenceEvents = {
  /** A client's 2-second quality sample, for telemetry. */
  qualitysample: [session: Session, sample: QualitySample];
  /** The server's own transport statistics of a session, for telemetry. */
  transportstats: [session: Session, stats: { recv: types.WebRtcTransportStat[] }];
};

function describeParticipant(p: Participant): RemoteParticipant {
  return {
    userId: p.userId,
    role: p.role,
    ...(p.userName !== undefined ? { userName: p.userName } : {}),
    ...(p.e2eePublicKey ? { e2eePublicKey: p.e2eePublicKey } : {}),
    ...(p.recording ? { recording: true as const } : {}),
  };
}

/** How each leave reason reaches a still-connected client as TRTC's KICKED_OUT reason (others just end). */
const KICK_REASON: Partial<Record<LeaveReason, KickReason>> = {
  kicked: 'kick',
  removed: 'kick',
  disbanded: 'room_disband',
};
const SWEEP_MS = 2_000;
const STATS_EVERY_SWEEPS = 5;
const PRUNE_EVERY_SWEEPS = 15;
/** Registry answers that mean the app is gone (and with it every session's right to stay). */
const APP_GONE = new Set(['USERSIG_APP_MISMATCH', 'APP_NOT_FOUND', 'APP_TERMINATED', 'APP_KEY_DESTROYED']);

export class Conference extends EventEmitter<ConferenceEvents> implements SignalHandler {
  readonly sessions = new Map<string, Session>();
  readonly #byConnection = new Map<SignalConnection, Session>();
  readonly #byResumeToken = new Map<string, Session>();
  readonly #routers = new Map<string, Promise<RoomRouter>>();
  readonly #streams: StreamRequests;
  readonly #control: RoomControlService;
  readonly #options: ConferenceOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #sweep: NodeJS.Timeout;
  readonly #revalidate: NodeJS.Timeout;
  readonly #quotas: SessionQuotas;
  readonly #joinRates: JoinRates;
  #sweeps = 0;
  #revalidating = false;

  constructor(options: ConferenceOptions) {
    super();
    this.#options = options;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    const quotas = { ...DEFAULT_QUOTAS, ...options.quotas };
    this.#quotas = new SessionQuotas(quotas);
    this.#joinRates = new JoinRates(quotas, this.#now);
    this.#streams = new StreamRequests(options.directory, (room) => this.#sessionsIn(room), {
      consumersPerSession: this.#quotas.limits.consumersPerSession,
      network: options.network,
    });
    this.#control = new RoomControlService({
      directory: options.directory,
      sessionsIn: (room) => this.#sessionsIn(room),
      sessionOf: (participant) => this.sessions.get(participant.sessionId),
      log: options.log,
      ...(options.audit ? { audit: options.audit } : {}),
    });
    this.#listen(options.directory);
    this.#sweep = setInterval(() => this.#onSweep(), SWEEP_MS).unref();
    this.#revalidate = setInterval(() => void this.#revalidateApps(), options.revalidateEveryMs ?? 5_000).unref();
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
        if (!session.qualitySamples.tryTake(1)) throw new ConclaveError('QUALITY_SAMPLE_RATE_LIMITED');
        this.emit('qualitysample', session, data as QualitySample);
        return {};
      case 'heartbeat':
        return { serverTime: this.#now() };
      case 'e2eeKeyMessage':
        return this.#relayKeyMessage(session, data as RequestData<'e2eeKeyMessage'>);
      case 'roomControl':
        return this.#control.handle(session, data as RequestData<'roomControl'>);
      case 'chatMessage':
        return this.#control.chat(session, data as RequestData<'chatMessage'>);
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

  /**
   * Ends every session of an app whose key was rotated or that was terminated: KICKED_OUT (`banned`) with the
   * reason, no resume. Their UserSigs were signed with a key that no longer admits anyone.
   */
  revokeApp(sdkAppId: number, why: Revocation): number {
    const affected = [...this.sessions.values()].filter((s) => s.app.sdkAppId === sdkAppId);
    for (const session of affected) this.#evict(session, 'banned', REVOCATION_MESSAGE[why]);
    if (affected.length > 0) this.#log.info({ sdkAppId, why, sessions: affected.length }, 'app sessions revoked');
    return affected.length;
  }

  /** Ends every session and the media of every room. */
  close(): void {
    clearInterval(this.#sweep);
    clearInterval(this.#revalidate);
    for (const session of [...this.sessions.values()]) this.#leave(session, 'left');
    for (const router of this.#routers.values())
      void router.then(
        (r) => r.close(),
        () => undefined,
      );
    this.#routers.clear();
  }

  async #join(connection: SignalConnection, data: RequestData<'join'>): Promise<JoinAnswer> {
    // Signaling admits one entry request per connection; this holds even for a caller that does not.
    if (this.#byConnection.has(connection)) throw new ConclaveError('SIGNAL_ALREADY_JOINED');
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
    if (data.recording) this.#requireRecordPrivilege(app, data.userId, key, data.privateMapKey);
    await this.#options.placement?.({ sdkAppId: data.sdkAppId, userId: data.userId, key, ticket: data.clusterTicket });

    // The app's policy decides before any room state exists; a room it creates is marked as requiring E2EE.
    if (app.requireE2ee === true && !data.e2ee) throw new ConclaveError('E2EE_REQUIRED', 'this app requires E2EE');
    // Only a verified entrant this node serves spends the app's and the user's join budget.
    this.#joinRates.take(data.sdkAppId, data.userId);
    const slot = this.#quotas.reserve(data.sdkAppId, data.userId);
    try {
      return await this.#admit(connection, data, app, key, privileges, sig.expiresAt, slot);
    } catch (error) {
      slot.release();
      throw error;
    }
  }

  async #admit(
    connection: SignalConnection,
    data: RequestData<'join'>,
    app: AppAccess,
    key: RoomKey,
    privileges: number | undefined,
    expiresAt: number,
    slot: Session['slot'],
  ): Promise<JoinAnswer> {
    const { directory } = this.#options;
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
        ...(data.userName !== undefined ? { userName: data.userName } : {}),
        ...(data.recording ? { recording: true } : {}),
      },
      e2ee: data.e2ee,
      requireE2ee: data.requireE2ee || app.requireE2ee === true,
      ...(data.roomPassword !== undefined ? { password: data.roomPassword } : {}),
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
      expiresAt,
      connection,
      slot,
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
    const tokenHash = hashResumeToken(data.resumeToken);
    const found = this.#byResumeToken.get(tokenHash);
    if (!found || found.ended || found.participant.left) throw new ConclaveError('SESSION_RESUME_FAILED');
    // The token proves the client held the session; the app and the UserSig must still admit it.
    this.#byResumeToken.delete(tokenHash);
    let refusal: ConclaveError | undefined;
    try {
      refusal = await this.#stillAdmitted(found);
    } catch (error) {
      // The registry could not answer: the client may try the same token again.
      if (!found.ended) this.#byResumeToken.set(tokenHash, found);
      throw error;
    }
    const session = found;
    if (refusal) {
      this.#evict(session, 'banned', refusal.message);
      throw refusal;
    }
    if (session.ended || connection.state === 'closed') throw new ConclaveError('SESSION_RESUME_FAILED');
    const previous = session.connection;
    if (previous) {
      this.#byConnection.delete(previous);
      previous.close(CloseCode.GoingAway, 'resumed elsewhere');
    }
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

  #iceServers(userId: string): { iceServers?: IceServer[] } {
    const iceServers = this.#options.iceServers?.(userId) ?? [];
    return iceServers.length > 0 ? { iceServers } : {};
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
      control: room.control.state(),
      ...this.#iceServers(session.userId),
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

  /**
   * Whether a session may go on: its UserSig has not expired and its app is active with the key that admitted
   * it. Returns the refusal (not thrown) so the caller can end the session first.
   */
  async #stillAdmitted(session: Session): Promise<ConclaveError | undefined> {
    if (session.expiresAt <= this.#now()) return new ConclaveError('USERSIG_EXPIRED');
    let current: AppAccess;
    try {
      current = await this.#options.apps.access(session.app.sdkAppId);
    } catch (error) {
      if (error instanceof ConclaveError && APP_GONE.has(error.code))
        return new ConclaveError('SESSION_REVOKED', REVOCATION_MESSAGE.terminated);
      throw error;
    }
    return sameSecret(current.secretKey, session.app.secretKey)
      ? undefined
      : new ConclaveError('SESSION_REVOKED', REVOCATION_MESSAGE.key_rotated);
  }

  /** Re-reads the app of every live session (see `revalidateEveryMs`); one registry read per app. */
  async #revalidateApps(): Promise<void> {
    if (this.#revalidating) return;
    this.#revalidating = true;
    try {
      const byApp = new Map<number, Session>();
      for (const session of this.sessions.values()) byApp.set(session.app.sdkAppId, session);
      for (const [sdkAppId, session] of byApp) {
        let current: AppAccess | undefined;
        try {
          current = await this.#options.apps.access(sdkAppId);
        } catch (error) {
          if (!(error instanceof ConclaveError && APP_GONE.has(error.code))) {
            this.#log.warn({ err: error, sdkAppId }, 'could not re-read the app; its sessions go on');
            continue;
          }
        }
        if (!current) this.revokeApp(sdkAppId, 'terminated');
        else if (!sameSecret(current.secretKey, session.app.secretKey)) this.revokeApp(sdkAppId, 'key_rotated');
      }
    } finally {
      this.#revalidating = false;
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

  /**
   * A recording entry must carry a PrivateMapKey for this room with the Record bit, whether or not the app uses
   * advanced permission control: being recorded is announced to everyone, so only the app's backend (which
   * holds the key) may make a recorder.
   */
  #requireRecordPrivilege(app: AppAccess, userId: string, key: RoomKey, privateMapKey: string | undefined): void {
    if (privateMapKey === undefined) throw new ConclaveError('RECORDING_NOT_AUTHORIZED');
    const room = 'roomId' in key ? { roomId: key.roomId } : { strRoomId: key.strRoomId };
    const { privileges } = verifyPrivateMapKey(privateMapKey, {
      sdkAppId: app.sdkAppId,
      userId,
      secretKey: app.secretKey,
      room,
      now: this.#now(),
    });
    if ((privileges & PrivilegeBits.Record) === 0) throw new ConclaveError('RECORDING_NOT_AUTHORIZED');
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

  /** Ends a session with TRTC's KICKED_OUT (`reason`, `message`) and closes its socket. */
  #evict(session: Session, reason: KickReason, message: string): void {
    session.notify('kicked', { reason, message });
    const connection = session.connection;
    this.#leave(session, 'removed');
    connection?.close(CloseCode.Kicked, message);
  }

  #endSession(session: Session): void {
    if (session.ended) return;
    session.ended = true;
    session.slot.release();
    this.sessions.delete(session.id);
    this.#byResumeToken.delete(session.resumeTokenHash);
    if (session.connection) this.#byConnection.delete(session.connection);
    session.media.close();
    void session.recording?.then(
      (r) => r.close(),
      () => undefined,
    );
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
          message:
            reason === 'kicked'
              ? 'the same userId entered the room elsewhere'
              : reason === 'removed'
                ? 'removed from the room'
                : `removed: ${reason}`,
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
    directory.expireAwaitedMembers();
    const now = this.#now();
    for (const session of [...this.sessions.values()]) {
      if (session.expiresAt <= now) this.#evict(session, 'kick', 'the UserSig expired');
    }
    if (++this.#sweeps % PRUNE_EVERY_SWEEPS === 0) this.#joinRates.prune();
    if (this.#sweeps % STATS_EVERY_SWEEPS === 0 && this.listenerCount('transportstats') > 0) {
      for (const session of this.sessions.values()) {
        session.media.stats().then(
          (stats) => this.emit('transportstats', session, stats),
          () => undefined,
        );
      }
    }
  }
}

/** Constant-time comparison of two app secrets. */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
