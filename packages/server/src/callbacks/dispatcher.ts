/**
 * Event callback delivery. Room events of apps with a callback URL are persisted in the app's region store
 * (outbox.ts) before anything is sent, so a restart loses none; a loop then delivers each app's queue in order
 * with TRTC's schedule (schedule.ts): 5 s timeout, one immediate retry, then every 10 s until a minute has
 * passed since the first attempt, then the event is given up (status `failed` in the delivery log).
 * An event whose URL or addresses the network policy (url-policy.ts) refuses is given up at once, with the reason
 * in the log. Apps are independent: a slow receiver holds back only its own app's queue.
 * Several nodes may share a store (cluster): each claims an app's head with a lease before attempting it
 * (outbox.ts `claimHeads`), so no two deliver the same event, the order per app holds, and a dead node's claims
 * are taken over when their lease runs out.
 * Memory stays bounded whatever the receivers do: at most `concurrency` requests are in flight (one per app), an
 * app's queue holds at most `maxPendingPerApp` rows, and the rest waits in the store. When the store itself is
 * down (storage/outage.ts), new events wait in a bounded in-memory spool, in order per app, and are written when it
 * is back; beyond `maxSpooled` events are dropped and counted (`stats().spoolDropped`), never a crash.
 */
import { ConclaveError } from '@conclave/protocol';
import type { CallbackConfig } from '../apps/app-types.ts';
import type { Logger } from '../logger.ts';
import type { RoomDirectory } from '../rooms/index.ts';
import { isStoreOutage } from '../storage/outage.ts';
import type { RegionStore, RegionStores } from '../storage/regions.ts';
import type { CallbackBody } from './events.ts';
import { CallbackOutbox, type DeliveryLogEntry, type OutboxEntry } from './outbox.ts';
import { CallbackPoster } from './post.ts';
import { attachRoomCallbacks } from './room-events.ts';
import { ATTEMPT_TIMEOUT_MS, nextAttemptAt } from './schedule.ts';
import { CallbackUrlPolicy } from './url-policy.ts';

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
  /** Where callbacks may go; by default https to public addresses only. */
  urlPolicy?: CallbackUrlPolicy;
  /**
   * This node's id in the claims of the queue (cluster: unique per node). Nodes sharing a store claim each
   * app's head before attempting it, so no two deliver the same event; default `local`.
   */
  nodeId?: string;
  /** How long a claim holds; a dead node's events are taken over after it (default max(30 s, 3 × timeout)). */
  claimLeaseMs?: number;
  /** Longest the loop sleeps with nothing due; in a cluster short, as other nodes' enqueues do not wake it. */
  pollMs?: number;
  /** Events kept in memory while the store is down (all apps together); beyond it they are dropped and counted. */
  maxSpooled?: number;
  /** How often the spool is tried again while the store is down. */
  spoolRetryMs?: number;
}

/** Counters, for metrics and tests. */
export interface CallbackDispatcherStats {
  /** Requests to receivers in flight now (≤ concurrency). */
  inFlight: number;
  /** Events waiting in memory for the store to come back. */
  spooled: number;
  /** Events dropped because the spool was full. */
  spoolDropped: number;
}

/** Longest the loop sleeps with nothing due (a safety net; enqueues and finished attempts wake it at once). */
const IDLE_POLL_MS = 30_000;
/** Pause before the next pass after one that failed (the store is down). */
const FAILED_PASS_RETRY_MS = 1_000;

export class CallbackDispatcher {
  readonly #o: Required<Omit<CallbackDispatcherOptions, 'log' | 'urlPolicy' | 'claimLeaseMs'>> & {
    claimLeaseMs: number;
  };
  readonly #log: Logger;
  readonly #poster: CallbackPoster;
  readonly #outboxes = new Map<string, CallbackOutbox>();
  /** Per-app chains that keep enqueues in event order. */
  readonly #chains = new Map<number, Promise<void>>();
  /** Apps with an attempt in flight, and the attempts themselves (awaited on close). */
  readonly #inFlight = new Map<number, Promise<void>>();
  readonly #stop = new AbortController();
  /** Events not yet stored because the store is down, oldest first; an app's events stay in order. */
  #spool: { sdkAppId: number; body: CallbackBody }[] = [];
  #spoolDropped = 0;
  #spoolTimer: NodeJS.Timeout | undefined;
  #spoolFlushing: Promise<void> | undefined;
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
      nodeId: 'local',
      pollMs: IDLE_POLL_MS,
      maxSpooled: 10_000,
      spoolRetryMs: 1_000,
      ...options,
      claimLeaseMs: options.claimLeaseMs ?? Math.max(30_000, 3 * (options.timeoutMs ?? ATTEMPT_TIMEOUT_MS)),
    };
    this.#log = options.log;
    this.#poster = new CallbackPoster(options.urlPolicy ?? new CallbackUrlPolicy());
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
      .then(() =>
        this.#spool.some((e) => e.sdkAppId === sdkAppId)
          ? this.#toSpool(sdkAppId, body)
          : this.#persist(sdkAppId, body),
      )
      .catch((err: unknown) => {
        if (isStoreOutage(err)) return this.#toSpool(sdkAppId, body);
        this.#log.warn(
          { sdkAppId, eventType: body.EventType, code: err instanceof ConclaveError ? err.code : undefined, err },
          'callback event not queued',
        );
      });
    this.#chains.set(sdkAppId, next);
    void next.then(() => {
      if (this.#chains.get(sdkAppId) === next) this.#chains.delete(sdkAppId);
    });
  }

  /** Current counters. */
  stats(): CallbackDispatcherStats {
    return { inFlight: this.#inFlight.size, spooled: this.#spool.length, spoolDropped: this.#spoolDropped };
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
      .catch((err: unknown) => {
        this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'callback delivery pass failed');
        // Typically the store is down: look again soon rather than wait for the next enqueue.
        clearTimeout(this.#timer);
        if (!this.#stop.signal.aborted) this.#timer = setTimeout(() => this.wake(), FAILED_PASS_RETRY_MS).unref();
      })
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
    clearTimeout(this.#spoolTimer);
    await this.#spoolFlushing;
    if (this.#spool.length > 0) await this.#flushSpool();
    if (this.#spool.length > 0) {
      this.#log.error({ events: this.#spool.length }, 'callback events not stored before stop (store down); dropped');
      this.#spoolDropped += this.#spool.length;
      this.#spool = [];
    }
    this.#stop.abort();
    clearTimeout(this.#timer);
    await this.#passing;
    await Promise.all([...this.#inFlight.values()]);
    for (const name of this.#o.stores.regionNames)
      await this.#outbox(this.#o.stores.region(name))
        .releaseClaims(this.#o.nodeId)
        .catch((err: unknown) => this.#log.warn({ err }, 'callback claims not released; they expire'));
    this.#poster.close();
  }

  #outbox(region: RegionStore): CallbackOutbox {
    let outbox = this.#outboxes.get(region.name);
    if (outbox === undefined) this.#outboxes.set(region.name, (outbox = new CallbackOutbox(region.store)));
    return outbox;
  }

  /** Keeps an event in memory until the store is back (bounded; a drop is counted and logged). */
  #toSpool(sdkAppId: number, body: CallbackBody): void {
    if (this.#spool.length >= this.#o.maxSpooled) {
      if (this.#spoolDropped++ % 1000 === 0)
        this.#log.error({ sdkAppId, dropped: this.#spoolDropped }, 'callback spool full; event dropped');
      return;
    }
    if (this.#spool.length === 0) this.#log.warn({ sdkAppId }, 'callback store unavailable; spooling events in memory');
    this.#spool.push({ sdkAppId, body });
    this.#scheduleSpool();
  }

  #scheduleSpool(): void {
    if (this.#spoolTimer !== undefined || this.#stop.signal.aborted) return;
    this.#spoolTimer = setTimeout(() => {
      this.#spoolTimer = undefined;
      this.#spoolFlushing = this.#flushSpool().finally(() => {
        this.#spoolFlushing = undefined;
        if (this.#spool.length > 0) this.#scheduleSpool();
      });
    }, this.#o.spoolRetryMs);
    this.#spoolTimer.unref();
  }

  /** Writes spooled events in order; stops at the first outage (the rest waits for the next try). */
  async #flushSpool(): Promise<void> {
    const before = this.#spool.length;
    while (this.#spool.length > 0) {
      const event = this.#spool[0]!;
      try {
        await this.#persist(event.sdkAppId, event.body);
      } catch (err) {
        if (isStoreOutage(err)) return;
        this.#log.warn(
          { sdkAppId: event.sdkAppId, code: err instanceof ConclaveError ? err.code : undefined },
          'spooled callback event not queued',
        );
      }
      this.#spool.shift();
    }
    if (before > 0) this.#log.info({ events: before }, 'callback store back; spooled events stored');
  }

  async #persist(sdkAppId: number, body: CallbackBody): Promise<void> {
    if ((await this.#o.callbackConfig(sdkAppId)) === null) return;
    const raw = JSON.stringify(body);
    if (Buffer.byteLength(raw) > this.#o.maxBodyBytes) throw new ConclaveError('CALLBACK_BODY_TOO_LARGE');
    const outbox = this.#outbox(await this.#o.stores.storeForWrite(sdkAppId));
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
    let earliest = this.#o.now() + this.#o.pollMs;
    for (const name of this.#o.stores.regionNames) {
      const outbox = this.#outbox(this.#o.stores.region(name));
      let claimable = false;
      for (const head of await outbox.heads()) {
        if (this.#inFlight.has(head.sdkAppId) || this.#stop.signal.aborted) continue;
        const now = this.#o.now();
        const heldElsewhere =
          head.claimedBy !== null && head.claimedBy !== this.#o.nodeId && (head.claimUntil ?? 0) > now;
        if (head.nextAttemptAt > now || heldElsewhere || this.#inFlight.size >= this.#o.concurrency) {
          const at = heldElsewhere ? Math.max(head.nextAttemptAt, head.claimUntil ?? 0) : head.nextAttemptAt;
          earliest = Math.min(earliest, Math.max(at, now + 50));
          continue;
        }
        claimable = true;
      }
      if (!claimable) continue;
      // Only what this node claimed is attempted: another node may be looking at the same heads.
      for (const head of await outbox.claimHeads(this.#o.nodeId, this.#o.now(), this.#o.claimLeaseMs)) {
        if (this.#inFlight.has(head.sdkAppId) || this.#stop.signal.aborted) continue;
        if (this.#inFlight.size >= this.#o.concurrency) {
          earliest = Math.min(earliest, this.#o.now() + 50);
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
        await outbox.record(
          head,
          {
            at,
            httpStatus: null,
            latencyMs: 0,
            error: 'the app has no callback URL (or was terminated)',
            outcome: 'failed',
          },
          this.#o.nodeId,
        );
        return;
      }
      // CallbackTs is when this request is sent (TRTC); the rest of the body is as queued.
      const body = JSON.parse(head.body) as CallbackBody;
      body.CallbackTs = at;
      const result = await this.#poster.post({ ...target, sdkAppId: head.sdkAppId }, JSON.stringify(body), {
        timeoutMs: this.#o.timeoutMs,
        signal: this.#stop.signal,
      });
      if (result.aborted) return; // stopped by shutdown: still pending, tried again after the next start
      const done = this.#o.now();
      // A policy refusal is final: the same URL would be refused again.
      const next =
        result.ok || result.refused ? undefined : nextAttemptAt(head.firstAttemptAt ?? at, head.attempts + 1, done);
      const recorded = await outbox.record(
        head,
        {
          at,
          httpStatus: result.httpStatus,
          latencyMs: result.latencyMs,
          error: result.error,
          outcome: result.ok ? 'delivered' : next === undefined ? 'failed' : 'retry',
          ...(next === undefined ? {} : { nextAttemptAt: next }),
        },
        this.#o.nodeId,
      );
      if (!recorded)
        this.#log.warn({ sdkAppId: head.sdkAppId, id: head.id }, 'callback claim lost before the attempt was recorded');
      if (!result.ok && next === undefined)
        this.#log.warn({ sdkAppId: head.sdkAppId, id: head.id, error: result.error }, 'callback given up');
    } catch (err) {
      this.#log.error({ err, sdkAppId: head.sdkAppId, id: head.id }, 'callback attempt failed to run');
      // The event stays pending and due; pause this app's queue a moment rather than spin on a failing store.
      if (!this.#stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    }
  }
}
