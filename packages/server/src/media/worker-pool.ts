/**
 * The mediasoup workers of this node: one per CPU core by default. Routers go to the least-loaded worker.
 * A worker that dies is logged and replaced, and everyone holding a router on it hears `workerdied`
 * with the router ids it carried, so rooms can tell their participants instead of hanging.
 * A worker can also hang (a deadlock, a stopped process): its pipe stays open, so nothing "dies". Every
 * `probe.intervalMs` each worker is asked for its resource usage; after `probe.misses` probes in a row that got no
 * answer within `probe.timeoutMs`, the worker is killed with SIGKILL and the died path above replaces it.
 */
import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { ConclaveError } from '@conclave/protocol';
import type { Logger } from '../logger.ts';

export interface WorkerPoolSettings {
  count: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  logLevel: types.WorkerLogLevel;
  /** Liveness probe; absent or `intervalMs: 0` = no probe. */
  probe?: WorkerProbeSettings;
}

/** How a hung worker is told from a live one. */
export interface WorkerProbeSettings {
  intervalMs: number;
  timeoutMs: number;
  /** Missed probes in a row after which the worker is killed. */
  misses: number;
}

export interface WorkerDiedEvent {
  pid: number;
  error: Error;
  /** Ids of the routers that lived on the dead worker (now closed). */
  routerIds: string[];
}

type PoolEvents = {
  /** A worker stopped answering probes and is being killed (`workerdied` follows). */
  workerhung: [{ pid: number; missed: number }];
  workerdied: [WorkerDiedEvent];
  workerreplaced: [{ oldPid: number; newPid: number }];
};

interface Slot {
  worker: types.Worker;
  routers: Set<types.Router>;
  /** Probes in a row that got no answer in time. */
  missed: number;
  probing: boolean;
}

const RESPAWN_DELAYS_MS = [0, 250, 1000, 5000];

export class WorkerPool extends EventEmitter<PoolEvents> {
  readonly #slots: (Slot | undefined)[] = [];
  readonly #settings: WorkerPoolSettings;
  readonly #log: Logger;
  #closed = false;
  #probeTimer: NodeJS.Timeout | undefined;

  private constructor(settings: WorkerPoolSettings, log: Logger) {
    super();
    this.#settings = settings;
    this.#log = log;
  }

  /** Starts `settings.count` workers; resolves once all are up. */
  static async start(settings: WorkerPoolSettings, log: Logger): Promise<WorkerPool> {
    const pool = new WorkerPool(settings, log);
    await Promise.all(Array.from({ length: settings.count }, (_, i) => pool.#spawn(i)));
    log.info({ workers: settings.count }, 'media workers started');
    const probe = settings.probe;
    if (probe && probe.intervalMs > 0) {
      pool.#probeTimer = setInterval(() => pool.#probeAll(probe), probe.intervalMs);
      pool.#probeTimer.unref();
    }
    return pool;
  }

  /** Live workers (a dead one is absent until its replacement is up). */
  get workers(): types.Worker[] {
    return this.#slots.flatMap((s) => (s ? [s.worker] : []));
  }

  /** Creates a router on the worker that carries the fewest routers. */
  async createRouter(options: types.RouterOptions): Promise<types.Router> {
    const slot = this.#leastLoaded();
    const router = await slot.worker.createRouter(options);
    slot.routers.add(router);
    // A dying worker closes its routers before it emits 'died': keep those so the event can name them.
    router.observer.once('close', () => {
      if (!slot.worker.died) slot.routers.delete(router);
    });
    return router;
  }

  /** Resource usage of every live worker, for metrics and the benchmark. */
  async usage(): Promise<{ pid: number; routers: number; usage: types.WorkerResourceUsage }[]> {
    const slots = this.#slots.filter((s): s is Slot => s !== undefined);
    return Promise.all(
      slots.map(async (s) => ({
        pid: s.worker.pid,
        routers: s.routers.size,
        usage: await s.worker.getResourceUsage(),
      })),
    );
  }

  /** Closes every worker; their routers close with them. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#probeTimer);
    for (const slot of this.#slots) slot?.worker.close();
    this.#slots.length = 0;
  }

  #leastLoaded(): Slot {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot && !slot.worker.died && !slot.worker.closed && (!best || slot.routers.size < best.routers.size))
        best = slot;
    }
    if (!best) throw new ConclaveError('MEDIA_NO_WORKER');
    return best;
  }

  async #spawn(index: number): Promise<types.Worker> {
    const worker = await mediasoup.createWorker({
      logLevel: this.#settings.logLevel,
      rtcMinPort: this.#settings.rtcMinPort,
      rtcMaxPort: this.#settings.rtcMaxPort,
    });
    const slot: Slot = { worker, routers: new Set(), missed: 0, probing: false };
    this.#slots[index] = slot;
    worker.once('died', (error) => this.#onDied(index, slot, error));
    return worker;
  }

  #probeAll(probe: WorkerProbeSettings): void {
    for (const slot of this.#slots) if (slot && !slot.probing) void this.#probe(slot, probe);
  }

  /** One probe; a worker that misses `probe.misses` in a row is killed, and 'died' then replaces it. */
  async #probe(slot: Slot, probe: WorkerProbeSettings): Promise<void> {
    const { worker } = slot;
    if (worker.died || worker.closed) return;
    slot.probing = true;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      worker.getResourceUsage().then(
        () => (settled = true),
        () => !(settled = true), // a refused request (channel closing) is the died path's business, not a miss
      ),
      new Promise<'timeout'>((resolve) => {
        // Timers run before I/O in an event-loop turn: after a blocked loop the answer may be waiting unread.
        // One more turn (setImmediate runs after the I/O phase) lets it in before the probe counts as missed.
        timer = setTimeout(() => setImmediate(() => resolve('timeout')), probe.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    slot.probing = false;
    if (worker.died || worker.closed || this.#closed) return;
    if (answered !== 'timeout' || settled) {
      slot.missed = 0;
      return;
    }
    slot.missed++;
    this.#log.warn({ pid: worker.pid, missed: slot.missed, of: probe.misses }, 'media worker missed a liveness probe');
    if (slot.missed < probe.misses) return;
    this.#log.error({ pid: worker.pid, missed: slot.missed }, 'media worker hung; killing it');
    this.emit('workerhung', { pid: worker.pid, missed: slot.missed });
    try {
      // SIGKILL works on a stopped process too; its exit makes mediasoup emit 'died'.
      process.kill(worker.pid, 'SIGKILL');
    } catch (err) {
      this.#log.error({ pid: worker.pid, err }, 'could not kill the hung media worker');
    }
  }

  #onDied(index: number, slot: Slot, error: Error): void {
    const routerIds = [...slot.routers].map((r) => r.id);
    this.#slots[index] = undefined;
    this.#log.error({ pid: slot.worker.pid, routers: routerIds.length, err: error.message }, 'media worker died');
    this.emit('workerdied', { pid: slot.worker.pid, error, routerIds });
    void this.#respawn(index, slot.worker.pid, 0);
  }

  async #respawn(index: number, oldPid: number, attempt: number): Promise<void> {
    const delay = RESPAWN_DELAYS_MS[Math.min(attempt, RESPAWN_DELAYS_MS.length - 1)] ?? 5000;
    await new Promise((r) => setTimeout(r, delay).unref());
    if (this.#closed) return;
    try {
      const worker = await this.#spawn(index);
      this.#log.info({ oldPid, newPid: worker.pid }, 'media worker replaced');
      this.emit('workerreplaced', { oldPid, newPid: worker.pid });
    } catch (err) {
      this.#log.error({ err, attempt }, 'media worker respawn failed; retrying');
      void this.#respawn(index, oldPid, attempt + 1);
    }
  }
}
