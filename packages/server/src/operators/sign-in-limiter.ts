/** Sign-in attempts per client IP: a token bucket each (burst 10, one more every 6 s), in a bounded map. */
import { ConclaveError } from '@conclave/protocol';
import { TokenBucket } from '../rooms/token-bucket.ts';

/** Options of {@link SignInLimiter}. */
export interface SignInLimiterOptions {
  burst?: number;
  perMinute?: number;
  /** Most addresses tracked; the oldest is forgotten beyond it. */
  maxAddresses?: number;
  now?: () => number;
}

/** Per-IP limiter of sign-in steps. */
export class SignInLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: SignInLimiterOptions = {}) {
    this.#burst = options.burst ?? 10;
    this.#perSecond = (options.perMinute ?? 10) / 60;
    this.#max = options.maxAddresses ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Takes one attempt for `ip` or throws OPERATOR_RATE_LIMITED. */
  take(ip: string): void {
    let bucket = this.#buckets.get(ip);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#max) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      bucket = new TokenBucket({ capacity: this.#burst, refillPerSecond: this.#perSecond, now: this.#now });
      this.#buckets.set(ip, bucket);
    }
    if (!bucket.tryTake(1)) throw new ConclaveError('OPERATOR_RATE_LIMITED');
  }
}
