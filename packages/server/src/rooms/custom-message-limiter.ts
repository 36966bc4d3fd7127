/** TRTC's custom-message rules per sender (trtc.md §3): ≤ 30 messages/s and ≤ 8 KB/s, numbered in order. */
import { ConclaveError } from '@conclave/protocol';
import { TokenBucket } from './token-bucket.ts';

/** Rates of custom messages per sender. */
export interface CustomMessageLimits {
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
}

/** TRTC's figures. */
export const DEFAULT_CUSTOM_MESSAGE_LIMITS: CustomMessageLimits = { messagesPerSecond: 30, bytesPerSecond: 8 * 1024 };

/** One sender's buckets and sequence counter. */
export class CustomMessageLimiter {
  readonly #messages: TokenBucket;
  readonly #bytes: TokenBucket;
  #seq = 0;

  constructor(limits: CustomMessageLimits, now: () => number) {
    this.#messages = new TokenBucket({
      capacity: limits.messagesPerSecond,
      refillPerSecond: limits.messagesPerSecond,
      now,
    });
    this.#bytes = new TokenBucket({ capacity: limits.bytesPerSecond, refillPerSecond: limits.bytesPerSecond, now });
  }

  /** The last sequence number handed out (0 before the first message). */
  get seq(): number {
    return this.#seq;
  }

  /**
   * Accounts one message of `byteLength` bytes and returns its sequence number (1, 2, …). Throws
   * CUSTOM_MESSAGE_RATE_LIMITED and charges nothing when either bucket is short, so a refused message
   * does not eat into the next second's allowance.
   */
  accept(byteLength: number): number {
    if (!this.#messages.canTake(1) || !this.#bytes.canTake(byteLength)) {
      throw new ConclaveError('CUSTOM_MESSAGE_RATE_LIMITED');
    }
    this.#messages.tryTake(1);
    this.#bytes.tryTake(byteLength);
    return ++this.#seq;
  }
}
