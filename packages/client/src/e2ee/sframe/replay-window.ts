/**
 * The per-KID replay window of an SFrame receiver (RFC 9605 §7.5 leaves replay protection to the
 * application): a sliding bitmap over the CTRs of the newest `size` frames. A CTR is accepted once; a CTR
 * at or below `highest - size` is refused as too old. Callers check before decrypting (cheap refusal) and
 * {@link ReplayWindow.accept} only after the frame authenticated, so forged frames never move the window.
 *
 * Every stream of one sender (audio, camera simulcast layers, screen share) encrypts under the same KID
 * and one CTR sequence, and receivers see them through separate jitter buffers: a video frame can reach
 * the transform after audio frames encrypted seconds later. The window must cover that skew.
 */

/** CTRs tracked behind the highest seen: ~20 s of a sender's frames at ~200 frames/s (audio + 3 layers + screen). */
export const DEFAULT_REPLAY_WINDOW_SIZE = 4096;

/** Which CTRs of one KID were already accepted. */
export class ReplayWindow {
  /** How many CTRs, ending at the highest accepted, the window remembers. */
  readonly size: number;
  readonly #bits: Uint32Array;
  /** The highest CTR accepted, -1 before the first. */
  #highest = -1n;

  constructor(size = DEFAULT_REPLAY_WINDOW_SIZE) {
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) throw new RangeError('window size: a multiple of 32');
    this.size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  /** The highest CTR accepted so far (-1 before the first). */
  get highest(): bigint {
    return this.#highest;
  }

  /** Whether `ctr` would be accepted now: never accepted and not older than the window. Changes nothing. */
  check(ctr: bigint): boolean {
    if (ctr > this.#highest) return true;
    if (this.#highest - ctr >= BigInt(this.size)) return false;
    const slot = this.#slot(ctr);
    return ((this.#bits[slot >>> 5] ?? 0) & (1 << (slot & 31))) === 0;
  }

  /** Records `ctr` as accepted if {@link check} allows it; returns whether it did. Call after authentication. */
  accept(ctr: bigint): boolean {
    if (!this.check(ctr)) return false;
    if (ctr > this.#highest) this.#advance(ctr);
    const slot = this.#slot(ctr);
    this.#bits[slot >>> 5] = (this.#bits[slot >>> 5] ?? 0) | (1 << (slot & 31));
    return true;
  }

  /** Moves the top of the window to `ctr`, forgetting the slots it reuses. */
  #advance(ctr: bigint): void {
    const delta = ctr - this.#highest;
    if (this.#highest < 0n || delta >= BigInt(this.size)) {
      this.#bits.fill(0);
    } else {
      let slot = this.#slot(this.#highest);
      for (let i = 0; i < Number(delta); i++) {
        slot = slot + 1 === this.size ? 0 : slot + 1;
        this.#bits[slot >>> 5] = (this.#bits[slot >>> 5] ?? 0) & ~(1 << (slot & 31));
      }
    }
    this.#highest = ctr;
  }

  #slot(ctr: bigint): number {
    return Number(ctr % BigInt(this.size));
  }
}
