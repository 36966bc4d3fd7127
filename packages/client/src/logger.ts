/**
 * The SDK's console logger: one logger per subsystem with its context bound once. Levels follow TRTC's
 * `setLogLevel` (0 TRACE … 5 NONE). Never pass a UserSig, PrivateMapKey or resume token to a logger.
 */

/** TRTC's log levels. */
export const LOG_LEVEL = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, NONE: 5 } as const;
/** One of {@link LOG_LEVEL}'s values. */
export type LogLevel = (typeof LOG_LEVEL)[keyof typeof LOG_LEVEL];

let current: LogLevel = LOG_LEVEL.INFO;

/** Sets the global log level of every SDK instance. */
export function setLogLevel(level: LogLevel): void {
  if (!Number.isInteger(level) || level < 0 || level > 5) return;
  current = level;
}

/** Structured, levelled logging for one subsystem. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger with more context bound. */
  child(context: Record<string, unknown>): Logger;
}

/** Creates a logger for `subsystem` (e.g. `signal`, `media`) with `context` bound. */
export function createLogger(subsystem: string, context: Record<string, unknown> = {}): Logger {
  const write = (
    level: LogLevel,
    sink: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ) => {
    if (level < current) return;
    const extra = fields || Object.keys(context).length ? { ...context, ...fields } : undefined;
    if (extra) console[sink](`[conclave:${subsystem}] ${message}`, extra);
    else console[sink](`[conclave:${subsystem}] ${message}`);
  };
  return {
    debug: (m, f) => write(LOG_LEVEL.DEBUG, 'debug', m, f),
    info: (m, f) => write(LOG_LEVEL.INFO, 'info', m, f),
    warn: (m, f) => write(LOG_LEVEL.WARN, 'warn', m, f),
    error: (m, f) => write(LOG_LEVEL.ERROR, 'error', m, f),
    child: (more) => createLogger(subsystem, { ...context, ...more }),
  };
}
