/**
 * Accepts signaling WebSockets at `/signal` on the HTTP(S) server. Bounds the frame size below the `ws`
 * default (100 MiB), refuses browser Origins outside `allowedOrigins` when it is set (403), and limits new
 * connections per minute and open connections per IP address (429 with SIGNAL_CONNECTION_RATE_LIMITED or
 * SIGNAL_CONNECTION_LIMIT in a JSON body); each accepted socket becomes a {@link SignalConnection}.
 * Slow upgrade requests are the HTTP server's to cut (headersTimeout, http-server.ts).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ConclaveError, type ErrorCode } from '@conclave/protocol';
import type { Logger } from '../logger.ts';
import { TokenBucket } from '../rooms/token-bucket.ts';
import { SignalConnection, type SignalHandler, type SignalLimits } from './connection.ts';

export const SIGNAL_PATH = '/signal';

export interface SignalServerOptions extends SignalLimits {
  connectionsPerIpPerMinute: number;
  /** Connections open at once from one IP address. */
  connectionsPerIp: number;
  /** The client's address (the peer, or what a trusted proxy forwarded); default: the socket's peer. */
  clientAddress?: (request: IncomingMessage) => string;
  /**
   * Browser Origins allowed to connect; empty or absent allows every Origin. A request without an Origin header
   * (not a browser) is allowed: anything outside a browser can send whatever Origin it likes anyway.
   */
  allowedOrigins?: readonly string[];
}

export interface SignalServer {
  readonly connections: ReadonlySet<SignalConnection>;
  close(): void;
}

/** Per-IP buckets are forgotten after this long idle, so the map stays bounded by recent peers. */
const IP_BUCKET_IDLE_MS = 120_000;

export function attachSignaling(
  server: Server,
  handler: SignalHandler,
  options: SignalServerOptions,
  log: Logger,
): SignalServer {
  // The hard frame cap sits above the protocol limit so an oversized message still gets a clear error
  // before the close; anything beyond it is cut off by `ws` itself (close 1009).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes * 4,
    perMessageDeflate: false,
  });
  const connections = new Set<SignalConnection>();
  const perIp = new Map<string, { bucket: TokenBucket; seen: number }>();
  const openPerIp = new Map<string, number>();
  const origins = new Set((options.allowedOrigins ?? []).map((o) => o.toLowerCase()));

  const prune = setInterval(() => {
    const cutoff = Date.now() - IP_BUCKET_IDLE_MS;
    for (const [ip, entry] of perIp) if (entry.seen < cutoff) perIp.delete(ip);
  }, IP_BUCKET_IDLE_MS).unref();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== SIGNAL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const ip = options.clientAddress?.(request) ?? request.socket.remoteAddress ?? 'unknown';
    const origin = request.headers.origin;
    if (origins.size > 0 && origin !== undefined && !origins.has(origin.toLowerCase())) {
      log.info({ ip, origin: origin.slice(0, 256) }, 'signaling connection from a foreign Origin refused');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const open = openPerIp.get(ip) ?? 0;
    if (open >= options.connectionsPerIp) {
      log.warn({ ip, open }, 'signaling connections per IP limit hit');
      return refuse(socket, 'SIGNAL_CONNECTION_LIMIT');
    }
    let entry = perIp.get(ip);
    if (!entry) {
      const perSecond = options.connectionsPerIpPerMinute / 60;
      entry = {
        bucket: new TokenBucket({
          capacity: options.connectionsPerIpPerMinute,
          refillPerSecond: perSecond,
          now: Date.now,
        }),
        seen: 0,
      };
      perIp.set(ip, entry);
    }
    entry.seen = Date.now();
    if (!entry.bucket.tryTake(1)) {
      log.warn({ ip }, 'signaling connection rate limit hit');
      return refuse(socket, 'SIGNAL_CONNECTION_RATE_LIMITED');
    }
    // Counted from here, so handshakes in flight count too; a handshake `ws` refuses closes the socket.
    openPerIp.set(ip, open + 1);
    socket.once('close', () => {
      const left = (openPerIp.get(ip) ?? 1) - 1;
      if (left > 0) openPerIp.set(ip, left);
      else openPerIp.delete(ip);
    });
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new SignalConnection(ws, ip, handler, options, log);
      connections.add(connection);
      ws.once('close', () => connections.delete(connection));
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    connections,
    close() {
      clearInterval(prune);
      server.off('upgrade', onUpgrade);
      for (const c of connections) c.close(1001, 'server shutting down');
      wss.close();
    },
  };
}

/** Answers an upgrade request with 429 and the error code in the JSON body every HTTP error has. */
function refuse(socket: Duplex, code: ErrorCode): void {
  const body = JSON.stringify({ error: new ConclaveError(code).toJSON() });
  socket.end(
    'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
