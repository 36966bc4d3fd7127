/**
 * Accepts signaling WebSockets at `/signal` on the HTTP(S) server. Bounds the frame size below the `ws`
 * default (100 MiB), refuses browser Origins outside `allowedOrigins` when it is set (403), and limits new
 * connections per IP address; each accepted socket becomes a {@link SignalConnection}.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logger.ts';
import { TokenBucket } from '../rooms/token-bucket.ts';
import { SignalConnection, type SignalHandler, type SignalLimits } from './connection.ts';

export const SIGNAL_PATH = '/signal';

export interface SignalServerOptions extends SignalLimits {
  connectionsPerIpPerMinute: number;
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
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
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
