/**
 * The cluster's node registry in Redis. Each node writes `{prefix}node:{id}` (its description and load) every
 * heartbeat with a time-to-live of `deadAfterMs`: a node that stops beating (crashed, partitioned) drops out of
 * the registry within that bound without anyone declaring it dead. `{prefix}nodes` is the set of ids ever seen;
 * entries whose key has expired are pruned by readers.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.ts';

/** A node's load, as placement compares it. */
export interface NodeLoad {
  participants: number;
  rooms: number;
  workers: number;
  /** Process CPU use over the last heartbeat, 0..1 per core summed (1 = one core busy). */
  cpu: number;
}

/** A node as the registry holds it. */
export interface NodeInfo {
  id: string;
  region: string;
  /** Base URL clients reach this node on (http(s)://host:port); signaling is at `/signal` under it. */
  publicUrl: string;
  draining: boolean;
  load: NodeLoad;
  /** Unix ms of the heartbeat that wrote this. */
  seenAt: number;
}

const nodeInfoSchema = z.object({
  id: z.string().min(1).max(64),
  region: z.string().min(1).max(64),
  publicUrl: z.string().min(1).max(512),
  draining: z.boolean(),
  load: z.object({
    participants: z.number().nonnegative(),
    rooms: z.number().nonnegative(),
    workers: z.number().nonnegative(),
    cpu: z.number().nonnegative(),
  }),
  seenAt: z.number(),
});

/** Options of a {@link NodeRegistry}. */
export interface NodeRegistryOptions {
  redis: Redis;
  prefix: string;
  self: { id: string; region: string; publicUrl: string };
  load: () => Omit<NodeLoad, 'cpu'>;
  log: Logger;
  heartbeatMs?: number;
  /** Silence after which a node is dead (default: three heartbeats). */
  deadAfterMs?: number;
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export class NodeRegistry {
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  readonly #o: NodeRegistryOptions;
  #timer: NodeJS.Timeout | undefined;
  #draining = false;
  #cpuAt = { usage: process.cpuUsage(), at: performance.now() };
  #healthy = true;

  constructor(options: NodeRegistryOptions) {
    this.#o = options;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.deadAfterMs = options.deadAfterMs ?? 3 * this.heartbeatMs;
  }

  get #nodeKey(): string {
    return `${this.#o.prefix}node:${this.#o.self.id}`;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Registers this node (first heartbeat awaited, so a start without Redis fails loudly) and keeps beating. */
  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => {
      this.beat().then(
        () => {
          if (!this.#healthy) this.#o.log.info('cluster registry reachable again');
          this.#healthy = true;
        },
        (err: unknown) => {
          if (this.#healthy) this.#o.log.warn({ err: (err as Error).message }, 'cluster heartbeat failed');
          this.#healthy = false;
        },
      );
    }, this.heartbeatMs).unref();
  }

  /** Writes this node's entry now. */
  async beat(): Promise<void> {
    const info: NodeInfo = {
      ...this.#o.self,
      draining: this.#draining,
      load: { ...this.#o.load(), cpu: this.#cpu() },
      seenAt: Date.now(),
    };
    await this.#o.redis
      .multi()
      .set(this.#nodeKey, JSON.stringify(info), 'PX', this.deadAfterMs)
      .sadd(`${this.#o.prefix}nodes`, this.#o.self.id)
      .exec();
  }

  /** Marks this node as draining: it keeps its rooms but placement gives it no new ones. */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.beat().catch(() => undefined);
  }

  /** The live nodes (heard from within the bound). */
  async liveNodes(): Promise<NodeInfo[]> {
    const { redis, prefix } = this.#o;
    const ids = await redis.smembers(`${prefix}nodes`);
    if (ids.length === 0) return [];
    const raw = await redis.mget(ids.map((id) => `${prefix}node:${id}`));
    const live: NodeInfo[] = [];
    const gone: string[] = [];
    const now = Date.now();
    raw.forEach((value, i) => {
      const parsed = value === null ? undefined : nodeInfoSchema.safeParse(parseJson(value));
      if (parsed?.success && now - parsed.data.seenAt <= this.deadAfterMs) live.push(parsed.data);
      else if (value === null) gone.push(ids[i] as string);
    });
    if (gone.length > 0) await redis.srem(`${prefix}nodes`, ...gone);
    return live;
  }

  /** Stops beating and removes this node at once (a graceful leave needs no wait for the bound). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#o.redis
      .multi()
      .del(this.#nodeKey)
      .srem(`${this.#o.prefix}nodes`, this.#o.self.id)
      .exec()
      .catch(() => undefined);
  }

  #cpu(): number {
    const usage = process.cpuUsage();
    const at = performance.now();
    const spentUs = usage.user - this.#cpuAt.usage.user + (usage.system - this.#cpuAt.usage.system);
    const elapsedMs = at - this.#cpuAt.at;
    this.#cpuAt = { usage, at };
    return elapsedMs > 0 ? Math.round((spentUs / 1000 / elapsedMs) * 1000) / 1000 : 0;
  }
}
