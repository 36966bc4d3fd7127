/**
 * The HTTP(S) server every route and the signaling WebSocket hang off. Timeouts against slow clients
 * (slowloris), a small default body limit, the JSON error shape of http-errors.ts, and security headers on
 * every response (HSTS over TLS; a route with a page of its own, the demo, sets its own CSP).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { sendHttpError } from './http-errors.ts';
import type { Transport } from './tls.ts';

/** Every response is JSON, a script or a page that sets its own CSP: nothing may frame, sniff or be embedded. */
export const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/**
 * How often Node checks the headers and request deadlines. Node's default (30 s) would let a slow client hold a
 * socket for headersTimeout + 30 s; checking at a quarter of the shorter deadline keeps the overshoot small.
 */
export function connectionsCheckingIntervalMs(http: Config['http']): number {
  return Math.max(250, Math.min(5_000, Math.floor(Math.min(http.headersTimeoutMs, http.requestTimeoutMs) / 4)));
}

export function createHttpServer(config: Config, transport: Transport, log: Logger): FastifyInstance {
  const serverOptions = { connectionsCheckingInterval: connectionsCheckingIntervalMs(config.http) };
  // One instance type for HTTP and HTTPS: routes never depend on which transport carries them.
  const app = Fastify({
    loggerInstance: log.child({ subsystem: 'http' }) as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    routerOptions: { maxParamLength: 200 },
    // Only configured proxies may speak for the client (X-Forwarded-For); none by default.
    trustProxy: config.http.trustProxy.length > 0 ? [...config.http.trustProxy] : false,
    ...(transport.kind === 'https'
      ? {
          https: {
            ...serverOptions,
            cert: transport.cert,
            key: transport.key,
            minVersion: 'TLSv1.2' as const,
            // A TLS handshake left hanging holds its socket like slow headers would (Node's default: 120 s).
            handshakeTimeout: config.http.headersTimeoutMs,
          },
        }
      : { http: serverOptions }),
  });
  app.server.headersTimeout = config.http.headersTimeoutMs;

  const hsts = transport.kind === 'https';
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000');
  });
  app.setErrorHandler(sendHttpError);
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'no such route' } }),
  );
  return app;
}
