/**
 * The HTTP(S) server every route and the signaling WebSocket hang off. Timeouts against slow clients
 * (slowloris), a small default body limit, and the JSON error shape `{ error: { code, message } }`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ConclaveError, isErrorCode, type ErrorCode } from '@conclave/protocol';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Transport } from './tls.ts';

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
  PRIVILEGE_MISSING: 403,
  MEDIA_NO_WORKER: 503,
};

/** Maps a ConclaveError code to an HTTP status (the edge is the only place that knows statuses). */
export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

export function createHttpServer(config: Config, transport: Transport, log: Logger): FastifyInstance {
  // One instance type for HTTP and HTTPS: routes never depend on which transport carries them.
  const app = Fastify({
    loggerInstance: log.child({ subsystem: 'http' }) as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    routerOptions: { maxParamLength: 200 },
    trustProxy: false,
    ...(transport.kind === 'https'
      ? { https: { cert: transport.cert, key: transport.key, minVersion: 'TLSv1.2' as const } }
      : {}),
  });
  app.server.headersTimeout = config.http.headersTimeoutMs;

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ConclaveError) {
      return reply.status(httpStatusFor(error.code)).send({ error: error.toJSON() });
    }
    const status =
      typeof (error as { statusCode?: unknown }).statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const code = (error as { code?: unknown }).code;
    return reply.status(status).send({
      error: {
        code: isErrorCode(code)
          ? code
          : status === 413
            ? 'REQUEST_TOO_LARGE'
            : status < 500
              ? 'BAD_REQUEST'
              : 'INTERNAL',
        message: status < 500 ? error.message : 'internal error',
      },
    });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'no such route' } }),
  );
  return app;
}
