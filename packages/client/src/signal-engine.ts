/**
 * The connection engine: owns the current {@link SignalClient}, joins, keeps the session alive with
 * heartbeats, and reconnects on its own — a dropped socket is resumed with the join answer's token (with
 * backoff, within the grace period); a refused resume, an expired grace or a `mediaReset` notification
 * rejoins from scratch with the same credentials. The facade learns about a re-established session through
 * the `session` event and rebuilds or keeps its media accordingly.
 *
 * In a cluster, a join may be answered with `CLUSTER_REDIRECT`: the room lives on another node. The engine
 * follows it without the caller noticing — it opens the named node's socket and sends the same join with the
 * redirect's ticket — and resumes on that node afterwards; a rejoin starts again at the configured URL.
 */
import { clusterRedirectSchema, type JoinAnswer, type RequestInput } from '@conclave/protocol';
import { Emitter } from './emitter.ts';
import { RtcError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { ConnectionState } from './constants.ts';
import type { Requester } from './media-session.ts';
import { SignalClient, SignalFailure, type Notification, type SocketLike } from './signal-client.ts';

/** The join request without the capabilities the engine adds itself. */
export type JoinParams = Omit<RequestInput<'join'>, 'rtpCapabilities'>;

/** Events of a {@link SignalEngine}. */
export type SignalEngineEvents = {
  state: [prev: ConnectionState, next: ConnectionState];
  /** A session was re-established after a drop: `resume` kept the server-side session, `rejoin` made a new one. */
  session: [answer: JoinAnswer, how: 'resume' | 'rejoin'];
  notification: [Notification];
  kicked: [{ reason: 'kick' | 'banned' | 'room_disband'; message: string }];
  /** Reconnection gave up; the engine is DISCONNECTED. */
  failed: [RtcError];
};

/** Settings of a {@link SignalEngine}. */
export interface SignalEngineOptions {
  url: string;
  log: Logger;
  createSocket?: (url: string) => SocketLike;
  /** The device's receive capabilities once known, sent with resume and rejoin. */
  rtpCapabilities: () => Record<string, unknown> | undefined;
  requestTimeoutMs?: number;
  heartbeatMs?: number;
  /** Delays between reconnection attempts; the last repeats. */
  backoffMs?: readonly number[];
  /** Give up reconnecting after this long (default: the grace period plus 30 s). */
  maxReconnectMs?: number;
}

/** Server codes after which rejoining again may succeed. */
const TRANSIENT_SERVER_CODES = new Set([
  'INTERNAL',
  'MEDIA_NO_WORKER',
  'MEDIA_WORKER_DIED',
  'SIGNAL_RATE_LIMITED',
  'STORE_UNAVAILABLE',
  'SESSION_RESUME_FAILED',
  'CLUSTER_UNAVAILABLE',
  'CLUSTER_NO_NODE',
  'CLUSTER_DRAINING',
  'CLUSTER_TICKET_EXPIRED',
]);

/** Redirects followed for one join before giving up (a redirect loop is a server fault). */
const MAX_REDIRECTS = 3;

const DEFAULT_BACKOFF_MS = [0, 500, 1000, 2000, 4000, 5000];

/** Join, heartbeat, resume and rejoin over successive signaling sockets. */
export class SignalEngine extends Emitter<SignalEngineEvents> {
  readonly #options: SignalEngineOptions;
  readonly #log: Logger;
  #signal: SignalClient | undefined;
  #state: ConnectionState = 'DISCONNECTED';
  #join: JoinParams | undefined;
  #resumeToken: string | undefined;
  #graceMs = 90_000;
  #droppedAt = 0;
  /** Bumped by leave/close so that loops and callbacks of an earlier session stop. */
  #generation = 0;
  #reconnectMode: 'resume' | 'rejoin' | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** The signaling URL of the node serving the session (differs from the configured one after a redirect). */
  #nodeUrl: string | undefined;

  constructor(options: SignalEngineOptions) {
    super();
    this.#options = options;
    this.#log = options.log;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Sends a request on the current socket; fails with a `closed` SignalFailure while reconnecting. */
  readonly request: Requester = (method, data) => {
    const signal = this.#signal;
    if (!signal?.isOpen)
      return Promise.reject(new SignalFailure('closed', `cannot send ${method} while ${this.#state}`));
    return signal.request(method, data);
  };

  /** Opens a socket and joins; on failure the engine is DISCONNECTED again and the error says why. */
  async join(params: JoinParams): Promise<JoinAnswer> {
    const generation = ++this.#generation;
    this.#join = params;
    this.#setState('CONNECTING');
    try {
      const { signal, answer } = await this.#enter(params, generation);
      this.#adopt(signal, answer);
      this.#setState('CONNECTED');
      return answer;
    } catch (err) {
      if (generation === this.#generation) {
        this.#join = undefined;
        this.#setState('DISCONNECTED');
      }
      throw err;
    }
  }

  /** Leaves the room (best effort) and closes the socket; stops any reconnection. */
  async leave(): Promise<void> {
    this.#generation++;
    const signal = this.#signal;
    this.#teardown();
    if (signal?.isOpen) await signal.request('leave', {}).catch(() => undefined);
    signal?.close('left');
    this.#setState('DISCONNECTED');
  }

  /** The server reset the media plane under this session: rejoin from scratch. */
  handleMediaReset(): void {
    if (this.#state === 'DISCONNECTED' || !this.#join) return;
    const old = this.#signal;
    this.#signal = undefined;
    if (old) {
      old.off('close');
      old.off('notification');
      void old
        .request('leave', {}, 1000)
        .catch(() => undefined)
        .finally(() => old.close('media reset'));
    }
    void this.#reconnect('rejoin');
  }

  /** Treats the current socket as dead (used by tests and by the heartbeat). */
  handleSocketDead(reason: string): void {
    const signal = this.#signal;
    if (!signal || this.#state !== 'CONNECTED') return;
    this.#log.warn('signaling socket considered dead', { reason });
    signal.close(reason);
    this.#onDrop();
  }

  /**
   * Opens a socket at the configured URL and joins, following cluster redirects: on `CLUSTER_REDIRECT` the
   * same join goes to the named node with the redirect's ticket. Closes every socket it does not return.
   */
  async #enter(params: JoinParams, generation: number): Promise<{ signal: SignalClient; answer: JoinAnswer }> {
    let url = this.#options.url;
    let ticket: string | undefined;
    for (let hop = 0; ; hop++) {
      const signal = this.#newSignal(url);
      try {
        await signal.connect();
        this.#assertCurrent(generation);
        const answer = await signal.request('join', {
          ...params,
          rtpCapabilities: this.#options.rtpCapabilities(),
          ...(ticket !== undefined ? { clusterTicket: ticket } : {}),
        });
        this.#assertCurrent(generation);
        this.#nodeUrl = url;
        return { signal, answer };
      } catch (err) {
        signal.close('join failed');
        const redirect =
          err instanceof SignalFailure && err.kind === 'server' && err.serverCode === 'CLUSTER_REDIRECT'
            ? clusterRedirectSchema.safeParse(err.details)
            : undefined;
        if (!redirect?.success || hop >= MAX_REDIRECTS) throw err;
        this.#log.info('room served by another node; following the redirect', { node: redirect.data.nodeId });
        url = redirect.data.url;
        ticket = redirect.data.ticket;
      }
    }
  }

  #newSignal(url = this.#nodeUrl ?? this.#options.url): SignalClient {
    return new SignalClient({
      url,
      log: this.#log,
      createSocket: this.#options.createSocket,
      requestTimeoutMs: this.#options.requestTimeoutMs,
    });
  }

  #assertCurrent(generation: number): void {
    if (generation !== this.#generation) throw new SignalFailure('aborted', 'superseded by exitRoom');
  }

  #adopt(signal: SignalClient, answer: JoinAnswer): void {
    this.#signal = signal;
    this.#resumeToken = answer.resumeToken;
    this.#graceMs = Math.max(1, answer.resumeGraceSeconds) * 1000;
    signal.on('notification', (n) => this.#onNotification(signal, n));
    signal.on('close', ({ code, reason }) => {
      if (signal !== this.#signal) return;
      this.#log.warn('signaling socket dropped', { code, reason });
      this.#onDrop();
    });
    this.#startHeartbeat(signal);
  }

  #startHeartbeat(signal: SignalClient): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    const every = this.#options.heartbeatMs ?? 10_000;
    this.#heartbeat = setInterval(() => {
      if (signal !== this.#signal || !signal.isOpen) return;
      signal.request('heartbeat', {}, Math.max(2000, every / 2)).catch((err: unknown) => {
        if (err instanceof SignalFailure && err.kind === 'timeout' && signal === this.#signal)
          this.handleSocketDead('heartbeat timeout');
      });
    }, every);
  }

  #teardown(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const signal = this.#signal;
    this.#signal = undefined;
    if (signal) {
      signal.off('close');
      signal.off('notification');
    }
    this.#reconnectMode = undefined;
  }

  #onNotification(signal: SignalClient, n: Notification): void {
    if (signal !== this.#signal) return;
    if (n.name === 'kicked') {
      this.#generation++;
      this.#teardown();
      signal.close('kicked');
      this.#join = undefined;
      this.#setState('DISCONNECTED');
      this.emit('kicked', { reason: n.data.reason, message: n.data.message });
      return;
    }
    if (n.name === 'mediaReset') {
      this.#log.warn('media plane reset by the server; rejoining', { reason: n.data.reason });
      this.handleMediaReset();
      return;
    }
    this.emit('notification', n);
  }

  #onDrop(): void {
    this.#signal = undefined;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#droppedAt = Date.now();
    void this.#reconnect('resume');
  }

  async #reconnect(mode: 'resume' | 'rejoin'): Promise<void> {
    if (this.#reconnectMode) {
      if (mode === 'rejoin') this.#reconnectMode = 'rejoin';
      return;
    }
    const join = this.#join;
    if (!join) return;
    const generation = this.#generation;
    this.#reconnectMode = mode === 'resume' && this.#resumeToken ? 'resume' : 'rejoin';
    this.#setState('RECONNECTING');
    const started = Date.now();
    const backoff = this.#options.backoffMs ?? DEFAULT_BACKOFF_MS;
    const maxMs = this.#options.maxReconnectMs ?? this.#graceMs + 30_000;
    let attempt = 0;
    let lastError: unknown;
    while (generation === this.#generation) {
      if (this.#reconnectMode === 'resume' && Date.now() - this.#droppedAt > this.#graceMs - 1000)
        this.#reconnectMode = 'rejoin';
      if (Date.now() - started > maxMs) {
        const message = `reconnection gave up after ${Math.round((Date.now() - started) / 1000)} s`;
        return this.#fail(RtcError.operationFailed('reconnect', message, lastError));
      }
      const delay = backoff[Math.min(attempt, backoff.length - 1)] ?? 1000;
      attempt++;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (generation !== this.#generation) return;
      const how = this.#reconnectMode ?? 'rejoin';
      // A resume goes back to the node holding the session; a rejoin asks the cluster afresh.
      let signal: SignalClient | undefined;
      try {
        let answer: JoinAnswer;
        if (how === 'resume' && this.#resumeToken) {
          signal = this.#newSignal();
          await signal.connect();
          this.#assertCurrent(generation);
          const rtpCapabilities = this.#options.rtpCapabilities();
          answer = await signal.request('resume', { resumeToken: this.#resumeToken, rtpCapabilities });
        } else {
          ({ signal, answer } = await this.#enter(join, generation));
        }
        this.#assertCurrent(generation);
        this.#reconnectMode = undefined;
        this.#adopt(signal, answer);
        this.#log.info('reconnected', { how, attempts: attempt });
        this.#setState('CONNECTED');
        this.emit('session', answer, how);
        return;
      } catch (err) {
        signal?.close('reconnect attempt failed');
        lastError = err;
        if (generation !== this.#generation) return;
        // The node a redirect sent us to is unreachable (stopped, drained, dead): the session cannot be resumed
        // anywhere else, so rejoin through the configured URL and let the cluster place the room anew.
        if (
          how === 'resume' &&
          err instanceof SignalFailure &&
          err.kind === 'connect' &&
          this.#nodeUrl !== this.#options.url &&
          attempt >= 2
        ) {
          this.#log.info('the serving node is unreachable; rejoining through the entry URL');
          this.#reconnectMode = 'rejoin';
          attempt = 0;
          continue;
        }
        if (err instanceof SignalFailure && err.kind === 'server') {
          if (how === 'resume') {
            this.#log.info('resume refused; rejoining', { code: err.serverCode });
            this.#reconnectMode = 'rejoin';
            attempt = 0;
            continue;
          }
          if (!TRANSIENT_SERVER_CODES.has(err.serverCode ?? '')) return this.#fail(RtcError.from('reconnect', err));
        }
        this.#log.debug('reconnect attempt failed', {
          how,
          attempt,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }

  #fail(error: RtcError): void {
    this.#generation++;
    this.#teardown();
    this.#join = undefined;
    this.#setState('DISCONNECTED');
    this.emit('failed', error);
  }

  #setState(next: ConnectionState): void {
    if (next === this.#state) return;
    const prev = this.#state;
    this.#state = next;
    this.#log.info('connection state', { prev, next });
    this.emit('state', prev, next);
  }
}
