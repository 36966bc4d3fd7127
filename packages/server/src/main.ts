/**
 * The only place that wires Conclave's parts together: configuration → transport (TLS) → HTTP server →
 * media workers → routes. Everything else receives what it needs as parameters.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { workerCount, type Config } from './config.ts';
import type { Logger } from './logger.ts';
import { createHttpServer } from './api/http-server.ts';
import { registerHealth } from './api/health.ts';
import { createMetricsRegistry, registerMetrics } from './api/metrics.ts';
import { resolveTransport } from './api/tls.ts';
import { WorkerPool } from './media/worker-pool.ts';
import { Conference } from './conference/conference.ts';
import { fixedApps, type AppAccess } from './conference/app-access.ts';
import { loadOrCreateDevKeys } from './dev-keys.ts';
import { RoomDirectory } from './rooms/index.ts';
import { registerDemo } from './api/demo.ts';
import { registerDevUserSig } from './api/dev-usersig.ts';
import { registerSdkAssets } from './api/sdk-assets.ts';
import { registerSecurityTxt } from './api/security-txt.ts';
import { registerCloudApi, type ApiCredential } from './api/cloud-api/endpoint.ts';
import { roomActions } from './api/cloud-api/room-actions.ts';
import { attachSignaling } from './signaling/websocket-server.ts';

export interface ConclaveServer {
  /** Base URL clients use, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly workers: WorkerPool;
  readonly rooms: RoomDirectory;
  readonly conference: Conference;
  close(): Promise<void>;
}

export async function startConclave(config: Config, log: Logger): Promise<ConclaveServer> {
  const transport = await resolveTransport(config, log);
  const workers = await WorkerPool.start(
    {
      count: workerCount(config),
      rtcMinPort: config.media.rtcMinPort,
      rtcMaxPort: config.media.rtcMaxPort,
      logLevel: config.media.logLevel,
    },
    log.child({ subsystem: 'media' }),
  );
  const app = createHttpServer(config, transport, log);
  registerHealth(app, { workers, startedAt: Date.now() });

  registerSecurityTxt(app, { contact: config.security.contact });
  registerSdkAssets(app, { distDir: fileURLToPath(new URL('../../client/dist', import.meta.url)) });
  const apps: AppAccess[] = [];
  const apiCredentials: ApiCredential[] = [];
  if (config.dev) {
    const dev = loadOrCreateDevKeys(config);
    apps.push({ sdkAppId: dev.sdkAppId, secretKey: dev.secretKey, privilegeControl: false });
    apiCredentials.push({ secretId: dev.apiSecretId, secretKey: dev.apiSecretKey, sdkAppId: dev.sdkAppId });
    registerDevUserSig(app, { sdkAppId: dev.sdkAppId, secretKey: dev.secretKey });
    registerDemo(app, { dev: true, sdkAppId: dev.sdkAppId });
  } else {
    registerDemo(app, { dev: false });
  }
  const rooms = new RoomDirectory({
    limits: {
      rtc: { maxUsers: config.rooms.rtcMaxUsers, maxPublishers: config.rooms.rtcMaxPublishers },
      live: { maxUsers: config.rooms.liveMaxUsers, maxAnchors: config.rooms.liveMaxAnchors },
    },
    disconnectGraceMs: config.signaling.resumeGraceSeconds * 1000,
  });
  registerMetrics(app, createMetricsRegistry(workers, rooms));
  const conference = new Conference({
    directory: rooms,
    workers,
    network: { listenIp: config.media.listenIp, announcedAddress: config.media.announcedAddress },
    apps: fixedApps(apps),
    resumeGraceSeconds: config.signaling.resumeGraceSeconds,
    log: log.child({ subsystem: 'conference' }),
  });
  registerCloudApi(app, {
    actions: roomActions(rooms),
    credentials: { find: async (secretId) => apiCredentials.find((c) => c.secretId === secretId) },
    requestsPerSecondPerApp: config.api.requestsPerSecondPerApp,
    log: log.child({ subsystem: 'cloud-api' }),
  });
  const signaling = attachSignaling(app.server, conference, config.signaling, log.child({ subsystem: 'signaling' }));

  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    signaling.close();
    conference.close();
    workers.close();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const url = `${transport.kind}://${host}:${port}`;
  log.info({ url, transport: transport.kind, workers: workers.workers.length }, 'conclave started');

  return {
    url,
    app,
    workers,
    rooms,
    conference,
    async close() {
      signaling.close();
      conference.close();
      await app.close();
      workers.close();
    },
  };
}
