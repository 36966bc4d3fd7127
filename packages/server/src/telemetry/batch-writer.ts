/**
 * A buffer that writes in batches: flushed when it holds `maxBatch` items or every `flushIntervalMs`,
 * one `write` call (one transaction) per batch, one flush at a time. A batch that fails because the store is
 * down or full (storage/outage.ts) stays at the head of the buffer and is tried again at the next flush, so an
 * outage loses nothing; the buffer is capped at `maxBuffered` and beyond that new items are dropped and counted,
 * so telemetry never eats the heap. A batch that fails for any other reason would fail again: it is dropped.
 */
import type { Logger } from 'pino';
import { ConclaveError } from '@conclave/protocol';
import { isStoreOutage } from '../storage/outage.ts';

/** Settings of a {@link BatchWriter}. */
export interface BatchWriterOptions<T> {
  name: string;
  write: (items: T[]) => Promise<void>;
  logger: Logger;
  maxBatch?: number;
  flushIntervalMs?: number;
  maxBuffered?: number;
}

/** Counters, for metrics and tests. */
export interface BatchWriterStats {
  written: number;
  dropped: number;
  failedBatches: number;
  buffered: number;
  /** Whether the last write failed for an outage (items are being kept for the retry). */
  outage: boolean;
}

/** Batches items of one kind into transactional writes. */
export class BatchWriter<T> {
  readonly #opts: Required<Omit<BatchWriterOptions<T>, 'logger'>>;
  readonly #log: Logger;
  #buffer: T[] = [];
  #chain: Promise<void> = Promise.resolve();
  #flushQueued = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #stats = { written: 0, dropped: 0, failedBatches: 0 };
  #outage = false;

  constructor(options: BatchWriterOptions<T>) {
    this.#opts = { maxBatch: 1000, flushIntervalMs: 1000, maxBuffered: 100_000, ...options };
    this.#log = options.logger.child({ subsystem: 'telemetry', writer: options.name });
    if (this.#opts.flushIntervalMs > 0) {
      this.#timer = setInterval(() => void this.flush(), this.#opts.flushIntervalMs);
      // Telemetry must never keep the process alive on its own.
      this.#timer.unref();
    }
  }

  /** Buffers one validated item; starts a flush when a batch is full. */
  push(item: T): void {
    if (this.#closed) throw new ConclaveError('TELEMETRY_WRITER_CLOSED');
    if (this.#buffer.length >= this.#opts.maxBuffered) {
      this.#stats.dropped++;
      return;
    }
    this.#buffer.push(item);
    // During an outage only the interval retries: a write per push would hammer a store that is down.
    if (this.#buffer.length >= this.#opts.maxBatch && !this.#flushQueued && !this.#outage) void this.flush();
  }

  /** Writes everything buffered so far; resolves when it is stored (or the failure is logged). */
  flush(): Promise<void> {
    this.#flushQueued = true;
    this.#chain = this.#chain.then(() => this.#drain());
    return this.#chain;
  }

  /** Flushes and stops the timer; later pushes fail with TELEMETRY_WRITER_CLOSED. What the store refuses is dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.flush();
    if (this.#buffer.length > 0) {
      this.#log.error({ items: this.#buffer.length }, 'telemetry not written before stop (store down); dropped');
      this.#stats.dropped += this.#buffer.length;
      this.#buffer = [];
    }
  }

  /** Current counters. */
  stats(): BatchWriterStats {
    return { ...this.#stats, buffered: this.#buffer.length, outage: this.#outage };
  }

  async #drain(): Promise<void> {
    this.#flushQueued = false;
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.slice(0, this.#opts.maxBatch);
      this.#buffer = this.#buffer.slice(batch.length);
      try {
        await this.#opts.write(batch);
        this.#stats.written += batch.length;
        if (this.#outage) this.#log.info({ items: batch.length }, 'telemetry store back; buffered items written');
        this.#outage = false;
      } catch (err) {
        this.#stats.failedBatches++;
        if (isStoreOutage(err)) {
          // The batch was one transaction, so nothing of it is stored: keep it first in line for the next flush.
          this.#buffer = batch.concat(this.#buffer);
          if (!this.#outage)
            this.#log.error(
              { err: err instanceof Error ? err.message : String(err), buffered: this.#buffer.length },
              'telemetry store unavailable; buffering until it is back',
            );
          this.#outage = true;
          return;
        }
        // Not an outage: the same batch would fail again, so drop it rather than retry forever.
        this.#stats.dropped += batch.length;
        this.#log.error(
          { err: err instanceof Error ? err.message : String(err), items: batch.length },
          'telemetry batch write failed',
        );
      }
    }
  }
}
