/**
 * A minimal signaling client for server tests (Node `ws`): sends requests, collects responses and
 * notifications (each checked against the SDK's notification schemas), and reports how the socket closed.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { notificationSchemas, type NotificationName, type RequestMethod, type ServerMessage } from '@conclave/protocol';

export interface SignalResponse {
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string };
}

export class SignalTestClient {
  readonly ws: WebSocket;
  /** Notifications not yet taken by {@link next}. */
  readonly notifications: { notification: NotificationName; data: unknown }[] = [];
  /** Every notification received, in order. */
  readonly history: { notification: NotificationName; data: unknown }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  readonly #pending = new Map<number, (r: SignalResponse) => void>();
  readonly #waiters: { name: NotificationName; resolve: (d: unknown) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as ServerMessage;
      if ('notification' in msg) {
        // Every notification the server sends must pass the SDK's decode boundary, or the SDK would drop it.
        const check = Object.hasOwn(notificationSchemas, msg.notification)
          ? notificationSchemas[msg.notification].safeParse(msg.data)
          : undefined;
        if (!check?.success)
          throw new Error(`the server sent a notification the SDK refuses: ${raw.toString().slice(0, 300)}`);
        this.history.push({ notification: msg.notification, data: msg.data });
        const waiter = this.#waiters.findIndex((x) => x.name === msg.notification);
        if (waiter >= 0) this.#waiters.splice(waiter, 1)[0]!.resolve(msg.data);
        else this.notifications.push({ notification: msg.notification, data: msg.data });
        return;
      }
      const resolve = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      resolve?.(msg.ok ? { ok: true, data: msg.data } : { ok: false, error: msg.error });
    });
  }

  static async connect(url: string): Promise<SignalTestClient> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/signal', { rejectUnauthorized: false });
    const client = new SignalTestClient(ws);
    await once(ws, 'open');
    return client;
  }

  request(method: RequestMethod | string, data: unknown = {}): Promise<SignalResponse> {
    const id = this.#nextId++;
    this.ws.send(JSON.stringify({ v: 1, id, method, data }));
    return new Promise((resolve) => this.#pending.set(id, resolve));
  }

  /** Sends raw text or bytes, bypassing the envelope. */
  sendRaw(payload: string | Buffer): void {
    this.ws.send(payload);
  }

  /** Resolves with the next (or an already received, not yet awaited) notification of this name. */
  next(name: NotificationName): Promise<unknown> {
    const seen = this.notifications.findIndex((n) => n.notification === name);
    if (seen >= 0) return Promise.resolve(this.notifications.splice(seen, 1)[0]!.data);
    return new Promise((resolve) => this.#waiters.push({ name, resolve }));
  }

  close(): void {
    this.ws.close();
  }
}
