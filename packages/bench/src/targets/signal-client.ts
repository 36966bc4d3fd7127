/** A minimal client of Conclave's `/signal` WebSocket (protocol in packages/protocol/src/signaling.ts). */
import WebSocket from 'ws';
import type { NotificationName, RequestInput, RequestMethod, ResponseData, ServerMessage } from '@conclave/protocol';

export class SignalClient {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve: (d: unknown) => void; reject: (e: Error) => void }>();
  /** Every notification received, in order. */
  readonly notifications: { name: NotificationName; data: unknown }[] = [];
  #nextId = 1;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as ServerMessage;
      if ('notification' in msg) {
        this.notifications.push({ name: msg.notification, data: msg.data });
        return;
      }
      const pending = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (!pending) return;
      if (msg.ok) pending.resolve(msg.data);
      else pending.reject(new Error(`${msg.error.code}: ${msg.error.message}`));
    });
    ws.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new Error('signaling socket closed'));
      this.#pending.clear();
    });
  }

  static connect(baseUrl: string): Promise<SignalClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/signal`, { rejectUnauthorized: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new SignalClient(ws)));
      ws.once('error', reject);
    });
  }

  request<M extends RequestMethod>(method: M, data: RequestInput<M>): Promise<ResponseData[M]> {
    // A closed socket would never answer: refuse at once rather than wait forever.
    if (this.#ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('signaling socket closed'));
    const id = this.#nextId++;
    this.#ws.send(JSON.stringify({ v: 1, id, method, data }));
    return new Promise((resolve, reject) =>
      this.#pending.set(id, { resolve: resolve as (d: unknown) => void, reject }),
    );
  }

  close(): void {
    this.#ws.close();
  }
}
