/**
 * Conference control of one room, enforced here rather than trusted to the SDK (TUIRoomKit's room engine):
 * the owner and admins ("hosts"), devices disabled for everyone, the room lock and password, on-stage seats and
 * raised hands, and pending requests to open a device. State and checks only; the RoomDirectory applies actions
 * (room-control-actions.ts) so that streams, roles and departures stay in step with this state.
 *
 * Identities are userIds, not participants: a user who re-enters (displacing its earlier session) or resumes
 * keeps its owner/admin status and its seat; a user who leaves loses them.
 */
import crypto from 'node:crypto';
import { ConclaveError } from '@conclave/protocol';
import type { ControlledDevice, MediaKind, RoomControlState, RoomSeat, StreamType } from '@conclave/protocol';
import { TokenBucket } from './token-bucket.ts';

/** The device a published stream belongs to. */
export function deviceOf(kind: MediaKind, streamType: StreamType): ControlledDevice {
  if (streamType === 'sub') return 'screen';
  return kind === 'audio' ? 'microphone' : 'camera';
}

/** A host's request that a participant open a device; only the participant can, after accepting. */
export interface DeviceRequest {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly device: 'microphone' | 'camera';
  readonly at: number;
}

/** Pending device requests expire after a minute, and a room holds at most this many. */
const DEVICE_REQUEST_TTL_MS = 60_000;
const MAX_DEVICE_REQUESTS = 100;
/** Wrong passwords per room: a burst of 10, then one per 6 s (the entrant already holds a valid UserSig). */
const PASSWORD_FAILURE_BURST = 10;
const PASSWORD_FAILURE_REFILL_PER_S = 1 / 6;

interface Seat {
  userId: string | null;
  locked: boolean;
}

function hashPassword(password: string): Buffer {
  return crypto.createHash('sha256').update(password, 'utf8').digest();
}

export class RoomControl {
  readonly #now: () => number;
  #ownerId: string | null = null;
  readonly #admins = new Set<string>();
  readonly #disabled: Record<ControlledDevice, boolean> = { microphone: false, camera: false, screen: false };
  /** `${userId}/${device}`: accepted a host's request to open a device that is disabled for everyone. */
  readonly #permits = new Set<string>();
  #locked = false;
  #passwordHash: Buffer | undefined;
  readonly #passwordFailures: TokenBucket;
  #seats: Seat[] = [];
  /** Raised hands in the order they went up (a Set keeps insertion order). */
  readonly #hands = new Set<string>();
  readonly #requests = new Map<string, DeviceRequest>();

  constructor(now: () => number) {
    this.#now = now;
    this.#passwordFailures = new TokenBucket({
      capacity: PASSWORD_FAILURE_BURST,
      refillPerSecond: PASSWORD_FAILURE_REFILL_PER_S,
      now,
    });
  }

  get ownerId(): string | null {
    return this.#ownerId;
  }

  isOwner(userId: string): boolean {
    return this.#ownerId === userId;
  }

  /** The owner or an admin: may use the host actions and is exempt from bans and the seat rule. */
  isHost(userId: string): boolean {
    return this.isOwner(userId) || this.#admins.has(userId);
  }

  isAdmin(userId: string): boolean {
    return this.#admins.has(userId);
  }

  isDisabled(device: ControlledDevice): boolean {
    return this.#disabled[device];
  }

  get locked(): boolean {
    return this.#locked;
  }

  get seatMode(): boolean {
    return this.#seats.length > 0;
  }

  get maxSeats(): number {
    return this.#seats.length;
  }

  seatOf(userId: string): number | undefined {
    const index = this.#seats.findIndex((s) => s.userId === userId);
    return index >= 0 ? index : undefined;
  }

  handRaised(userId: string): boolean {
    return this.#hands.has(userId);
  }

  /** The whole state, as sent to every participant. */
  state(): RoomControlState {
    return {
      ownerId: this.#ownerId,
      adminIds: [...this.#admins],
      disabled: { ...this.#disabled },
      locked: this.#locked,
      hasPassword: this.#passwordHash !== undefined,
      maxSeats: this.#seats.length,
      seats: this.#seats.map((s, index): RoomSeat => ({ index, userId: s.userId, locked: s.locked })),
      raisedHands: [...this.#hands],
    };
  }

  // Checks (never change state, except counting a wrong password)

  requireHost(userId: string): void {
    if (!this.isHost(userId)) throw new ConclaveError('NOT_ROOM_ADMIN');
  }

  requireOwner(userId: string): void {
    if (!this.isOwner(userId)) throw new ConclaveError('NOT_ROOM_OWNER');
  }

  /**
   * Whether `userId` may enter. A user already in the room (re-entering, displacing its earlier session) passes
   * the lock and the password; anyone else gets ROOM_LOCKED, ROOM_PASSWORD_REQUIRED, ROOM_PASSWORD_WRONG or,
   * after repeated wrong passwords, ROOM_PASSWORD_RATE_LIMITED.
   */
  checkEntry(present: boolean, password: string | undefined): void {
    if (present) return;
    if (this.#locked) throw new ConclaveError('ROOM_LOCKED');
    if (this.#passwordHash === undefined) return;
    if (password === undefined) throw new ConclaveError('ROOM_PASSWORD_REQUIRED');
    if (this.#passwordFailures.available < 1) throw new ConclaveError('ROOM_PASSWORD_RATE_LIMITED');
    if (!crypto.timingSafeEqual(hashPassword(password), this.#passwordHash)) {
      this.#passwordFailures.tryTake(1);
      throw new ConclaveError('ROOM_PASSWORD_WRONG');
    }
  }

  /** Throws MEDIA_DISABLED_BY_HOST or NOT_ON_SEAT when `userId` may not publish this stream now. */
  checkPublish(userId: string, kind: MediaKind, streamType: StreamType): void {
    if (this.isHost(userId)) return;
    const device = deviceOf(kind, streamType);
    if (this.#disabled[device] && !this.#permits.has(`${userId}/${device}`)) {
      throw new ConclaveError('MEDIA_DISABLED_BY_HOST', undefined, { details: { device } });
    }
    if (this.seatMode && this.seatOf(userId) === undefined) throw new ConclaveError('NOT_ON_SEAT');
  }

  /** In on-stage mode, only a participant on a seat (or a host) may become an anchor: no self-promotion. */
  checkBecomeAnchor(userId: string): void {
    if (this.seatMode && !this.isHost(userId) && this.seatOf(userId) === undefined) {
      throw new ConclaveError('NOT_ON_SEAT');
    }
  }

  /** A free unlocked seat (the lowest), or SEAT_UNAVAILABLE. */
  freeSeat(): number {
    const index = this.#seats.findIndex((s) => s.userId === null && !s.locked);
    if (index < 0) throw new ConclaveError('SEAT_UNAVAILABLE');
    return index;
  }

  requireSeatMode(): void {
    if (!this.seatMode) throw new ConclaveError('SEAT_MODE_OFF');
  }

  /** The pending request `id` addressed to `userId`, or DEVICE_REQUEST_NOT_FOUND. */
  requestFor(id: string, userId: string): DeviceRequest {
    this.#expireRequests();
    const request = this.#requests.get(id);
    if (!request || request.to !== userId) throw new ConclaveError('DEVICE_REQUEST_NOT_FOUND');
    return request;
  }

  // Mutators (the directory calls these after its checks)

  /** @internal */
  setOwner(userId: string | null): void {
    this.#ownerId = userId;
    if (userId !== null) this.#admins.delete(userId);
  }

  /** @internal */
  setAdmin(userId: string, admin: boolean): void {
    if (admin) this.#admins.add(userId);
    else this.#admins.delete(userId);
  }

  /** @internal Disabling again clears the permits of earlier accepted requests. */
  setDisabled(device: ControlledDevice, disabled: boolean): void {
    this.#disabled[device] = disabled;
    for (const permit of [...this.#permits]) if (permit.endsWith(`/${device}`)) this.#permits.delete(permit);
  }

  /** @internal */
  grantPermit(userId: string, device: ControlledDevice): void {
    if (this.#disabled[device]) this.#permits.add(`${userId}/${device}`);
  }

  /** @internal */
  setLocked(locked: boolean): void {
    this.#locked = locked;
  }

  /** @internal The password is kept only as a hash, in memory. */
  setPassword(password: string | null): void {
    this.#passwordHash = password === null ? undefined : hashPassword(password);
  }

  /** @internal Resizes the seats (0 turns seat mode off); returns the userIds that lost their seat. */
  setSeatCount(count: number): string[] {
    const removed = this.#seats.slice(count).flatMap((s) => (s.userId === null ? [] : [s.userId]));
    this.#seats = this.#seats.slice(0, count);
    while (this.#seats.length < count) this.#seats.push({ userId: null, locked: false });
    if (count === 0) this.#hands.clear();
    return removed;
  }

  /** @internal */
  sit(userId: string, index: number): void {
    const seat = this.#seats[index];
    if (seat) seat.userId = userId;
    this.#hands.delete(userId);
  }

  /** @internal Returns whether the user had a seat. */
  stand(userId: string): boolean {
    const index = this.seatOf(userId);
    if (index === undefined) return false;
    this.#seats[index]!.userId = null;
    return true;
  }

  /** @internal */
  lockSeat(index: number, locked: boolean): void {
    const seat = this.#seats[index];
    if (!seat) throw new ConclaveError('SEAT_UNAVAILABLE');
    seat.locked = locked;
  }

  /** @internal */
  setHand(userId: string, raised: boolean): void {
    if (raised) this.#hands.add(userId);
    else this.#hands.delete(userId);
  }

  /** @internal */
  addRequest(from: string, to: string, device: 'microphone' | 'camera'): DeviceRequest {
    this.#expireRequests();
    if (this.#requests.size >= MAX_DEVICE_REQUESTS) throw new ConclaveError('CONTROL_RATE_LIMITED');
    const request: DeviceRequest = { id: crypto.randomUUID(), from, to, device, at: this.#now() };
    this.#requests.set(request.id, request);
    return request;
  }

  /** @internal */
  removeRequest(id: string): void {
    this.#requests.delete(id);
  }

  /**
   * @internal A user left the room: it loses its admin status, seat, hand and pending requests. Returns whether
   * the shared state changed (admins, seats, hands).
   */
  forget(userId: string): boolean {
    const wasAdmin = this.#admins.delete(userId);
    const hadSeat = this.stand(userId);
    const hadHand = this.#hands.delete(userId);
    const changed = wasAdmin || hadSeat || hadHand;
    for (const permit of [...this.#permits]) if (permit.startsWith(`${userId}/`)) this.#permits.delete(permit);
    for (const [id, r] of this.#requests) if (r.to === userId || r.from === userId) this.#requests.delete(id);
    return changed;
  }

  #expireRequests(): void {
    const deadline = this.#now() - DEVICE_REQUEST_TTL_MS;
    for (const [id, r] of this.#requests) if (r.at <= deadline) this.#requests.delete(id);
  }
}
