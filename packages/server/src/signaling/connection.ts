/**
 * One participant's WebSocket: parse → bound → validate → rate-limit → hand to the handler, one request at a
 * time. The first message must be `join` (or `resume`) within the join deadline; pings detect dead peers.
 * No business logic lives here: the {@link SignalHandler} decides what a request means.
 */
import type { WebSocket } from 'ws';
import {
  ConclaveError,
  PROTOCOL_VERSION,
  type ErrorCode,
  type NotificationData,
  type NotificationName,
  type RequestMethod,
} from '@conclave/protocol';
import type { Logger } from '../logger.ts';
import { TokenBucket } from '../rooms/token-bucket.ts';
import { CloseCode } from './close-codes.ts';
import { decodeSignalFrame } from './decode.ts';

export interface SignalLimits {
  joinTimeoutMs: number;
  maxMessageBytes: number;
  messagesPerSecond: number;
  messageBurst: number;
  heartbeatMs: number;
}

/** What the connection hands validated requests to. */
export interface SignalHandler {
  handle(connection: SignalConnection, method: RequestMethod, data: unknown): Promise<unknown>;
  /** The socket is gone (whatever the reason); called once. */
  disconnected(connection: SignalConnection): void;
}

/** Malformed or invalid messages tolerated before the connection is closed as abusive. */
const MAX_STRIKES = 10;
const ENTRY_METHODS: ReadonlySet<string> = new Set(['join', 'resume']);

let nextConnectionId = 1;

export class SignalConnection {
  readonly id = `c${nextConnectionId++}`;
  readonly clientIp: string;
  /**
   * `joining`: an entry request (join/resume) is queued or running. The state changes when the entry request
   * *arrives*, so a second one pipelined behind it is refused however the first one ends.
   */
  state: 'awaiting-join' | 'joining' | 'joined' | 'closed' = 'awaiting-join';
  readonly #ws: WebSocket;
  readonly #handler: SignalHandler;
  readonly #limits: SignalLimits;
  readonly #log: Logger;
  readonly #bucket: TokenBucket;
  /** Refused (rate-limited) messages: a client that keeps sending into a full bucket is closed. */
  readonly #refusals: TokenBucket;
  #queue: Promise<void> = Promise.resolve();
  #strikes = 0;
  #alive = true;
  #reported = false;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(ws: WebSocket, clientIp: string, handler: SignalHandler, limits: SignalLimits, log: Logger) {
    this.#ws = ws;
    this.clientIp = clientIp;
    this.#handler = handler;
    this.#limits = limits;
    this.#log = log.child({ connection: this.id });
    this.#bucket = new TokenBucket({
      capacity: limits.messageBurst,
      refillPerSecond: limits.messagesPerSecond,
      now: Date.now,
    });
    this.#refusals = new TokenBucket({
      capacity: limits.messageBurst,
      refillPerSecond: limits.messagesPerSecond,
      now: Date.now,
    });

    ws.on('message', (raw, isBinary) => this.#onMessage(raw as Buffer | Buffer[] | ArrayBuffer, isBinary));
    ws.on('pong', () => (this.#alive = true));
    ws.on('close', () => this.#onClosed());
    ws.on('error', (err) => this.#log.debug({ err: err.message }, 'socket error'));

    this.#timers.push(
      setTimeout(() => {
        if (this.state === 'awaiting-join' || this.state === 'joining')
          this.fail('SIGNAL_JOIN_TIMEOUT', CloseCode.JoinTimeout);
      }, limits.joinTimeoutMs),
      setInterval(() => {
        if (!this.#alive) return this.fail('SIGNAL_IDLE_TIMEOUT', CloseCode.IdleTimeout);
        this.#alive = false;
        ws.ping();
      }, limits.heartbeatMs),
    );
  }

  /** Marks the connection as carrying a participant (its entry request succeeded). */
  markJoined(): void {
    if (this.state === 'joining' || this.state === 'awaiting-join') this.state = 'joined';
  }

  notify<N extends NotificationName>(notification: N, data: NotificationData[N]): void {
    this.#send({ v: PROTOCOL_VERSION, notification, data });
  }

  /** Sends an error notification, then closes with `closeCode`. */
  fail(code: ErrorCode, closeCode: number, message?: string): void {
    this.notify('error', { code, message: message ?? new ConclaveError(code).message });
    this.close(closeCode, code);
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.#clearTimers();
    this.#ws.close(code, reason.slice(0, 120));
    // A peer that never completes the closing handshake must not keep the socket open.
    setTimeout(() => this.#ws.terminate(), 2000).unref();
  }

  #onMessage(raw: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const bytes = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    const frame = decodeSignalFrame(bytes, isBinary, this.#limits.maxMessageBytes);
    if (frame.kind === 'too-large') {
      return this.fail(
        'SIGNAL_TOO_LARGE',
        CloseCode.TooLarge,
        `messages are limited to ${this.#limits.maxMessageBytes} bytes`,
      );
    }
    if (frame.kind === 'malformed') return this.#strike('SIGNAL_MALFORMED');
    const { id } = frame;
    if (!this.#bucket.tryTake(1)) {
      this.#respondError(id, new ConclaveError('SIGNAL_RATE_LIMITED'));
      // Sending on into a full bucket for another burst's worth of messages is a flood, not a burst.
      if (!this.#refusals.tryTake(1)) this.close(CloseCode.PolicyViolation, 'SIGNAL_RATE_LIMITED');
      return;
    }
    // An unknown method is not a strike: a newer SDK may know methods this server does not.
    if (frame.kind === 'unknown-method') return this.#respondError(id, frame.error);
    if (frame.kind === 'invalid') {
      this.#respondError(id, frame.error);
      return this.#countStrike();
    }
    const { method, data } = frame;
    const entry = ENTRY_METHODS.has(method);
    if (this.state === 'awaiting-join' && !entry) return this.#respondError(id, new ConclaveError('SIGNAL_NOT_JOINED'));
    if (this.state !== 'awaiting-join' && entry)
      return this.#respondError(id, new ConclaveError('SIGNAL_ALREADY_JOINED'));
    // Decided here, when the message arrives: one entry request per connection, whatever is still queued.
    if (entry) this.state = 'joining';
    this.#queue = this.#queue.then(() => this.#dispatch(id, method, data));
  }

  async #dispatch(id: number, method: RequestMethod, data: unknown): Promise<void> {
    if (this.state === 'closed') return;
    try {
      const result = await this.#handler.handle(this, method, data);
      this.#send({ v: PROTOCOL_VERSION, id, ok: true, data: result ?? {} });
    } catch (error) {
      if (!(error instanceof ConclaveError)) this.#log.error({ err: error, method }, 'request failed');
      this.#respondError(id, error instanceof ConclaveError ? error : new ConclaveError('INTERNAL'));
      if (ENTRY_METHODS.has(method) && this.state === 'joining') this.close(CloseCode.JoinRefused, 'join refused');
    }
  }

  #strike(code: ErrorCode): void {
    this.notify('error', { code, message: new ConclaveError(code).message });
    this.#countStrike();
  }

  #countStrike(): void {
    if (++this.#strikes >= MAX_STRIKES) this.close(CloseCode.PolicyViolation, 'SIGNAL_MALFORMED');
  }

  #respondError(id: number, error: ConclaveError): void {
    this.#send({ v: PROTOCOL_VERSION, id, ok: false, error: error.toJSON() });
  }

  #send(message: unknown): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(JSON.stringify(message));
  }

  #onClosed(): void {
    this.state = 'closed';
    this.#clearTimers();
    if (this.#reported) return;
    this.#reported = true;
    this.#handler.disconnected(this);
  }

  #clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.length = 0;
  }
}
