/** A token bucket on an injected clock, so rate limits are testable by moving the clock. */

/** Settings of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Largest burst; the bucket starts full. */
  capacity: number;
  /** Tokens added per second, continuously. */
  refillPerSecond: number;
  /** Milliseconds clock. */
  now: () => number;
}

/** Holds up to `capacity` tokens and refills continuously at `refillPerSecond`. */
export class TokenBucket {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(options: TokenBucketOptions) {
    this.#capacity = options.capacity;
    this.#refillPerMs = options.refillPerSecond / 1000;
    this.#now = options.now;
    this.#tokens = options.capacity;
    this.#updatedAt = options.now();
  }

  /** Tokens available now. */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** True when `amount` tokens are available now (nothing is taken). */
  canTake(amount: number): boolean {
    return this.available >= amount;
  }

  /** Takes `amount` tokens when available and returns true; otherwise takes nothing and returns false. */
  tryTake(amount: number): boolean {
    if (!this.canTake(amount)) return false;
    this.#tokens -= amount;
    return true;
  }

  #refill(): void {
    const now = this.#now();
    // A clock that steps backwards (NTP adjustment) must not drain the bucket; just restart from here.
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#refillPerMs);
    this.#updatedAt = now;
  }
}
