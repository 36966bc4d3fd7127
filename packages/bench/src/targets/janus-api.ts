/** Janus's HTTP API (one session, many plugin handles): requests, and events from one long-poll loop. */
export interface JanusEvent {
  janus: string;
  transaction?: string;
  sender?: number;
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: { type: string; sdp: string };
  data?: { id: number };
  error?: { code: number; reason: string };
}

export class JanusSession {
  readonly #url: string;
  readonly #waiters = new Map<string, (e: JanusEvent) => void>();
  #nextTx = 1;
  #closed = false;

  private constructor(url: string) {
    this.#url = url;
  }

  static async create(baseUrl: string): Promise<JanusSession> {
    const created = await post(baseUrl, { janus: 'create', transaction: 'create' });
    const session = new JanusSession(`${baseUrl}/${created.data!.id}`);
    void session.#poll();
    return session;
  }

  /** Attaches a handle to the videoroom plugin; returns its URL. */
  async attach(): Promise<string> {
    const attached = await post(this.#url, {
      janus: 'attach',
      plugin: 'janus.plugin.videoroom',
      transaction: this.#tx(),
    });
    return `${this.#url}/${attached.data!.id}`;
  }

  /** A synchronous plugin request (e.g. `create`): the answer comes in the HTTP response. */
  async request(handle: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await post(handle, { janus: 'message', body, transaction: this.#tx() });
    return checkPlugin(r);
  }

  /** An asynchronous plugin request (join, start): resolves with the event that answers it. */
  async message(
    handle: string,
    body: Record<string, unknown>,
    jsep?: { type: string; sdp: string },
  ): Promise<JanusEvent> {
    const transaction = this.#tx();
    const event = new Promise<JanusEvent>((resolve) => this.#waiters.set(transaction, resolve));
    const ack = await post(handle, { janus: 'message', body, transaction, ...(jsep ? { jsep } : {}) });
    if (ack.janus !== 'ack') {
      this.#waiters.delete(transaction);
      checkPlugin(ack);
      return ack;
    }
    const answer = await event;
    checkPlugin(answer);
    return answer;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await post(this.#url, { janus: 'destroy', transaction: this.#tx() }).catch(() => undefined);
  }

  #tx(): string {
    return `t${this.#nextTx++}`;
  }

  async #poll(): Promise<void> {
    while (!this.#closed) {
      const events = await fetch(`${this.#url}?maxev=20&rid=${Date.now()}`)
        .then((r) => r.json() as Promise<JanusEvent | JanusEvent[]>)
        .catch(() => []);
      for (const event of Array.isArray(events) ? events : [events]) {
        const waiter = event.transaction ? this.#waiters.get(event.transaction) : undefined;
        if (waiter && event.janus === 'event') {
          this.#waiters.delete(event.transaction!);
          waiter(event);
        }
      }
    }
  }
}

async function post(url: string, body: Record<string, unknown>): Promise<JanusEvent> {
  const r = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const json = (await r.json()) as JanusEvent;
  if (json.janus === 'error') throw new Error(`janus: ${json.error?.code} ${json.error?.reason}`);
  return json;
}

function checkPlugin(e: JanusEvent): Record<string, unknown> {
  const data = e.plugindata?.data ?? {};
  if (typeof data.error === 'string') throw new Error(`janus videoroom: ${String(data.error_code)} ${data.error}`);
  return data;
}
