/**
 * Room → node placement. `{prefix}room:{roomKey}` names the node serving a room, as a lease (SET NX PX): the
 * first join anywhere places the room — on a live, non-draining node of the app's region if there is one, else
 * anywhere, the least loaded first — and the serving node renews the lease while the room exists and deletes it
 * when the room closes. A lease whose node has left the registry is taken over by the next placement (compare
 * and set), so a dead node's rooms are placed anew (moving live sessions is not done here).
 */
import type { Redis } from 'ioredis';
import type { NodeInfo, NodeRegistry } from './node-registry.ts';

/** Where a room is served. */
export interface Placement {
  node: NodeInfo;
  /** True when this node is the one. */
  local: boolean;
}

/** Replaces the lease only when it still names `ARGV[1]` (the dead owner seen by the caller). */
const TAKE_OVER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1
end
return 0`;
/** Extends the lease when this node holds it, or claims it when nobody does. */
const RENEW = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
/** Deletes the lease only when this node holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Orders candidate nodes: the app's region first, then fewest participants, then fewest rooms, then CPU. */
export function rankNodes(nodes: readonly NodeInfo[], region: string | undefined): NodeInfo[] {
  const open = nodes.filter((n) => !n.draining);
  const inRegion = open.filter((n) => n.region === region);
  const pool = inRegion.length > 0 ? inRegion : open;
  return [...pool].sort(
    (a, b) =>
      a.load.participants - b.load.participants ||
      a.load.rooms - b.load.rooms ||
      a.load.cpu - b.load.cpu ||
      a.id.localeCompare(b.id),
  );
}

/** Options of a {@link RoomPlacement}. */
export interface RoomPlacementOptions {
  redis: Redis;
  prefix: string;
  registry: NodeRegistry;
  selfId: string;
  /** Lease lifetime; the owner renews it every third of this. */
  leaseMs?: number;
}

export class RoomPlacement {
  readonly leaseMs: number;
  readonly #o: RoomPlacementOptions;

  constructor(options: RoomPlacementOptions) {
    this.#o = options;
    this.leaseMs = options.leaseMs ?? 15_000;
  }

  #key(room: string): string {
    return `${this.#o.prefix}room:${room}`;
  }

  /**
   * The node serving `room`, placing it when it has no live node. Returns undefined when no live node can take
   * it. Redis errors propagate (the caller refuses the join with CLUSTER_UNAVAILABLE).
   */
  async place(room: string, region: string | undefined): Promise<Placement | undefined> {
    const { redis, registry, selfId } = this.#o;
    const key = this.#key(room);
    for (let round = 0; round < 3; round++) {
      const [owner, nodes] = await Promise.all([redis.get(key), registry.liveNodes()]);
      const byId = new Map(nodes.map((n) => [n.id, n]));
      const current = owner === null ? undefined : byId.get(owner);
      if (current) return { node: current, local: current.id === selfId };
      const choice = rankNodes(nodes, region)[0];
      if (!choice) return undefined;
      const won =
        owner === null
          ? (await redis.set(key, choice.id, 'PX', this.leaseMs, 'NX')) === 'OK'
          : (await redis.eval(TAKE_OVER, 1, key, owner, choice.id, String(this.leaseMs))) === 1;
      if (won) return { node: choice, local: choice.id === selfId };
      // Another node placed it at the same moment: read again and follow its choice.
    }
    return undefined;
  }

  /** Renews (or claims) the leases of the rooms this node serves; returns the rooms another node holds. */
  async renew(rooms: readonly string[]): Promise<string[]> {
    if (rooms.length === 0) return [];
    const pipeline = this.#o.redis.pipeline();
    for (const room of rooms) pipeline.eval(RENEW, 1, this.#key(room), this.#o.selfId, String(this.leaseMs));
    const results = (await pipeline.exec()) ?? [];
    return rooms.filter((_, i) => results[i]?.[1] === 0);
  }

  /** Gives up the lease of a room that closed here. */
  async release(room: string): Promise<void> {
    await this.#o.redis.eval(RELEASE, 1, this.#key(room), this.#o.selfId);
  }

  /** The node id named by the room's lease, if any (tests and diagnostics). */
  async owner(room: string): Promise<string | null> {
    return this.#o.redis.get(this.#key(room));
  }
}
