/** Starts a real Conclave (dev mode, temp data dir, any free port) for integration tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateUserSig } from '../auth/index.ts';
import { loadConfig, type ConfigInput } from '../config.ts';
import { loadOrCreateDevKeys } from '../dev-keys.ts';
import { createLogger } from '../logger.ts';
import { startConclave, type ConclaveServer } from '../main.ts';

export interface TestServer {
  server: ConclaveServer;
  dataDir: string;
  sdkAppId: number;
  secretKey: string;
  /** A UserSig for `userId` from the dev app (or another key/app/expiry for negative tests). */
  userSig(
    userId: string,
    options?: { expireSeconds?: number; secretKey?: string; sdkAppId?: number; now?: number },
  ): string;
  /** Stops the server and deletes its data directory. */
  close(): Promise<void>;
  /** Stops the server and keeps its data directory (to start another server on it). */
  stop(): Promise<void>;
}

let nextPortBase = 43000;

/** Starts a server on a fresh temporary data directory, or on `options.dataDir` (a restart). */
export async function startTestServer(
  overrides: ConfigInput = {},
  options: { dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-test-'));
  // Separate RTC port ranges keep concurrently running test servers out of each other's way.
  const rtcMinPort = nextPortBase;
  nextPortBase += 500;
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      dev: true,
      dataDir,
      http: { port: 0, ...overrides.http },
      // Tests enter the same userIds many times a minute; the per-user join rate is tested with its own values.
      quotas: { joinsPerMinutePerUser: 6000, joinBurstPerUser: 1000, ...overrides.quotas },
      media: { workers: 1, rtcMinPort, rtcMaxPort: rtcMinPort + 499, ...overrides.media },
    },
  });
  const log = createLogger(process.env.CONCLAVE_TEST_LOG ?? 'silent');
  const server = await startConclave(config, log);
  const keys = loadOrCreateDevKeys(config);
  return {
    server,
    dataDir,
    sdkAppId: keys.sdkAppId,
    secretKey: keys.secretKey,
    userSig: (userId, o = {}) =>
      generateUserSig({
        sdkAppId: o.sdkAppId ?? keys.sdkAppId,
        userId,
        secretKey: o.secretKey ?? keys.secretKey,
        expireSeconds: o.expireSeconds ?? 3600,
        ...(o.now !== undefined ? { now: o.now } : {}),
      }),
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    stop: () => server.close(),
  };
}
