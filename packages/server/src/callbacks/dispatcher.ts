/**
 * Event callback delivery. Room events of apps with a callback URL are persisted in the app's region store
 * (outbox.ts) before anything is sent, so a restart loses none; a loop then delivers each app's queue in order
 * with TRTC's schedule (schedule.ts): 5 s timeout, one immediate retry, then every 10 s until a minute has
 * passed since the first attempt, then the event is given up (status `failed` in the delivery log).
 * Apps are independent: a slow receiver holds back only its own app's queue.
 */
import { ConclaveError } from '@conclave/protocol';
import type { CallbackConfig } from '../apps/app-types.ts';
import type { Logger } from '../logger.ts';
import type { RoomDirectory } from '../rooms/index.ts';
import type { RegionStore, RegionStores } from '../storage/regions.ts';
import type { CallbackBody } from './events.ts';
import { CallbackOutbox, type DeliveryLogEntry, type OutboxEntry } from './outbox.ts';
import { postCallback } from './post.ts';
import { attachRoomCallbacks } from './room-events.ts';
import { ATTEMPT_TIMEOUT_MS, nextAttemptAt } from './schedule.ts';

/** Options of {@link CallbackDispatcher}. */
export interface CallbackDispatcherOptions {
  stores: RegionStores;
  /** The app's callback URL and key, or null when it has none (or is terminated). */
  callbackConfig: (sdkAppId: number) => Promise<CallbackConfig | null>;
  log: Logger;
  now?: () => number;
  timeoutMs?: number;
  /** Pending events per app beyond which new ones are dropped (and logged). */
  maxPendingPerApp?: number;
  /** Largest body queued, in bytes. */
  maxBodyBytes?: number;
  /** Apps delivered to at the same time. */
  concurrency?: number;
}

/** Longest the loop sleeps with nothing due (a safety net; enqueues and finished attempts wake it at once). */
const IDLE_POLL_MS = 30_000;

export class CallbackDispatcher {
  readonly #o: Required<Omit<CallbackDispatcherOptions, 'log'>>;
  readonly #log: Logger;
  readonly #outboxes = new Map<string, CallbackOutbox>();
  /** Per-app chains that keep enqueues in event order. */
  readonly #chains = new Map<number, Promise<void>>();
  /** Apps with an attempt in flight, and the attempts themselves (awaited on close). */
  readonly #inFlight = new Map<number, Promise<void>>();
  readonly #stop = new AbortController();
  #detach: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #passing: Promise<void> | undefined;
  #again = false;

  constructor(options: CallbackDispatcherOptions) {
    this.#o = {
      now: Date.now,
      timeoutMs: ATTEMPT_TIMEOUT_MS,
      maxPendingPerApp: 10_000,
      maxBodyBytes: 8 * 1024,
      concurrency: 32,
      ...options,
    };
    this.#log = options.log;
  }

  /** Queues callbacks for the directory's room events. */
  attach(rooms: RoomDirectory): void {
    this.#detach = attachRoomCallbacks(rooms, (sdkAppId, body) => this.enqueue(sdkAppId, body), this.#o.now);
  }

  /** Makes every pending event due (a restart is a retry point) and starts delivering. */
  async start(): Promise<void> {
    for (const name of this.#o.stores.regionNames)
      await this.#outbox(this.#o.stores.region(name)).dueNow(this.#o.now());
    this.wake();
  }

  /** Queues one event for its app (in order with the app's other events); nothing when it has no callback URL. */
  enqueue(sdkAppId: number, body: CallbackBody): void {
    const previous = this.#chains.get(sdkAppId) ?? Promise.resolve();
    const next = previous
      .then(() => this.#persist(sdkAppId, body))
      .catch((err: unknown) =>
        this.#log.warn(
          { sdkAppId, eventType: body.EventType, code: err instanceof ConclaveError ? err.code : undefined, err },
          'callback event not queued',
        ),
      );
    this.#chains.set(sdkAppId, next);
    void next.then(() => {
      if (this.#chains.get(sdkAppId) === next) this.#chains.delete(sdkAppId);
    });
  }

  /** An app's delivery log, newest first. */
  async deliveryLog(sdkAppId: number, options: { limit: number; beforeId?: number }): Promise<DeliveryLogEntry[]> {
    return this.#outbox(await this.#o.stores.storeForApp(sdkAppId)).log(sdkAppId, options);
  }

  /** Runs a delivery pass now (or right after the current one). */
  wake(): void {
    if (this.#stop.signal.aborted) return;
    if (this.#passing) {
      this.#again = true;
      return;
    }
    this.#passing = this.#pass()
      .catch((err: unknown) => this.#log.error({ err }, 'callback delivery pass failed'))
      .finally(() => {
        this.#passing = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Stops delivering; waits for queued enqueues to be stored and in-flight attempts to end (undelivered stay). */
  async close(): Promise<void> {
    this.#detach?.();
    await Promise.all([...this.#chains.values()]);
    this.#stop.abort();
    clearTimeout(this.#timer);
    await this.#passing;
    await Promise.all([...this.#inFlight.values()]);
  }

  #outbox(region: RegionStore): CallbackOutbox {
    let outbox = this.#outboxes.get(region.name);
    if (outbox === undefined) this.#outboxes.set(region.name, (outbox = new CallbackOutbox(region.store)));
    return outbox;
  }

  async #persist(sdkAppId: number, body: CallbackBody): Promise<void> {
    if ((await this.#o.callbackConfig(sdkAppId)) === null) return;
    const raw = JSON.stringify(body);
    if (Buffer.byteLength(raw) > this.#o.maxBodyBytes) throw new ConclaveError('CALLBACK_BODY_TOO_LARGE');
    const outbox = this.#outbox(await this.#o.stores.storeForApp(sdkAppId));
    if ((await outbox.pendingCount(sdkAppId)) >= this.#o.maxPendingPerApp)
      throw new ConclaveError('CALLBACK_QUEUE_FULL', undefined, { details: { sdkAppId } });
    await outbox.enqueue({
      sdkAppId,
      eventType: body.EventType,
      userId: body.EventInfo.UserId ?? null,
      body: raw,
      at: body.EventInfo.EventMsTs,
    });
    this.wake();
  }

  async #pass(): Promise<void> {
    clearTimeout(this.#timer);
    let earliest = this.#o.now() + IDLE_POLL_MS;
    for (const name of this.#o.stores.regionNames) {
      const outbox = this.#outbox(this.#o.stores.region(name));
      for (const head of await outbox.heads()) {
        if (this.#inFlight.has(head.sdkAppId) || this.#stop.signal.aborted) continue;
        if (head.nextAttemptAt > this.#o.now() || this.#inFlight.size >= this.#o.concurrency) {
          earliest = Math.min(earliest, Math.max(head.nextAttemptAt, this.#o.now() + 50));
          continue;
        }
        const attempt = this.#attempt(outbox, head).finally(() => {
          this.#inFlight.delete(head.sdkAppId);
          this.wake();
        });
        this.#inFlight.set(head.sdkAppId, attempt);
      }
    }
    if (this.#stop.signal.aborted) return;
    this.#timer = setTimeout(() => this.wake(), Math.max(0, earliest - this.#o.now()));
    this.#timer.unref();
  }

  async #attempt(outbox: CallbackOutbox, head: OutboxEntry): Promise<void> {
    try {
      const target = await this.#o.callbackConfig(head.sdkAppId);
      const at = this.#o.now();
      if (target === null) {
        await outbox.record(head, {
          at,
          httpStatus: null,
          latencyMs: 0,
          error: 'the app has no callback URL (or was terminated)',
          outcome: 'failed',
        });
        return;
      }
      // CallbackTs is when this request is sent (TRTC); the rest of the body is as queued.
      const body = JSON.parse(head.body) as CallbackBody;
      body.CallbackTs = at;
      const result = await postCallback({ ...target, sdkAppId: head.sdkAppId }, JSON.stringify(body), {
        timeoutMs: this.#o.timeoutMs,
        signal: this.#stop.signal,
      });
      if (result.aborted) return; // stopped by shutdown: still pending, tried again after the next start
      const done = this.#o.now();
      const next = result.ok ? undefined : nextAttemptAt(head.firstAttemptAt ?? at, head.attempts + 1, done);
      await outbox.record(head, {
        at,
        httpStatus: result.httpStatus,
        latencyMs: result.latencyMs,
        error: result.error,
        outcome: result.ok ? 'delivered' : next === undefined ? 'failed' : 'retry',
        ...(next === undefined ? {} : { nextAttemptAt: next }),
      });
      if (!result.ok && next === undefined)
        this.#log.warn({ sdkAppId: head.sdkAppId, id: head.id, error: result.error }, 'callback given up');
    } catch (err) {
      this.#log.error({ err, sdkAppId: head.sdkAppId, id: head.id }, 'callback attempt failed to run');
      // The event stays pending and due; pause this app's queue a moment rather than spin on a failing store.
      if (!this.#stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    }
  }
}
