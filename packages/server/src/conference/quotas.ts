/**
 * Per-app and per-user bounds on this node's sessions, so one app (or one UserSig on many sockets) cannot take
 * the media ports and memory every other app needs. A slot is reserved before any room or media state exists
 * and released exactly once when the session ends (or its join fails).
 */
import { ConclaveError } from '@conclave/protocol';

export interface QuotaLimits {
  /** Concurrent sessions of one app on this node. */
  sessionsPerApp: number;
  /** Concurrent sessions of one userId of one app (across rooms) on this node. */
  sessionsPerUser: number;
  /** Consumers (received streams) of one session. */
  consumersPerSession: number;
}

export const DEFAULT_QUOTAS: QuotaLimits = { sessionsPerApp: 10_000, sessionsPerUser: 10, consumersPerSession: 300 };

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
