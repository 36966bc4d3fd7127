/**
 * A participant's server-side session: the room membership (rooms/), its media (media/) and its current
 * signaling connection, which may change when a dropped client resumes within the grace period.
 */
import crypto from 'node:crypto';
import type { NotificationData, NotificationName } from '@conclave/protocol';
import type { ParticipantMedia } from '../media/participant-media.ts';
import type { RecordingTransport } from '../media/recording-transport.ts';
import type { RoomRouter } from '../media/room-router.ts';
import { TokenBucket, type Participant } from '../rooms/index.ts';
import type { SignalConnection } from '../signaling/connection.ts';
import type { AppAccess } from './app-access.ts';
import type { SessionSlot } from './quotas.ts';

/** The SDK samples quality every 2 s (TRTC's cadence); a little slack for timer jitter, nothing more. */
const QUALITY_SAMPLE_INTERVAL_S = 2;
const QUALITY_SAMPLE_BURST = 3;

export class Session {
  readonly id: string;
  readonly app: AppAccess;
  readonly participant: Participant;
  readonly router: RoomRouter;
  readonly media: ParticipantMedia;
  /** Unix ms when the UserSig that admitted this session expires. */
  readonly expiresAt: number;
  connection: SignalConnection | undefined;
  /** A recording participant's plain RTP transport, once opened (closed with the session). */
  recording: Promise<RecordingTransport> | undefined;
  /** Set once the session is over, so late events and requests are ignored. */
  ended = false;
  /** Rate of relayed E2EE key messages: a full rekey of a large room is a burst, anything more is abuse. */
  readonly keyMessages = new TokenBucket({ capacity: 400, refillPerSecond: 100, now: Date.now });
  /** Quality samples are stored at TRTC's cadence, whatever a client sends. */
  readonly qualitySamples = new TokenBucket({
    capacity: QUALITY_SAMPLE_BURST,
    refillPerSecond: 1 / QUALITY_SAMPLE_INTERVAL_S,
    now: Date.now,
  });
  /** Conference-control requests: a host clicking through a roster, not a script flooding the room. */
  readonly controlRequests = new TokenBucket({ capacity: 20, refillPerSecond: 5, now: Date.now });
  /** In-room chat: a burst of 5, then 2 messages a second. */
  readonly chatMessages = new TokenBucket({ capacity: 5, refillPerSecond: 2, now: Date.now });
  /** This session's place in the app's and the user's quota; released when the session ends. */
  readonly slot: SessionSlot;
  /** SHA-256 of the current resume token; the token itself is only ever held by the client. */
  resumeTokenHash = '';

  constructor(init: {
    id: string;
    app: AppAccess;
    participant: Participant;
    router: RoomRouter;
    media: ParticipantMedia;
    expiresAt: number;
    connection: SignalConnection;
    slot: SessionSlot;
  }) {
    this.id = init.id;
    this.app = init.app;
    this.participant = init.participant;
    this.router = init.router;
    this.media = init.media;
    this.expiresAt = init.expiresAt;
    this.connection = init.connection;
    this.slot = init.slot;
  }

  get userId(): string {
    return this.participant.userId;
  }

  /** Issues a fresh resume token (the previous one stops working) and returns it. */
  rotateResumeToken(): string {
    const token = crypto.randomBytes(32).toString('base64url');
    this.resumeTokenHash = hashResumeToken(token);
    return token;
  }

  notify<N extends NotificationName>(notification: N, data: NotificationData[N]): void {
    if (!this.ended) this.connection?.notify(notification, data);
  }
}

/** Lookups go by hash so the comparison does not leak the token through timing. */
export function hashResumeToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}
