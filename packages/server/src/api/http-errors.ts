/**
 * The one mapping from Conclave's error codes to HTTP statuses, and the JSON error reply every HTTP route uses:
 * `{ error: { code, message, details? } }`. The edge is the only place that knows statuses.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ConclaveError, isErrorCode, type ErrorCode } from '@conclave/protocol';

/** HTTP status for each error code that can reach an HTTP caller; anything else is a 500. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 400,
  INVALID_USER_ID: 400,
  INVALID_ROOM_ID: 400,
  INVALID_SDK_APP_ID: 400,
  USERSIG_MALFORMED: 401,
  USERSIG_EXPIRED: 401,
  USERSIG_APP_MISMATCH: 401,
  USERSIG_USER_MISMATCH: 401,
  USERSIG_BAD_SIGNATURE: 401,
  USERSIG_USERBUF_MISMATCH: 401,
  ADMIN_UNAUTHORIZED: 401,
  METRICS_UNAUTHORIZED: 401,
  PRIVILEGE_MISSING: 403,
  RECORDING_NOT_AUTHORIZED: 403,
  RECORDING_ONLY: 403,
  RECORDER_CANNOT_PUBLISH: 403,
  RECORDING_NOT_CONFIGURED: 503,
  RECORDING_CONCURRENCY_LIMIT: 429,
  RECORDING_TASK_NOT_FOUND: 404,
  RECORDING_START_FAILED: 409,
  RECORDING_FOREIGN_SOURCE: 409,
  APP_NOT_FOUND: 404,
  API_CREDENTIAL_NOT_FOUND: 404,
  APP_TERMINATED: 409,
  APP_KEY_DESTROYED: 410,
  APP_INVALID: 400,
  REGION_UNKNOWN: 400,
  SAMPLE_INVALID: 400,
  TELEMETRY_RECORD_INVALID: 400,
  COMM_ID_INVALID: 400,
  DELETION_REQUEST_INVALID: 400,
  AUDIT_QUERY_INVALID: 400,
  OPERATOR_UNAUTHENTICATED: 401,
  OPERATOR_SECOND_FACTOR_REQUIRED: 401,
  OPERATOR_FORBIDDEN: 403,
  OPERATOR_CSRF_INVALID: 403,
  OPERATOR_CREDENTIALS_INVALID: 401,
  OPERATOR_LOCKED: 423,
  OPERATOR_TOTP_INVALID: 401,
  OPERATOR_TOTP_REPLAYED: 401,
  OPERATOR_RECOVERY_CODE_INVALID: 401,
  OPERATOR_WEBAUTHN_INVALID: 401,
  OPERATOR_RATE_LIMITED: 429,
  OPERATOR_INVALID: 400,
  OPERATOR_NOT_FOUND: 404,
  OPERATOR_EMAIL_TAKEN: 409,
  OPERATOR_STATE_CONFLICT: 409,
  GRANT_INVALID: 400,
  GRANT_NOT_FOUND: 404,
  GRANT_SELF_APPROVAL: 403,
  GRANT_STATE_CONFLICT: 409,
  GRANT_OPERATOR_ONLY: 403,
  GRANT_REQUIRED: 403,
  GRANT_PENDING: 403,
  GRANT_EXPIRED: 403,
  GRANT_REVOKED: 403,
  GRANT_OUT_OF_SCOPE: 403,
  // Conference control: signaling codes today; the statuses hold should an HTTP action ever carry them.
  NOT_ROOM_ADMIN: 403,
  NOT_ROOM_OWNER: 403,
  CONTROL_TARGET_INVALID: 400,
  ROOM_LOCKED: 423,
  ROOM_PASSWORD_REQUIRED: 401,
  ROOM_PASSWORD_WRONG: 401,
  ROOM_PASSWORD_RATE_LIMITED: 429,
  MEDIA_DISABLED_BY_HOST: 403,
  NOT_ON_SEAT: 403,
  SEAT_UNAVAILABLE: 409,
  SEAT_MODE_OFF: 409,
  DEVICE_REQUEST_NOT_FOUND: 404,
  CONTROL_RATE_LIMITED: 429,
  CHAT_RATE_LIMITED: 429,
  REPORT_INVALID: 400,
  REPORT_RATE_LIMITED: 429,
  SIGNAL_CONNECTION_LIMIT: 429,
  SIGNAL_CONNECTION_RATE_LIMITED: 429,
  REPORT_NOT_FOUND: 404,
  DASHBOARD_QUERY_INVALID: 400,
  CALL_NOT_FOUND: 404,
  MEDIA_NO_WORKER: 503,
  STORE_UNAVAILABLE: 503,
  STORE_FULL: 507,
  SDK_NOT_BUILT: 503,
  CONSOLE_NOT_BUILT: 503,
};

/** Maps a ConclaveError code to an HTTP status. */
export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

/** Fastify error handler: ConclaveErrors with their status; other faults logged and answered without detail. */
export function sendHttpError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ConclaveError) {
    const status = httpStatusFor(error.code);
    if (status >= 500) request.log.error({ code: error.code, err: error.message }, 'request failed');
    return reply.status(status).send({ error: error.toJSON() });
  }
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  const status = typeof statusCode === 'number' ? statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  const code = (error as { code?: unknown }).code;
  return reply.status(status).send({
    error: {
      code: isErrorCode(code) ? code : status === 413 ? 'REQUEST_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL',
      message: status < 500 ? error.message : 'internal error',
    },
  });
}
