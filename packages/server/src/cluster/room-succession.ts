/**
 * What the cluster remembers of each room so that a node taking over a dead node's room continues it
 * (rooms/room-predecessor.ts) instead of starting a new one: the serving node keeps `{prefix}room:{roomKey}:members`
 * up to date — a Redis hash of `u:<userId>` → role and `createdAt` → the room's first creation — and deletes it
 * when the room closes. The hash expires `ttlMs` after its last refresh (the lease renewal refreshes it), so a
 * room whose node died is remembered for that long and no longer.
 *
 * Before a node creates a room it has not got, `prepare` reads the hash; `predecessorOf` then hands what it read
 * to the room directory, once, as the room is created.
 */
import type { Redis } from 'ioredis';
import { roleSchema, userIdSchema, type Role } from '@conclave/protocol';
import type { Logger } from '../logger.ts';
import type { Participant, Room, RoomDirectory, RoomPredecessor } from '../rooms/index.ts';
import { roomKeyString, type RoomKey } from '../rooms/room-key.ts';

/** Options of a {@link RoomSuccession}. */
export interface RoomSuccessionOptions {
  redis: Redis;
  prefix: string;
  rooms: RoomDirectory;
  log: Logger;
  /** How long a room's members are remembered after the last refresh (default 60 s). */
  ttlMs?: number;
}

/** How long a prepared predecessor waits for its room to be created before it is dropped. */
const PREPARED_MS = 30_000;
/** Members read back at most (a room's own limit is lower; this bounds a corrupted hash). */
const MAX_MEMBERS = 10_000;
const MEMBER = 'u:';

export class RoomSuccession {
  readonly ttlMs: number;
  readonly #o: RoomSuccessionOptions;
  readonly #prepared = new Map<string, { predecessor: RoomPredecessor; until: number }>();
  #detach: (() => void) | undefined;

  constructor(options: RoomSuccessionOptions) {
    this.#o = options;
    this.ttlMs = options.ttlMs ?? 60_000;
  }

  #key(room: string): string {
    return `${this.#o.prefix}room:${room}:members`;
  }

  /** Keeps the members hash of every room served here in step with the room directory. */
  start(): void {
    const { rooms } = this.#o;
    const joined = (room: Room, p: Participant) =>
      this.#write(room, (key, m) =>
        m.hset(key, `${MEMBER}${p.userId}`, p.role).hsetnx(key, 'createdAt', String(room.createdAt)),
      );
    const roleChanged = (room: Room, p: Participant) =>
      this.#write(room, (key, m) => m.hset(key, `${MEMBER}${p.userId}`, p.role));
    const left = (room: Room, p: Participant) => {
      // A displaced session's userId is still in the room (the newcomer): only a real departure is forgotten.
      if (!room.getParticipant(p.userId)) this.#write(room, (key, m) => m.hdel(key, `${MEMBER}${p.userId}`));
    };
    const lost = (room: Room, userId: string) => this.#write(room, (key, m) => m.hdel(key, `${MEMBER}${userId}`));
    const created = (room: Room) => this.#prepared.delete(room.id);
    const closed = (room: Room) => {
      this.#prepared.delete(room.id);
      void this.#o.redis.del(this.#key(room.id)).catch((err: unknown) => this.#warn(err, 'forget a closed room'));
    };
    rooms.on('participantjoined', joined);
    rooms.on('rolechanged', roleChanged);
    rooms.on('participantleft', left);
    rooms.on('memberlost', lost);
    rooms.on('roomcreated', created);
    rooms.on('roomclosed', closed);
    this.#detach = () => {
      rooms.off('participantjoined', joined);
      rooms.off('rolechanged', roleChanged);
      rooms.off('participantleft', left);
      rooms.off('memberlost', lost);
      rooms.off('roomcreated', created);
      rooms.off('roomclosed', closed);
    };
  }

  stop(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#prepared.clear();
  }

  /** Extends the memory of the rooms served here (called with the lease renewal). */
  async refresh(rooms: readonly Room[]): Promise<void> {
    if (rooms.length === 0) return;
    const pipeline = this.#o.redis.pipeline();
    for (const room of rooms) pipeline.pexpire(this.#key(room.id), this.ttlMs);
    await pipeline.exec();
  }

  /**
   * Reads what the cluster remembers of a room this node is about to create. A Redis failure only loses the
   * continuation (the room starts as a new one), never the join.
   */
  async prepare(key: RoomKey): Promise<void> {
    const room = roomKeyString(key);
    const now = Date.now();
    for (const [id, p] of this.#prepared) if (p.until <= now) this.#prepared.delete(id);
    let hash: Record<string, string>;
    try {
      hash = await this.#o.redis.hgetall(this.#key(room));
    } catch (err) {
      this.#warn(err, 'read a room’s members');
      return;
    }
    const predecessor = parseMembers(hash);
    // A concurrent join may have created the room meanwhile: then there is nothing left to continue.
    if (predecessor && !this.#o.rooms.getRoom(key)) this.#prepared.set(room, { predecessor, until: now + PREPARED_MS });
  }

  /** The predecessor `prepare` found for a room being created now (given out once). */
  predecessorOf(key: RoomKey): RoomPredecessor | undefined {
    const room = roomKeyString(key);
    const prepared = this.#prepared.get(room);
    this.#prepared.delete(room);
    return prepared && prepared.until > Date.now() ? prepared.predecessor : undefined;
  }

  #write(room: Room, change: (key: string, m: ReturnType<Redis['multi']>) => ReturnType<Redis['multi']>): void {
    const key = this.#key(room.id);
    void change(key, this.#o.redis.multi())
      .pexpire(key, this.ttlMs)
      .exec()
      .catch((err: unknown) => this.#warn(err, 'update a room’s members'));
  }

  #warn(err: unknown, what: string): void {
    this.#o.log.warn({ err: err instanceof Error ? err.message : String(err) }, `cluster could not ${what}`);
  }
}

/** The members hash as a predecessor; undefined when it names nobody. Malformed fields are skipped. */
export function parseMembers(hash: Record<string, string>): RoomPredecessor | undefined {
  const members = new Map<string, Role>();
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith(MEMBER) || members.size >= MAX_MEMBERS) continue;
    const role = roleSchema.safeParse(value);
    const userId = userIdSchema.safeParse(field.slice(MEMBER.length));
    if (role.success && userId.success) members.set(userId.data, role.data);
  }
  const createdAt = Number(hash['createdAt']);
  if (members.size === 0 || !Number.isSafeInteger(createdAt) || createdAt <= 0) return undefined;
  return { createdAt, members };
}
