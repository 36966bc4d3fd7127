/**
 * The only place that wires Conclave's parts together: configuration → secrets → stores → transport (TLS) →
 * HTTP server → media workers → rooms, conference and signaling → routes. Everything else receives what it
 * needs as parameters.
 */
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import { dataDir, isLoopback, workerCount, type Config } from './config.ts';
import type { Logger } from './logger.ts';
import { apiCredentialRoutes } from './api/api-credentials.ts';
import { appsRoutes } from './api/apps.ts';
import { callbackLogRoutes } from './api/callback-log.ts';
import { clientAddress } from './api/client-address.ts';
import { cachedCredentialLookup } from './api/cloud-api/credential-cache.ts';
import { describeActions } from './api/cloud-api/describe-actions.ts';
import { registerCloudApi } from './api/cloud-api/endpoint.ts';
import { recordingActions } from './api/cloud-api/recording-actions.ts';
import { roomActions } from './api/cloud-api/room-actions.ts';
import { registerDemo } from './api/demo.ts';
import { registerDevUserSig } from './api/dev-usersig.ts';
import { registerHealth } from './api/health.ts';
import { dashboardRoutes } from './api/dashboard/index.ts';
import { createHttpServer } from './api/http-server.ts';
import { createMetricsRegistry, registerMetrics } from './api/metrics.ts';
import { privacyRoutes } from './api/privacy.ts';
import { registerSdkAssets } from './api/sdk-assets.ts';
import { registerConsoleAssets } from './api/console-assets.ts';
import { registerSecurityTxt } from './api/security-txt.ts';
import { devCertificateFiles, resolveTransport, type Transport } from './api/tls.ts';
import { parseMasterKey } from './apps/envelope.ts';
import { RecordingTasks } from './recording/recording-tasks.ts';
import { AuditLog } from './audit/audit-log.ts';
import { auditRoutes } from './audit/audit-routes.ts';
import { CallbackDispatcher } from './callbacks/dispatcher.ts';
import { CallbackUrlPolicy } from './callbacks/url-policy.ts';
import { ClusterNode } from './cluster/cluster-node.ts';
import { Conference } from './conference/conference.ts';
import { registryAppAccess } from './conference/registry-app-access.ts';
import { loadOrCreateDevKeys, type DevKeys } from './dev-keys.ts';
import { inboxRoutes } from './intake/inbox-routes.ts';
import { intakeRoutes } from './intake/intake-routes.ts';
import { ReportStore } from './intake/report-store.ts';
import { WorkerPool } from './media/worker-pool.ts';
import type { CallDataScope } from './operators/access.ts';
import { OperatorAccounts } from './operators/accounts.ts';
import { authRoutes } from './operators/auth-routes.ts';
import { createCallDataAccess } from './operators/call-data-access.ts';
import { grantsRoutes } from './operators/grants-routes.ts';
import { GrantService } from './operators/grants.ts';
import { createOperatorPlane, type OperatorPlane } from './operators/operator-plane.ts';
import { operatorRoutes } from './operators/operator-routes.ts';
import { TurnService, type HttpCertificate } from './turn/turn-service.ts';
import { eraseUser } from './privacy/erasure.ts';
import { scheduleRetention } from './privacy/retention.ts';
import { DEFAULT_RETENTION, type RetentionPolicy } from './privacy/retention-policy.ts';
import { localRoomManagement, RoomDirectory, type RoomManagement } from './rooms/index.ts';
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
  /** Room events → stored telemetry (its `retained`/`dropped` tell of writes waiting for a store that is down). */
  readonly recorder: CallRecorder;
  /** The tamper-evident audit log (control store). */
  readonly audit: AuditLog;
  /** Operator accounts, sessions and the access check (control store). */
  readonly operators: OperatorPlane;
  /** This node in its cluster, when `cluster.redisUrl` is set. */
  readonly cluster: ClusterNode | undefined;
  /** Stops taking new rooms (cluster: placement skips this node); current rooms go on. */
  drain(): Promise<void>;
  /** TURN (credentials for join answers; with `turn.spawn`, the coturn child process), when enabled. */
  readonly turn: TurnService | undefined;
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

/**
 * Dev mode signs UserSigs for anyone who asks (`/dev/usersig`); beyond loopback that hands out every dev-app
 * identity to the network, so it needs an explicit `devAllowRemote`.
 */
export function assertDevExposure(config: Config): void {
  if (config.dev && !isLoopback(config.http.host) && !config.devAllowRemote) {
    throw new ConclaveError(
      'CONFIG_INVALID',
      `refusing dev mode on ${config.http.host}: /dev/usersig would sign UserSigs for anyone who can reach it. ` +
        'Bind to 127.0.0.1, or set devAllowRemote (CONCLAVE_DEV_ALLOW_REMOTE=1, --dev-allow-remote) on a trusted network',
    );
  }
}

/** Before the node has registered (a few ms after listen), cluster work is refused as transient. */
const clusterUnavailable = (): Promise<never> => Promise.reject(new ConclaveError('CLUSTER_UNAVAILABLE'));

/** This node's id in the cluster: `cluster.nodeId`, else the host name. */
export function clusterNodeId(config: Config): string {
  return (
    config.cluster.nodeId ??
    os
      .hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 64)
  );
}

/** The callback network policy from `callbacks.*`. */
export function callbackUrlPolicy(config: Config): CallbackUrlPolicy {
  return new CallbackUrlPolicy(config.callbacks);
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
    { masterKey, logger: log, callbackUrlPolicy: callbackUrlPolicy(config) },
  );
  if (dev) {
    await stores.apps.ensureDevApp({ sdkAppId: dev.sdkAppId, secretKey: dev.secretKey });
    await stores.apps.apiCredentials.ensure(dev.sdkAppId, dev.apiSecretId, dev.apiSecretKey);
  }
  return stores;
}

/** The audit log over the control store, signing checkpoints with the key derived from the master key. */
export function openAuditLog(config: Config, stores: RegionStores, log: Logger): AuditLog {
  return new AuditLog({
    store: stores.control.store,
    masterKey: parseMasterKey(secrets(config).masterKey).key,
    logger: log,
  });
}

/** Operator accounts over the control store (the CLI's `conclave operator`). */
export function openOperatorAccounts(config: Config, stores: RegionStores): OperatorAccounts {
  return new OperatorAccounts({
    store: stores.control.store,
    masterKey: parseMasterKey(secrets(config).masterKey).key,
  });
}

export async function startConclave(config: Config, log: Logger): Promise<ConclaveServer> {
  assertDevExposure(config);
  const { dev, adminToken } = secrets(config);
  const transport = await resolveTransport(config, log);
  const retention: RetentionPolicy = { ...DEFAULT_RETENTION, ...config.retention };
  const stores = await openConfiguredStores(config, log);
  const audit = openAuditLog(config, stores, log);
  audit.start();
  const workers = await WorkerPool.start(
    {
      count: workerCount(config),
      rtcMinPort: config.media.rtcMinPort,
      rtcMaxPort: config.media.rtcMaxPort,
      logLevel: config.media.logLevel,
      probe: {
        intervalMs: config.media.workerProbeIntervalMs,
        timeoutMs: config.media.workerProbeTimeoutMs,
        misses: config.media.workerProbeMisses,
      },
    },
    log.child({ subsystem: 'media' }),
  ).catch(async (err: unknown) => {
    await audit.close();
    await stores.close();
    throw err;
  });

  const turn = await TurnService.start(config, log.child({ subsystem: 'turn' }), {
    dataDir: dataDir(config),
    httpCertificate: httpCertificateFiles(config, transport),
  }).catch(async (err: unknown) => {
    workers.close();
    await audit.close();
    await stores.close();
    throw err;
  });

  const rooms = new RoomDirectory({
    limits: {
      rtc: { maxUsers: config.rooms.rtcMaxUsers, maxPublishers: config.rooms.rtcMaxPublishers },
      live: { maxUsers: config.rooms.liveMaxUsers, maxAnchors: config.rooms.liveMaxAnchors },
    },
    disconnectGraceMs: config.signaling.resumeGraceSeconds * 1000,
    maxRoomsPerApp: config.rooms.maxRoomsPerApp,
    // A room taken over from a node that died continues there (cluster/room-succession.ts).
    predecessorOf: (key) => cluster?.succession.predecessorOf(key),
  });
  let cluster: ClusterNode | undefined;
  // The server API acts on the room wherever it is served: in a cluster through the node serving it.
  const roomManagement: RoomManagement = config.cluster.redisUrl
    ? {
        dismissRoom: (key) => (cluster ? cluster.dismissRoom(key) : clusterUnavailable()),
        removeUsers: (key, ids) => (cluster ? cluster.removeUsers(key, ids) : clusterUnavailable()),
      }
    : localRoomManagement(rooms);
  const conference = new Conference({
    // Joins arriving before the node has registered (a few ms after listen) are refused as transient.
    placement: config.cluster.redisUrl ? (join) => (cluster ? cluster.admit(join) : clusterUnavailable()) : undefined,
    directory: rooms,
    workers,
    network: {
      listenIp: config.media.listenIp,
      announcedAddress: config.media.announcedAddress,
      enableUdp: config.media.enableUdp,
    },
    ...(turn ? { iceServers: (userId: string) => turn.iceServers(userId) } : {}),
    apps: registryAppAccess(stores.apps),
    resumeGraceSeconds: config.signaling.resumeGraceSeconds,
    quotas: config.quotas,
    log: log.child({ subsystem: 'conference' }),
    audit,
  });
  stores.apps.on('revoked', (sdkAppId, why) => conference.revokeApp(sdkAppId, why));
  const recorder = new CallRecorder(stores, log.child({ subsystem: 'telemetry' }));
  recorder.attach(rooms, conference);
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
    urlPolicy: callbackUrlPolicy(config),
    concurrency: config.callbacks.concurrency,
    maxSpooled: config.callbacks.maxSpooled,
    ...(config.cluster.redisUrl ? { nodeId: clusterNodeId(config), pollMs: 1_000 } : {}),
  });
  callbacks.attach(rooms);
  await callbacks.start();
  const stopRetention = scheduleRetention(stores, {
    logger: log,
    policy: retention,
    audit,
    // In a cluster one node at a time runs a pass (the lock outlives a pass's usual length).
    exclusive: config.cluster.redisUrl
      ? (run) => (cluster ? cluster.runExclusive('retention', 30 * 60_000, run) : Promise.resolve(false))
      : undefined,
  });

  const app = createHttpServer(config, transport, log);
  registerHealth(app, { workers, startedAt: Date.now() });
  const outageGauges = {
    callbacks: () => callbacks.stats(),
    telemetry: () => {
      let retained = recorder.retained;
      let dropped = recorder.dropped;
      for (const name of stores.regionNames)
        for (const s of Object.values(stores.region(name).writer.stats())) {
          retained += s.buffered;
          dropped += s.dropped;
        }
      return { retained, dropped };
    },
  };
  registerMetrics(app, createMetricsRegistry(workers, rooms, outageGauges), {
    token: config.metrics.token,
    open: config.dev,
  });
  registerSecurityTxt(app, { contact: config.security.contact });
  const reports = new ReportStore(stores.control.store);
  await app.register(intakeRoutes, { reports });
  const grants = new GrantService({ store: stores.control.store, audit, appExists: (id) => stores.apps.isActive(id) });
  registerSdkAssets(app, { distDir: fileURLToPath(new URL('../../client/dist', import.meta.url)) });
  registerConsoleAssets(app, { distDir: fileURLToPath(new URL('../../console/dist', import.meta.url)) });
  registerDemo(app, dev ? { dev: true, sdkAppId: dev.sdkAppId } : { dev: false });
  if (dev) registerDevUserSig(app, { sdkAppId: dev.sdkAppId, secretKey: dev.secretKey });
  let url = '';
  const operators = createOperatorPlane({
    store: stores.control.store,
    masterKey: parseMasterKey(secrets(config).masterKey).key,
    audit,
    adminToken,
    sessionIdleMinutes: config.operators.sessionIdleMinutes,
    sessionMaxHours: config.operators.sessionMaxHours,
    webauthnOrigin: config.operators.webauthnOrigin ?? (() => url),
  });
  const { requirePermission } = operators.access;
  // Expired sessions are refused when presented; this only clears the ones never presented again.
  const sessionPruner = setInterval(() => {
    operators.sessions.prune().catch((err: unknown) => log.warn({ err }, 'operator session prune failed'));
  }, 10 * 60_000).unref();
  await app.register(authRoutes, { ...operators, audit });
  await app.register(operatorRoutes, { ...operators, requirePermission, audit });
  await app.register(privacyRoutes, {
    eraseUser: (request) => eraseUser(stores, request),
    requirePermission,
    audit,
    retention,
  });
  const callData = createCallDataAccess({ grants, audit });
  const callDataOf = (scope: CallDataScope): preHandlerAsyncHookHandler =>
    callData.requireCallData(scope, (request) => Number((request.params as { sdkAppId: string }).sdkAppId));
  await app.register(appsRoutes, { apps: stores.apps, requirePermission, audit });
  await app.register(apiCredentialRoutes, { credentials: stores.apps.apiCredentials, requirePermission, audit });
  await app.register(callbackLogRoutes, {
    deliveryLog: (sdkAppId, options) => callbacks.deliveryLog(sdkAppId, options),
    requirePermission,
    requireCallData: callDataOf('callbacks'),
  });
  await app.register(auditRoutes, { audit, requirePermission });
  await app.register(grantsRoutes, { grants, requirePermission });
  await app.register(dashboardRoutes, {
    stores,
    rooms,
    audit,
    requirePermission,
    requireCallData: callData.requireCallData,
  });
  await app.register(inboxRoutes, { reports, audit, requirePermission });
  const appAccess = registryAppAccess(stores.apps);
  const storagePolicy = new CallbackUrlPolicy(config.recording.storageEndpoints);
  const recordings = new RecordingTasks({
    directory: config.recording.directory,
    maxConcurrentPerApp: config.recording.maxConcurrentPerApp,
    serverUrl: () => url,
    appSecret: async (sdkAppId) => (await appAccess.access(sdkAppId)).secretKey,
    insecureTls: config.dev,
    log: log.child({ subsystem: 'recording' }),
    ...(config.recording.backupDirectory ? { backupDirectory: config.recording.backupDirectory } : {}),
    uploadAttempts: config.recording.uploadAttempts,
    checkStorageEndpoint: (endpoint) => {
      storagePolicy.check(endpoint);
      return storagePolicy.lookup;
    },
    callback: (sdkAppId, body) => callbacks.enqueue(sdkAppId, body),
  });
  registerCloudApi(app, {
    actions: [...roomActions(roomManagement), ...describeActions(stores), ...recordingActions(recordings)],
    credentials: cachedCredentialLookup(stores.apps.apiCredentials),
    requestsPerSecondPerApp: config.api.requestsPerSecondPerApp,
    replayCapacityPerApp: config.api.replayCapacityPerApp,
    log: log.child({ subsystem: 'cloud-api' }),
    audit,
  });
  const signaling = attachSignaling(
    app.server,
    conference,
    { ...config.signaling, clientAddress: clientAddress(config.http.trustProxy) },
    log.child({ subsystem: 'signaling' }),
  );

  const shutdown = async (): Promise<void> => {
    await cluster?.close();
    signaling.close();
    conference.close();
    await callbacks.close();
    stopRetention();
    clearInterval(sessionPruner);
    await recordings.close();
    await app.close();
    workers.close();
    await turn?.close();
    await audit.close();
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
  url = `${transport.kind}://${host}:${port}`;
  if (config.cluster.redisUrl) {
    try {
      cluster = await ClusterNode.start({
        redisUrl: config.cluster.redisUrl,
        nodeId: clusterNodeId(config),
        region: config.cluster.region ?? config.storage.defaultRegion,
        publicUrl: config.cluster.publicUrl ?? url,
        secret: config.cluster.secret as string, // required with redisUrl by the schema
        keyPrefix: config.cluster.keyPrefix,
        rooms,
        workers: () => workers.workers.length,
        regionOf: (sdkAppId) => stores.apps.regionOf(sdkAppId),
        log: log.child({ subsystem: 'cluster' }),
      });
    } catch (err) {
      await shutdown();
      throw err;
    }
  }
  log.info({ url, transport: transport.kind, workers: workers.workers.length }, 'conclave started');
  const drain = async (): Promise<void> => {
    await cluster?.drain();
  };
  return {
    url,
    app,
    workers,
    rooms,
    conference,
    stores,
    callbacks,
    recorder,
    audit,
    operators,
    turn,
    cluster,
    drain,
    close: shutdown,
  };
}

/** The PEM files of the HTTP server's certificate (configured, or dev mode's generated one), for TURN over TLS. */
function httpCertificateFiles(config: Config, transport: Transport): HttpCertificate | undefined {
  if (transport.kind !== 'https') return undefined;
  if (config.http.tlsCertFile && config.http.tlsKeyFile)
    return { certFile: config.http.tlsCertFile, keyFile: config.http.tlsKeyFile };
  return devCertificateFiles(config);
}
