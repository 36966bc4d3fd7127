/**
 * This server as one node of a cluster on Redis: registers itself with its load (node-registry.ts), places rooms
 * (room-placement.ts), renews the leases of the rooms it serves, and decides each join — serve it here, or refuse
 * it with CLUSTER_REDIRECT naming the serving node and a ticket (ticket.ts) the SDK presents there. Rooms already
 * served here keep working while Redis is unreachable; only placing a room then fails (CLUSTER_UNAVAILABLE).
 * As a {@link RoomManagement} it carries the server API's room actions to the node serving the room
 * (room-commands.ts), so the Cloud API can be called on any node.
 */
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { ConclaveError, type ClusterRedirect } from '@conclave/protocol';
import type { Logger } from '../logger.ts';
import { localRoomManagement, type Room, type RoomManagement, type RoomDirectory } from '../rooms/index.ts';
import { roomKeyString, type RoomKey } from '../rooms/room-key.ts';
import { NodeRegistry, type NodeInfo } from './node-registry.ts';
import { RoomCommands, type RoomCommand } from './room-commands.ts';
import { RoomPlacement } from './room-placement.ts';
import { RoomSuccession } from './room-succession.ts';
import { signTicket, TicketReplayCache, verifyTicket } from './ticket.ts';

/** Options of {@link ClusterNode.start}. */
export interface ClusterNodeOptions {
  redisUrl: string;
  nodeId: string;
  region: string;
  /** Base URL clients reach this node on, e.g. `https://node-a.example.com:8443`. */
  publicUrl: string;
  /** Shared by every node: signs redirect tickets. */
  secret: string;
  /** Prefix of every Redis key (tests use a unique one). */
  keyPrefix?: string;
  rooms: RoomDirectory;
  workers: () => number;
  /** The app's data region, preferred for placement. */
  regionOf: (sdkAppId: number) => Promise<string | undefined>;
  log: Logger;
  heartbeatMs?: number;
  deadAfterMs?: number;
  leaseMs?: number;
  now?: () => number;
}

/** A join as the cluster sees it (after its UserSig has been verified). */
export interface ClusterJoin {
  sdkAppId: number;
  userId: string;
  key: RoomKey;
  ticket?: string | undefined;
}

/** The WebSocket URL of a node's signaling endpoint, from its public base URL. */
export function signalUrlOf(publicUrl: string): string {
  const url = new URL(publicUrl);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.pathname = '/signal';
  url.search = '';
  return url.toString();
}

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class ClusterNode implements RoomManagement {
  readonly id: string;
  readonly redis: Redis;
  readonly registry: NodeRegistry;
  readonly placement: RoomPlacement;
  /** Members of the rooms served here, remembered in Redis for the node that takes a room over. */
  readonly succession: RoomSuccession;
  readonly #o: ClusterNodeOptions;
  readonly #secret: Buffer;
  readonly #replays = new TicketReplayCache();
  readonly #local: RoomManagement;
  readonly #commands: RoomCommands;
  readonly #prefix: string;
  readonly #now: () => number;
  #renewTimer: NodeJS.Timeout | undefined;
  #detach: (() => void) | undefined;

  private constructor(options: ClusterNodeOptions, redis: Redis) {
    this.#o = options;
    this.id = options.nodeId;
    this.redis = redis;
    this.#now = options.now ?? Date.now;
    this.#prefix = options.keyPrefix ?? 'conclave:';
    this.#secret = crypto.createHash('sha256').update(options.secret).digest();
    this.registry = new NodeRegistry({
      redis,
      prefix: this.#prefix,
      self: { id: options.nodeId, region: options.region, publicUrl: options.publicUrl },
      load: () => ({
        participants: options.rooms.rooms().reduce((n, r) => n + r.userCount, 0),
        rooms: options.rooms.roomCount,
        workers: options.workers(),
      }),
      log: options.log,
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.deadAfterMs !== undefined ? { deadAfterMs: options.deadAfterMs } : {}),
    });
    this.#local = localRoomManagement(options.rooms);
    this.#commands = new RoomCommands({
      redis,
      prefix: this.#prefix,
      selfId: options.nodeId,
      secret: options.secret,
      handle: (command) => this.#handle(command),
      log: options.log,
    });
    this.placement = new RoomPlacement({
      redis,
      prefix: this.#prefix,
      registry: this.registry,
      selfId: options.nodeId,
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    });
    this.succession = new RoomSuccession({ redis, prefix: this.#prefix, rooms: options.rooms, log: options.log });
  }

  /** Connects to Redis, registers this node and starts renewing room leases; fails when Redis is unreachable. */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const redis = new Redis(options.redisUrl, {
      lazyConnect: true,
      // Fail fast while Redis is away instead of queueing: a join must not hang on it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    let warned = false;
    redis.on('error', (err: Error) => {
      if (!warned) options.log.warn({ err: err.message }, 'cluster Redis connection error');
      warned = true;
    });
    redis.on('ready', () => (warned = false));
    let node: ClusterNode | undefined;
    try {
      await redis.connect();
      node = new ClusterNode(options, redis);
      await node.#commands.start();
      await node.registry.start();
      node.#watch();
      options.log.info({ nodeId: options.nodeId, region: options.region }, 'cluster node registered');
      return node;
    } catch (err) {
      redis.disconnect();
      if (node) await node.#commands.close();
      throw new ConclaveError('CLUSTER_UNAVAILABLE', undefined, { cause: err });
    }
  }

  /**
   * Decides a join: returns when this node serves the room; throws CLUSTER_REDIRECT (details: ClusterRedirect)
   * when another does, or CLUSTER_TICKET_* / CLUSTER_UNAVAILABLE / CLUSTER_NO_NODE.
   */
  async admit(join: ClusterJoin): Promise<void> {
    const room = roomKeyString(join.key);
    const now = this.#now();
    if (join.ticket !== undefined) {
      const claims = verifyTicket(
        this.#secret,
        join.ticket,
        { sdkAppId: join.sdkAppId, userId: join.userId, room, node: this.id },
        now,
      );
      this.#replays.use(claims, now);
      if (!this.#o.rooms.getRoom(join.key)) await this.succession.prepare(join.key);
      return;
    }
    if (this.#o.rooms.getRoom(join.key)) return; // served here already: no Redis needed
    let placed;
    try {
      placed = await this.placement.place(room, await this.#o.regionOf(join.sdkAppId).catch(() => undefined));
    } catch (err) {
      throw new ConclaveError('CLUSTER_UNAVAILABLE', undefined, { cause: err });
    }
    if (!placed) throw new ConclaveError(this.registry.draining ? 'CLUSTER_DRAINING' : 'CLUSTER_NO_NODE');
    if (placed.local) return this.succession.prepare(join.key);
    throw new ConclaveError('CLUSTER_REDIRECT', undefined, { details: this.#redirect(join, room, placed.node) });
  }

  /** Marks the node draining: its rooms stay, new ones go elsewhere. */
  async drain(): Promise<void> {
    this.#o.log.info({ nodeId: this.id }, 'cluster node draining');
    await this.registry.drain();
  }

  /**
   * Runs `job` only if no other node runs the job named `name` (a Redis lock for `ttlMs`); returns false when
   * it was skipped (held elsewhere, or Redis unreachable).
   */
  async runExclusive(name: string, ttlMs: number, job: () => Promise<void>): Promise<boolean> {
    const key = `${this.#prefix}lock:${name}`;
    const token = `${this.id}:${crypto.randomUUID()}`;
    const got = await this.redis.set(key, token, 'PX', ttlMs, 'NX').catch(() => null);
    if (got !== 'OK') return false;
    try {
      await job();
    } finally {
      await this.redis.eval(UNLOCK, 1, key, token).catch(() => undefined);
    }
    return true;
  }

  /** Dismisses the room on the node serving it; false when no live node serves it. */
  async dismissRoom(key: RoomKey): Promise<boolean> {
    if (this.#o.rooms.getRoom(key)) return this.#local.dismissRoom(key);
    return this.#forward({ type: 'dismiss', room: key });
  }

  /** Removes users from the room on the node serving it; false when no live node serves it. */
  async removeUsers(key: RoomKey, userIds: readonly string[]): Promise<boolean> {
    if (this.#o.rooms.getRoom(key)) return this.#local.removeUsers(key, userIds);
    return this.#forward({ type: 'removeUsers', room: key, userIds: [...userIds] });
  }

  /** Sends a room command to the live node named by the room's lease (none, or this node: no such room). */
  async #forward(command: RoomCommand): Promise<boolean> {
    let owner: string | null;
    let live: NodeInfo[];
    try {
      [owner, live] = await Promise.all([this.placement.owner(roomKeyString(command.room)), this.liveNodes()]);
    } catch (err) {
      throw new ConclaveError('CLUSTER_UNAVAILABLE', undefined, { cause: err });
    }
    if (owner === null || owner === this.id || !live.some((n) => n.id === owner)) return false;
    return this.#commands.send(owner, command);
  }

  #handle(command: RoomCommand): Promise<boolean> {
    return command.type === 'dismiss'
      ? this.#local.dismissRoom(command.room)
      : this.#local.removeUsers(command.room, command.userIds);
  }

  /** The live nodes of the cluster. */
  liveNodes(): Promise<NodeInfo[]> {
    return this.registry.liveNodes();
  }

  /** Leaves the cluster: releases this node's room leases and registration, closes the connection. */
  async close(): Promise<void> {
    clearInterval(this.#renewTimer);
    this.#detach?.();
    this.succession.stop();
    await Promise.all(
      this.#o.rooms.rooms().map((r) => this.placement.release(roomKeyString(r.key)).catch(() => undefined)),
    );
    await this.registry.close();
    await this.#commands.close();
    this.redis.disconnect();
  }

  #redirect(join: ClusterJoin, room: string, node: NodeInfo): ClusterRedirect {
    const ticket = signTicket(
      this.#secret,
      { sdkAppId: join.sdkAppId, userId: join.userId, room, node: node.id },
      this.#now(),
    );
    return { url: signalUrlOf(node.publicUrl), ticket, nodeId: node.id };
  }

  #watch(): void {
    const { rooms, log } = this.#o;
    this.succession.start();
    const renew = (list: Room[]) =>
      Promise.all([this.placement.renew(list.map((r) => roomKeyString(r.key))), this.succession.refresh(list)]).then(
        ([foreign]) => {
          if (foreign.length > 0) log.warn({ rooms: foreign.length }, 'rooms served here are leased to another node');
        },
        () => undefined, // Redis away: the rooms keep running; the next renewal tries again
      );
    const created = (room: Room) => void renew([room]);
    const closed = (room: Room) => void this.placement.release(roomKeyString(room.key)).catch(() => undefined);
    rooms.on('roomcreated', created);
    rooms.on('roomclosed', closed);
    this.#detach = () => {
      rooms.off('roomcreated', created);
      rooms.off('roomclosed', closed);
    };
    this.#renewTimer = setInterval(() => void renew(rooms.rooms()), this.placement.leaseMs / 3).unref();
  }
}
