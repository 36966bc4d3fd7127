/**
 * Per-app and per-user bounds on this node's sessions, so one app (or one UserSig on many sockets) cannot take
 * the media ports and memory every other app needs. A slot is reserved before any room or media state exists
 * and released exactly once when the session ends (or its join fails).
 */
import { ConclaveError } from '@conclave/protocol';
import { TokenBucket } from '../rooms/token-bucket.ts';

export interface QuotaLimits {
  /** Concurrent sessions of one app on this node. */
  sessionsPerApp: number;
  /** Concurrent sessions of one userId of one app (across rooms) on this node. */
  sessionsPerUser: number;
  /** Consumers (received streams) of one session. */
  consumersPerSession: number;
  /** Sustained joins per minute of one app on this node, and the burst allowed above it. */
  joinsPerMinutePerApp: number;
  joinBurstPerApp: number;
  /** Sustained joins per minute of one userId of one app, and the burst allowed above it. */
  joinsPerMinutePerUser: number;
  joinBurstPerUser: number;
}

export const DEFAULT_QUOTAS: QuotaLimits = {
  sessionsPerApp: 10_000,
  sessionsPerUser: 10,
  consumersPerSession: 300,
  joinsPerMinutePerApp: 6000,
  joinBurstPerApp: 600,
  joinsPerMinutePerUser: 30,
  joinBurstPerUser: 10,
};

/** A reserved session slot; `release` is idempotent. */
export interface SessionSlot {
  release(): void;
}

export class SessionQuotas {
  readonly limits: QuotaLimits;
  readonly #perApp = new Map<number, number>();
  readonly #perUser = new Map<string, number>();

  constructor(limits: QuotaLimits) {
    this.limits = limits;
  }

  /** Reserves a slot for a new session of `userId` in `sdkAppId`, or throws APP_/USER_SESSION_LIMIT. */
  reserve(sdkAppId: number, userId: string): SessionSlot {
    const user = `${sdkAppId}/${userId}`;
    const appCount = this.#perApp.get(sdkAppId) ?? 0;
    const userCount = this.#perUser.get(user) ?? 0;
    if (appCount >= this.limits.sessionsPerApp)
      throw new ConclaveError('APP_SESSION_LIMIT', undefined, { details: { limit: this.limits.sessionsPerApp } });
    if (userCount >= this.limits.sessionsPerUser)
      throw new ConclaveError('USER_SESSION_LIMIT', undefined, { details: { limit: this.limits.sessionsPerUser } });
    this.#perApp.set(sdkAppId, appCount + 1);
    this.#perUser.set(user, userCount + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        decrement(this.#perApp, sdkAppId);
        decrement(this.#perUser, user);
      },
    };
  }

  /** Sessions of an app currently holding a slot. */
  sessionsOf(sdkAppId: number): number {
    return this.#perApp.get(sdkAppId) ?? 0;
  }
}

function decrement<K>(map: Map<K, number>, key: K): void {
  const left = (map.get(key) ?? 1) - 1;
  if (left <= 0) map.delete(key);
  else map.set(key, left);
}

/**
 * Token buckets on joins, per app and per userId. Asked only after the UserSig is verified, so nobody can spend
 * another app's or user's budget; a join refused by one bucket takes nothing from the other.
 */
export class JoinRates {
  readonly #limits: QuotaLimits;
  readonly #now: () => number;
  readonly #perApp = new Map<number, TokenBucket>();
  readonly #perUser = new Map<string, TokenBucket>();

  constructor(limits: QuotaLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Spends one join of `userId` in `sdkAppId`, or throws USER_/APP_JOIN_RATE_LIMITED and spends nothing. */
  take(sdkAppId: number, userId: string): void {
    const l = this.#limits;
    const app = bucketOf(this.#perApp, sdkAppId, l.joinBurstPerApp, l.joinsPerMinutePerApp, this.#now);
    const user = bucketOf(
      this.#perUser,
      `${sdkAppId}/${userId}`,
      l.joinBurstPerUser,
      l.joinsPerMinutePerUser,
      this.#now,
    );
    if (!user.canTake(1))
      throw new ConclaveError('USER_JOIN_RATE_LIMITED', undefined, { details: { perMinute: l.joinsPerMinutePerUser } });
    if (!app.canTake(1))
      throw new ConclaveError('APP_JOIN_RATE_LIMITED', undefined, { details: { perMinute: l.joinsPerMinutePerApp } });
    app.tryTake(1);
    user.tryTake(1);
  }

  /** Forgets full buckets (a new bucket starts full, so nothing changes), keeping the maps to recent joiners. */
  prune(): void {
    for (const [key, bucket] of this.#perUser)
      if (bucket.available >= this.#limits.joinBurstPerUser) this.#perUser.delete(key);
    for (const [key, bucket] of this.#perApp)
      if (bucket.available >= this.#limits.joinBurstPerApp) this.#perApp.delete(key);
  }

  /** Buckets held (for tests of the pruning). */
  get size(): number {
    return this.#perApp.size + this.#perUser.size;
  }
}

function bucketOf<K>(map: Map<K, TokenBucket>, key: K, capacity: number, perMinute: number, now: () => number) {
  let bucket = map.get(key);
  if (!bucket) {
    bucket = new TokenBucket({ capacity, refillPerSecond: perMinute / 60, now });
    map.set(key, bucket);
  }
  return bucket;
}
