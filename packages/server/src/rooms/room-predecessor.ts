/**
 * A room re-created on this node after the node that served it died (cluster failover). The customer's backend
 * saw that room open and its members enter; the new room continues the story rather than starting another: it
 * keeps the room's start (so the call record's CommId stays the same), its creation is not announced again, a
 * member who comes back is not announced as a new entry, and a member who does not come back within the grace
 * period leaves with reason `timeout`, as a dropped participant would have on the old node.
 */
import type { Role } from '@conclave/protocol';

/** What the cluster remembers of a room served by a node that is gone. */
export interface RoomPredecessor {
  /** When the room was first created (on whichever node). */
  createdAt: number;
  /** Who was in it, with their roles. */
  members: ReadonlyMap<string, Role>;
}

/** The predecessor's members still expected back, until a deadline. */
export class AwaitedMembers {
  readonly deadline: number;
  readonly #members: Map<string, Role>;

  constructor(members: ReadonlyMap<string, Role>, deadline: number) {
    this.#members = new Map(members);
    this.deadline = deadline;
  }

  get size(): number {
    return this.#members.size;
  }

  /** True, once, when `userId` was a member: this entry continues its session on the node that died. */
  take(userId: string): boolean {
    return this.#members.delete(userId);
  }

  /** Everyone still awaited, removed from the set (their deadline passed, or the room closed). */
  drain(): [userId: string, role: Role][] {
    const left = [...this.#members];
    this.#members.clear();
    return left;
  }
}
