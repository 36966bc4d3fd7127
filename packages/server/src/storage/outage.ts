/**
 * Whether a store failure is an outage — the database unreachable, restarting or out of space — after which the
 * same write can succeed later, as opposed to a write that is wrong and would fail again. Writers that must not
 * lose data (telemetry batches, callback enqueues) keep what failed for an outage and retry it after recovery.
 */
import { ConclaveError } from '@conclave/protocol';

/** Node socket errors of a connection that could not be made or was cut. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * PostgreSQL SQLSTATEs of an outage: class 08 (connection exception), 53 (insufficient resources: disk full, out
 * of memory, too many connections), 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now).
 */
const POSTGRES_OUTAGE = /^(08|53)|^57P0[123]$/;

/** True for a failure that says the store is (for now) unable to take writes. */
export function isStoreOutage(err: unknown): boolean {
  if (err instanceof ConclaveError) return err.code === 'STORE_UNAVAILABLE' || err.code === 'STORE_FULL';
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || code === 'SQLITE_BUSY' || code === 'SQLITE_FULL') return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return POSTGRES_OUTAGE.test(code);
  }
  // pg reports a socket that closed under a query, or a pool that cannot connect in time, by message only.
  const message = err instanceof Error ? err.message : '';
  if (
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      message,
    )
  )
    return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isStoreOutage(cause);
}
