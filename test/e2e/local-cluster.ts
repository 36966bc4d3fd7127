/**
 * Conclave nodes as their own processes on this machine, for tests and benchmarks that kill one: one cluster
 * on the local Redis under a key prefix of its own, one PostgreSQL store (a database of its own), one data
 * directory (the dev app's keys). `close()` kills what is still running and deletes all of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateUserSig } from '../../packages/server/src/auth/index.ts';
import { testKeyspace, testRedisUrl } from '../../packages/server/src/cluster/testing/keyspace.ts';
import { loadOrCreateDevKeys } from '../../packages/server/src/dev-keys.ts';
import {
  createTestPostgresDatabase,
  type TestPostgresDatabase,
} from '../../packages/server/src/storage/postgres/test-database.ts';

const SERVER = fileURLToPath(new URL('../../packages/server/src/testing/server-process.ts', import.meta.url));

/** One node process. */
export interface NodeProcess {
  id: string;
  url: string;
  process: ChildProcess;
}

export class LocalCluster {
  readonly nodes = new Map<string, NodeProcess>();
  readonly keyspace: Awaited<ReturnType<typeof testKeyspace>>;
  readonly #db: TestPostgresDatabase;
  readonly #dataDir: string;
  readonly #secret = crypto.randomBytes(24).toString('base64');

  private constructor(db: TestPostgresDatabase, keyspace: LocalCluster['keyspace'], dataDir: string) {
    this.#db = db;
    this.keyspace = keyspace;
    this.#dataDir = dataDir;
  }

  static async create(): Promise<LocalCluster> {
    const db = await createTestPostgresDatabase();
    const keyspace = await testKeyspace().catch(async (err: unknown) => {
      await db.drop();
      throw err;
    });
    return new LocalCluster(db, keyspace, fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cluster-')));
  }

  /**
   * Starts node `id` (RTC ports from `rtcMinPort`, 200 of them); resolves once it listens and is registered.
   * The first node creates the dev app in the shared store: start nodes one after the other. `callbackUrl`
   * sets the dev app's callback URL (loopback receivers are allowed on every node).
   */
  async startNode(id: string, rtcMinPort: number, callbackUrl?: string): Promise<NodeProcess> {
    const overrides = {
      callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true },
      cluster: {
        redisUrl: testRedisUrl(),
        nodeId: id,
        region: 'default',
        secret: this.#secret,
        keyPrefix: this.keyspace.prefix,
      },
      storage: { regions: { default: { driver: 'postgres', url: this.#db.url } } },
      media: { rtcMinPort, rtcMaxPort: rtcMinPort + 199 },
    };
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
      env: {
        ...process.env,
        CONCLAVE_TEST_DATA_DIR: this.#dataDir,
        CONCLAVE_TEST_OVERRIDES: JSON.stringify(overrides),
        ...(callbackUrl ? { CONCLAVE_TEST_CALLBACK_URL: callbackUrl } : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const node: NodeProcess = { id, url: '', process: child };
    this.nodes.set(id, node);
    node.url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`node ${id} exited with ${code} before it was ready`)));
      readline.createInterface({ input: child.stdout! }).once('line', (line) => {
        resolve((JSON.parse(line) as { url: string }).url);
      });
    });
    return node;
  }

  /** kill -9 of a node; resolves once the process is gone. */
  async kill(id: string): Promise<void> {
    const node = this.nodes.get(id);
    if (!node) return;
    this.nodes.delete(id);
    await stopProcess(node.process);
  }

  get devApp(): { sdkAppId: number; secretKey: string } {
    return loadOrCreateDevKeys({ dataDir: this.#dataDir } as never);
  }

  userSig(userId: string): string {
    return generateUserSig({ ...this.devApp, userId, expireSeconds: 3600 });
  }

  #leaseKey(roomId: number): string {
    return `${this.keyspace.prefix}room:${this.devApp.sdkAppId}#${roomId}`;
  }

  /** Places a room of the dev app on `nodeId`, as the first join would; the node renews it once it serves it. */
  async placeRoom(roomId: number, nodeId: string): Promise<void> {
    await this.keyspace.redis.set(this.#leaseKey(roomId), nodeId, 'PX', 15_000);
  }

  /** The node the room's lease names. */
  lease(roomId: number): Promise<string | null> {
    return this.keyspace.redis.get(this.#leaseKey(roomId));
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => stopProcess(n.process)));
    this.nodes.clear();
    await this.keyspace.cleanup();
    await this.#db.drop();
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

/**
 * SIGKILL, then wait for the exit — unless the process has exited already: a child killed by a signal has
 * `signalCode` set and `exitCode` null, and its 'exit' event has fired (waiting for it would hang).
 */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
