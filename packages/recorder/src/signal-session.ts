/**
 * The recorder's signaling connection: the same WebSocket protocol as the SDK (packages/protocol), requests with
 * ids and a deadline, notifications to listeners, and a heartbeat request. Every message from the server is
 * parsed defensively and bounded in size.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  MAX_SIGNAL_MESSAGE_BYTES,
  type NotificationData,
  type NotificationName,
  type RequestInput,
  type RequestMethod,
  type ResponseData,
} from '@conclave/protocol';

/** A refused request: the server's stable error code and message. */
export class SignalError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

type SignalSessionEvents = {
  notification: [name: NotificationName, data: unknown];
  close: [code: number, reason: string];
};

const REQUEST_TIMEOUT_MS = 15_000;
const HEARTBEAT_MS = 10_000;
/** The server's answers can be larger than what it accepts (a join answer lists the room). */
const MAX_INBOUND_BYTES = 16 * MAX_SIGNAL_MESSAGE_BYTES;

export class SignalSession extends EventEmitter<SignalSessionEvents> {
  readonly #ws: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #heartbeat: NodeJS.Timeout;
  closed = false;

  private constructor(ws: WebSocket) {
    super();
    this.#ws = ws;
    ws.on('message', (raw, isBinary) => this.#onMessage(raw as Buffer, isBinary));
    ws.on('close', (code, reason) => {
      this.closed = true;
      clearInterval(this.#heartbeat);
      for (const p of this.#pending.values()) p.reject(new SignalError('SIGNAL_CLOSED', `socket closed (${code})`));
      this.#pending.clear();
      this.emit('close', code, reason.toString());
    });
    ws.on('error', () => undefined); // 'close' follows
    this.#heartbeat = setInterval(() => void this.request('heartbeat', {}).catch(() => undefined), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Opens `<serverUrl>/signal` (http(s) or ws(s) URL). `insecureTls` accepts a self-signed certificate (dev). */
  static async connect(serverUrl: string, options: { insecureTls?: boolean } = {}): Promise<SignalSession> {
    const url = serverUrl.replace(/^http/, 'ws').replace(/\/$/, '') + '/signal';
    const ws = new WebSocket(url, { maxPayload: MAX_INBOUND_BYTES, rejectUnauthorized: !options.insecureTls });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SignalSession(ws);
  }

  request<M extends RequestMethod>(method: M, data: RequestInput<M>): Promise<ResponseData[M]> {
    if (this.closed) return Promise.reject(new SignalError('SIGNAL_CLOSED', 'not connected'));
    const id = this.#nextId++;
    this.#ws.send(JSON.stringify({ v: 1, id, method, data }));
    return new Promise<ResponseData[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalError('SIGNAL_TIMEOUT', `${method} got no answer`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as ResponseData[M]);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Waits for notifications of one kind (typed). */
  onNotification<N extends NotificationName>(name: N, listener: (data: NotificationData[N]) => void): void {
    this.on('notification', (n, data) => {
      if (n === name) listener(data as NotificationData[N]);
    });
  }

  close(): void {
    clearInterval(this.#heartbeat);
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close();
  }

  #onMessage(raw: Buffer, isBinary: boolean): void {
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(raw.toString('utf8'));
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    if (typeof m['notification'] === 'string') {
      this.emit('notification', m['notification'] as NotificationName, m['data']);
      return;
    }
    if (typeof m['id'] !== 'number') return;
    const pending = this.#pending.get(m['id']);
    if (!pending) return;
    this.#pending.delete(m['id']);
    if (m['ok'] === true) pending.resolve(m['data'] ?? {});
    else {
      const error = (m['error'] ?? {}) as { code?: unknown; message?: unknown };
      pending.reject(
        new SignalError(
          typeof error.code === 'string' ? error.code : 'UNKNOWN',
          typeof error.message === 'string' ? error.message : '',
        ),
      );
    }
  }
}
