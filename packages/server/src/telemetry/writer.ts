/**
 * The telemetry intake of one region store: validates records at the door (nothing invalid is buffered)
 * and writes them in batches. Room sessions and usage are rare and written directly.
 */
import type { Logger } from 'pino';
import { BatchWriter } from './batch-writer.ts';
import type { BatchWriterStats } from './batch-writer.ts';
import { parseBackendLog, parseQualitySample, parseUserEvent } from './records.ts';
import type { BackendLog, QualitySample, UserEvent } from './records.ts';
import type { TelemetryStore } from './telemetry-store.ts';

/** Batch settings; defaults suit a 2-second sample cadence. */
export interface TelemetryWriterOptions {
  logger: Logger;
  maxBatch?: number;
  flushIntervalMs?: number;
  maxBuffered?: number;
}

/** Validating, batching writer over a {@link TelemetryStore}. */
export class TelemetryWriter {
  readonly #quality: BatchWriter<QualitySample>;
  readonly #logs: BatchWriter<BackendLog>;
  readonly #events: BatchWriter<UserEvent>;

  constructor(
    readonly telemetry: TelemetryStore,
    options: TelemetryWriterOptions,
  ) {
    const common = {
      logger: options.logger,
      maxBatch: options.maxBatch,
      flushIntervalMs: options.flushIntervalMs,
      maxBuffered: options.maxBuffered,
    };
    const defined = Object.fromEntries(Object.entries(common).filter(([, v]) => v !== undefined)) as { logger: Logger };
    this.#quality = new BatchWriter({ ...defined, name: 'quality', write: (b) => telemetry.insertQualitySamples(b) });
    this.#logs = new BatchWriter({ ...defined, name: 'backend_logs', write: (b) => telemetry.insertBackendLogs(b) });
    this.#events = new BatchWriter({ ...defined, name: 'user_events', write: (b) => telemetry.insertUserEvents(b) });
  }

  /** Validates (SAMPLE_INVALID on failure) and buffers one quality sample. */
  recordQuality(input: unknown): QualitySample {
    const sample = parseQualitySample(input);
    this.#quality.push(sample);
    return sample;
  }

  /** Validates (TELEMETRY_RECORD_INVALID on failure) and buffers one room entry/exit. */
  recordBackendLog(input: unknown): BackendLog {
    const log = parseBackendLog(input);
    this.#logs.push(log);
    return log;
  }

  /** Validates and buffers one user event. */
  recordUserEvent(input: unknown): UserEvent {
    const event = parseUserEvent(input);
    this.#events.push(event);
    return event;
  }

  /** Writes everything buffered. Erasure and retention call this first so no buffered row outlives them. */
  async flush(): Promise<void> {
    await Promise.all([this.#quality.flush(), this.#logs.flush(), this.#events.flush()]);
  }

  /** Flushes and stops. */
  async close(): Promise<void> {
    await Promise.all([this.#quality.close(), this.#logs.close(), this.#events.close()]);
  }

  /** Counters per stream. */
  stats(): Record<'quality' | 'backendLogs' | 'userEvents', BatchWriterStats> {
    return { quality: this.#quality.stats(), backendLogs: this.#logs.stats(), userEvents: this.#events.stats() };
  }
}
