/**
 * The only place that wires Conclave's parts together: configuration → secrets → stores → transport (TLS) →
 * HTTP server → media workers → rooms, conference and signaling → routes. Everything else receives what it
 * needs as parameters.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import { dataDir, workerCount, type Config } from './config.ts';
import type { Logger } from './logger.ts';
import { adminAuth } from './api/admin-auth.ts';
import { apiCredentialRoutes } from './api/api-credentials.ts';
import { appsRoutes } from './api/apps.ts';
import { callbackLogRoutes } from './api/callback-log.ts';
import { cachedCredentialLookup } from './api/cloud-api/credential-cache.ts';
import { describeActions } from './api/cloud-api/describe-actions.ts';
import { registerCloudApi } from './api/cloud-api/endpoint.ts';
import { roomActions } from './api/cloud-api/room-actions.ts';
import { registerDemo } from './api/demo.ts';
import { registerDevUserSig } from './api/dev-usersig.ts';
import { registerHealth } from './api/health.ts';
import { createHttpServer } from './api/http-server.ts';
import { createMetricsRegistry, registerMetrics } from './api/metrics.ts';
import { privacyRoutes } from './api/privacy.ts';
import { registerSdkAssets } from './api/sdk-assets.ts';
import { registerSecurityTxt } from './api/security-txt.ts';
import { resolveTransport } from './api/tls.ts';
import { CallbackDispatcher } from './callbacks/dispatcher.ts';
import { Conference } from './conference/conference.ts';
import { registryAppAccess } from './conference/registry-app-access.ts';
import { loadOrCreateDevKeys, type DevKeys } from './dev-keys.ts';
import { WorkerPool } from './media/worker-pool.ts';
import { eraseUser } from './privacy/erasure.ts';
import { scheduleRetention } from './privacy/retention.ts';
import { DEFAULT_RETENTION, type RetentionPolicy } from './privacy/retention-policy.ts';
import { RoomDirectory } from './rooms/index.ts';
import { attachSignaling } from './signaling/websocket-server.ts';
import { openRegionStores, type RegionStores } from './storage/regions.ts';
import type { StoreConfig } from './storage/store.ts';
import { CallRecorder } from './telemetry/call-recorder.ts';

export interface ConclaveServer {
  /** Base URL clients use, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly workers: WorkerPool;
  readonly rooms: RoomDirectory;
  readonly conference: Conference;
  readonly stores: RegionStores;
  readonly callbacks: CallbackDispatcher;
  close(): Promise<void>;
}

/** Secrets from configuration, or dev mode's generated ones; production must configure its master key. */
function secrets(config: Config): { dev: DevKeys | undefined; masterKey: string; adminToken: string | undefined } {
  const dev = config.dev ? loadOrCreateDevKeys(config) : undefined;
  const masterKey = config.security.masterKey ?? dev?.masterKey;
  if (!masterKey) {
    throw new ConclaveError('CONFIG_INVALID', 'security.masterKey (CONCLAVE_MASTER_KEY) is required outside dev mode');
  }
  return { dev, masterKey, adminToken: config.security.adminToken ?? dev?.adminToken };
}

/** Each region's store; by default one SQLite file in the data directory. */
export function regionStoreConfigs(config: Config): Record<string, StoreConfig> {
  return (
    config.storage.regions ?? {
      [config.storage.defaultRegion]: { driver: 'sqlite', path: path.join(dataDir(config), 'conclave.db') },
    }
  );
}

/** Opens (and migrates) the configured region stores; in dev mode the dev app is ensured. Used by start and the CLI. */
export async function openConfiguredStores(config: Config, log: Logger): Promise<RegionStores> {
  const { dev, masterKey } = secrets(config);
  const stores = await openRegionStores(
    { regions: regionStoreConfigs(config), control: config.storage.regions ? undefined : config.storage.defaultRegion },
    { masterKey, logger: log },
  );
  if (dev) {
    await stores.apps.ensureDevApp({ sdkAppId: dev.sdkAppId, secretKey: dev.secretKey });
    await stores.apps.apiCredentials.ensure(dev.sdkAppId, dev.apiSecretId, dev.apiSecretKey);
  }
  return stores;
}

export async function startConclave(config: Config, log: Logger): Promise<ConclaveServer> {
  const { dev, adminToken } = secrets(config);
  const transport = await resolveTransport(config, log);
  const retention: RetentionPolicy = { ...DEFAULT_RETENTION, ...config.retention };
  const stores = await openConfiguredStores(config, log);
  const workers = await WorkerPool.start(
    {
      count: workerCount(config),
      rtcMinPort: config.media.rtcMinPort,
      rtcMaxPort: config.media.rtcMaxPort,
      logLevel: config.media.logLevel,
    },
    log.child({ subsystem: 'media' }),
  ).catch(async (err: unknown) => {
    await stores.close();
    throw err;
  });

  const rooms = new RoomDirectory({
    limits: {
      rtc: { maxUsers: config.rooms.rtcMaxUsers, maxPublishers: config.rooms.rtcMaxPublishers },
      live: { maxUsers: config.rooms.liveMaxUsers, maxAnchors: config.rooms.liveMaxAnchors },
    },
    disconnectGraceMs: config.signaling.resumeGraceSeconds * 1000,
  });
  const conference = new Conference({
    directory: rooms,
    workers,
    network: { listenIp: config.media.listenIp, announcedAddress: config.media.announcedAddress },
    apps: registryAppAccess(stores.apps),
    resumeGraceSeconds: config.signaling.resumeGraceSeconds,
    log: log.child({ subsystem: 'conference' }),
  });
  new CallRecorder(stores, log.child({ subsystem: 'telemetry' })).attach(rooms, conference);
  const callbacks = new CallbackDispatcher({
    stores,
    callbackConfig: (sdkAppId) =>
      stores.apps.getCallbackConfig(sdkAppId).catch((err: unknown) => {
        // An app that is gone (or shredded) gets no callbacks; a store failure is the caller's to report.
        if (err instanceof ConclaveError && ['APP_NOT_FOUND', 'APP_TERMINATED', 'APP_KEY_DESTROYED'].includes(err.code))
          return null;
        throw err;
      }),
    log: log.child({ subsystem: 'callbacks' }),
  });
  callbacks.attach(rooms);
  await callbacks.start();
  const stopRetention = scheduleRetention(stores, { logger: log, policy: retention });

  const app = createHttpServer(config, transport, log);
  registerHealth(app, { workers, startedAt: Date.now() });
  registerMetrics(app, createMetricsRegistry(workers, rooms));
  registerSecurityTxt(app, { contact: config.security.contact });
  registerSdkAssets(app, { distDir: fileURLToPath(new URL('../../client/dist', import.meta.url)) });
  registerDemo(app, dev ? { dev: true, sdkAppId: dev.sdkAppId } : { dev: false });
  if (dev) registerDevUserSig(app, { sdkAppId: dev.sdkAppId, secretKey: dev.secretKey });
  const requireAdmin = adminToken ? adminAuth(adminToken) : undefined;
  await app.register(privacyRoutes, {
    eraseUser: (request) => eraseUser(stores, request),
    requireAdmin: requireAdmin ?? adminAuth(cryptoRandomToken()),
    retention,
  });
  if (requireAdmin) {
    await app.register(appsRoutes, { apps: stores.apps, requireAdmin });
    await app.register(apiCredentialRoutes, { credentials: stores.apps.apiCredentials, requireAdmin });
    await app.register(callbackLogRoutes, {
      deliveryLog: (sdkAppId, options) => callbacks.deliveryLog(sdkAppId, options),
      requireAdmin,
    });
  }
  registerCloudApi(app, {
    actions: [...roomActions(rooms), ...describeActions(stores)],
    credentials: cachedCredentialLookup(stores.apps.apiCredentials),
    requestsPerSecondPerApp: config.api.requestsPerSecondPerApp,
    log: log.child({ subsystem: 'cloud-api' }),
  });
  const signaling = attachSignaling(app.server, conference, config.signaling, log.child({ subsystem: 'signaling' }));

  const shutdown = async (): Promise<void> => {
    signaling.close();
    conference.close();
    await callbacks.close();
    stopRetention();
    await app.close();
    workers.close();
    await stores.close();
  };
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    await shutdown();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const url = `${transport.kind}://${host}:${port}`;
  log.info({ url, transport: transport.kind, workers: workers.workers.length }, 'conclave started');
  return { url, app, workers, rooms, conference, stores, callbacks, close: shutdown };
}

/** Without a configured admin token the admin routes refuse everyone (a token nobody knows). */
function cryptoRandomToken(): string {
  return globalThis.crypto.randomUUID() + globalThis.crypto.randomUUID();
}
