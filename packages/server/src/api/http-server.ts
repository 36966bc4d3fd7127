/**
 * The HTTP(S) server every route and the signaling WebSocket hang off. Timeouts against slow clients
 * (slowloris), a small default body limit, and the JSON error shape of http-errors.ts.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { sendHttpError } from './http-errors.ts';
import type { Transport } from './tls.ts';

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

  app.setErrorHandler(sendHttpError);
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'no such route' } }),
  );
  return app;
}
