/**
 * A scripted in-memory WebSocket for unit tests of the signaling layers (Node 20 has no WebSocket).
 * Not part of the bundle: only tests import it.
 */
import type { SocketLike } from './signal-client.ts';

/** A request the fake socket received. */
export interface SentRequest {
  v: number;
  id: number;
  method: string;
  data: Record<string, unknown>;
}

/** Answers a request: return `{ ok: true, data }`, `{ ok: false, code }`, or undefined to stay silent. */
export type FakeServer = (
  req: SentRequest,
  socket: FakeSocket,
) => { ok: true; data: unknown } | { ok: false; code: string; details?: Record<string, unknown> } | undefined;

/** A WebSocket whose server side is a function. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: SentRequest[] = [];
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  readonly #server: FakeServer | undefined;
  /** The URL the client opened (when the test's createSocket passes it). */
  url = '';

  constructor(server?: FakeServer, opens = true) {
    this.#server = server;
    if (opens) setTimeout(() => this.open(), 0);
    else setTimeout(() => this.serverClose(1006), 0);
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }

  send(text: string): void {
    const req = JSON.parse(text) as SentRequest;
    this.sent.push(req);
    const answer = this.#server?.(req, this);
    if (!answer) return;
    setTimeout(() => {
      if (this.readyState !== 1) return;
      if (answer.ok) this.push({ v: 1, id: req.id, ok: true, data: answer.data });
      else
        this.push({
          v: 1,
          id: req.id,
          ok: false,
          error: { code: answer.code, message: answer.code, ...(answer.details ? { details: answer.details } : {}) },
        });
    }, 0);
  }

  close(): void {
    this.readyState = 3;
  }

  /** Delivers a raw server message. */
  push(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) } as MessageEvent);
  }

  /** The server (or network) closes the socket. */
  serverClose(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
}
