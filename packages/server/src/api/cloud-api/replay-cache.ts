/**
 * Remembers the signatures of accepted requests while their timestamps are still acceptable, so a captured
 * request cannot be sent again. Bounded: when full, new requests are refused rather than old ones forgotten
 * (failing closed keeps the guarantee under a flood).
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #capacity: number;
  readonly #windowMs: number;

  constructor(options: { capacity: number; windowMs: number }) {
    this.#capacity = options.capacity;
    this.#windowMs = options.windowMs;
  }

  /** Records `signature`; 'replayed' when it was seen within the window, 'full' when no room is left. */
  check(signature: string, now: number): 'fresh' | 'replayed' | 'full' {
    this.#prune(now);
    if (this.#seen.has(signature)) return 'replayed';
    if (this.#seen.size >= this.#capacity) return 'full';
    this.#seen.set(signature, now + this.#windowMs);
    return 'fresh';
  }

  #prune(now: number): void {
    // Insertion order is expiry order (constant window), so expired entries are always at the front.
    for (const [signature, expiresAt] of this.#seen) {
      if (expiresAt > now) break;
      this.#seen.delete(signature);
    }
  }
}
