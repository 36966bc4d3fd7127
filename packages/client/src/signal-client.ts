/**
 * One signaling WebSocket: sends `{v, id, method, data}` requests, matches `{v, id, ok, …}` responses through
 * a map of pending requests (each with a timeout), and forwards `{v, notification, data}` notifications.
 * When the socket closes, every pending request is rejected with a `closed` {@link SignalFailure}.
 * It knows nothing about rooms or reconnection; the engine above it decides what a close means.
 */
import { z } from 'zod';
import {
  MAX_SIGNAL_MESSAGE_BYTES,
  notificationSchemas,
  PROTOCOL_VERSION,
  type NotificationData,
  type NotificationName,
  type RequestInput,
  type RequestMethod,
  type ResponseData,
} from '@conclave/protocol';
import { Emitter } from './emitter.ts';
import type { Logger } from './logger.ts';

/** Why a request failed before or instead of a server answer. */
export type SignalFailureKind = 'server' | 'timeout' | 'closed' | 'connect' | 'too_large' | 'aborted';

/** A failed signaling request: a server refusal (with its string code) or a transport problem. */
export class SignalFailure extends Error {
  readonly kind: SignalFailureKind;
  /** Conclave's error code when `kind === 'server'`. */
  readonly serverCode: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: SignalFailureKind, message: string, serverCode?: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'SignalFailure';
    this.kind = kind;
    this.serverCode = serverCode;
    this.details = details;
  }
}

/** The part of the browser `WebSocket` the client uses, so tests can pass a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
}

/** A server notification, typed by name. */
export type Notification = { [N in NotificationName]: { name: N; data: NotificationData[N] } }[NotificationName];

/** Events of a {@link SignalClient}. */
export type SignalClientEvents = {
  notification: [Notification];
  /** The socket closed without {@link SignalClient.close} being called. */
  close: [{ code: number; reason: string }];
};

/** Settings of a {@link SignalClient}. */
export interface SignalClientOptions {
  url: string;
  log: Logger;
  /** Defaults to `new WebSocket(url)`. */
  createSocket?: (url: string) => SocketLike;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

const OPEN = 1;

// The decode boundary: only these three shapes are accepted from the server.
const serverMessageSchema = z.union([
  z.object({ v: z.literal(PROTOCOL_VERSION), id: z.number(), ok: z.literal(true), data: z.unknown() }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    id: z.number(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
  }),
  z.object({ v: z.literal(PROTOCOL_VERSION), notification: z.string(), data: z.unknown() }),
]);

interface Pending {
  method: string;
  resolve: (data: unknown) => void;
  reject: (err: SignalFailure) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The request/response/notification channel over one WebSocket. */
export class SignalClient extends Emitter<SignalClientEvents> {
  readonly #options: SignalClientOptions;
  readonly #pending = new Map<number, Pending>();
  #socket: SocketLike | undefined;
  #nextId = 1;
  #closed = false;

  constructor(options: SignalClientOptions) {
    super();
    this.#options = options;
  }

  /** Whether the socket is open and {@link close} has not been called. */
  get isOpen(): boolean {
    return !this.#closed && this.#socket?.readyState === OPEN;
  }

  /** Opens the socket; rejects with a `connect` failure if it does not open in time. */
  connect(): Promise<void> {
    const { url, createSocket, connectTimeoutMs = 10_000, log } = this.#options;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let socket: SocketLike;
      try {
        socket = createSocket ? createSocket(url) : (new WebSocket(url) as SocketLike);
      } catch (err) {
        reject(new SignalFailure('connect', `cannot open ${url}: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      this.#socket = socket;
      const timer = setTimeout(() => fail(`no connection to ${url} within ${connectTimeoutMs} ms`), connectTimeoutMs);
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#closed = true;
        socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
        try {
          socket.close();
        } catch {
          // already closed
        }
        reject(new SignalFailure('connect', message));
      };
      socket.onopen = () => {
        if (settled) return;
        if (this.#closed) return fail('closed while connecting');
        settled = true;
        clearTimeout(timer);
        log.debug('socket open', { url });
        resolve();
      };
      socket.onerror = () => {
        if (!settled) fail(`cannot connect to ${url}`);
      };
      socket.onclose = (ev) => {
        if (!settled) return fail(`socket closed while connecting (${ev.code})`);
        this.#onClose(ev.code, ev.reason);
      };
      socket.onmessage = (ev) => this.#onMessage(ev.data);
    });
  }

  /** Sends a request and resolves with the server's answer; rejects with a {@link SignalFailure}. */
  request<M extends RequestMethod>(method: M, data: RequestInput<M>, timeoutMs?: number): Promise<ResponseData[M]> {
    const socket = this.#socket;
    if (this.#closed || !socket || socket.readyState !== OPEN) {
      return Promise.reject(new SignalFailure('closed', `cannot send ${method}: the signaling socket is not open`));
    }
    const id = this.#nextId++;
    const text = JSON.stringify({ v: PROTOCOL_VERSION, id, method, data });
    if (new TextEncoder().encode(text).length > MAX_SIGNAL_MESSAGE_BYTES) {
      return Promise.reject(new SignalFailure('too_large', `${method} exceeds ${MAX_SIGNAL_MESSAGE_BYTES} bytes`));
    }
    const ms = timeoutMs ?? this.#options.requestTimeoutMs ?? 10_000;
    return new Promise<ResponseData[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalFailure('timeout', `${method} got no answer within ${ms} ms`));
      }, ms);
      this.#pending.set(id, { method, resolve: resolve as (d: unknown) => void, reject, timer });
      try {
        socket.send(text);
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(
          new SignalFailure('closed', `cannot send ${method}: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
    });
  }

  /** Number of requests awaiting an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Closes the socket on our initiative: pending requests are rejected; no `close` event is emitted. */
  close(reason = 'client closed'): void {
    if (this.#closed && !this.#socket) return;
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
      try {
        socket.close(1000, reason);
      } catch {
        // already closed
      }
    }
    this.#rejectAll(new SignalFailure('aborted', `signaling closed: ${reason}`));
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket = undefined;
    this.#options.log.info('socket closed', { code, reason });
    this.#rejectAll(new SignalFailure('closed', `signaling socket closed (${code}${reason ? ` ${reason}` : ''})`));
    this.emit('close', { code, reason });
  }

  #rejectAll(err: SignalFailure): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new SignalFailure(err.kind, `${p.method}: ${err.message}`));
    }
  }

  #onMessage(raw: unknown): void {
    if (typeof raw !== 'string' || raw.length > MAX_SIGNAL_MESSAGE_BYTES * 64) {
      this.#options.log.warn('ignoring a non-text or oversized signaling message');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.#options.log.warn('ignoring a signaling message that is not JSON');
      return;
    }
    const parsed = serverMessageSchema.safeParse(json);
    if (!parsed.success) {
      this.#options.log.warn('ignoring a signaling message of unknown shape');
      return;
    }
    const msg = parsed.data;
    if ('notification' in msg) {
      const notification = decodeNotification(msg.notification, msg.data);
      if (notification) this.emit('notification', notification);
      else
        this.#options.log.warn('ignoring an unknown or malformed notification', {
          name: msg.notification.slice(0, 32),
        });
      return;
    }
    const pending = this.#pending.get(msg.id);
    if (!pending) return;
    this.#pending.delete(msg.id);
    clearTimeout(pending.timer);
    if (msg.ok) pending.resolve(msg.data);
    else pending.reject(new SignalFailure('server', msg.error.message, msg.error.code, msg.error.details));
  }
}

/**
 * A server notification checked against its schema, or undefined for an unknown name (a newer server) or a
 * payload of the wrong shape: nothing downstream reads a field the server did not really send.
 */
export function decodeNotification(name: string, data: unknown): Notification | undefined {
  if (!Object.hasOwn(notificationSchemas, name)) return undefined;
  const parsed = notificationSchemas[name as NotificationName].safeParse(data);
  return parsed.success ? ({ name, data: parsed.data } as Notification) : undefined;
}
