/**
 * The SDK's signaling engine (packages/client) against two real Conclave nodes in one cluster (local Redis,
 * unique key prefix): given node B's URL for a room that lives on node A, the engine follows the redirect by
 * itself and ends up joined on A, next to the room's first participant. Runs in Node (`ws` as the socket).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { JoinAnswer } from '../../packages/protocol/src/index.ts';
import { testKeyspace, testRedisUrl } from '../../packages/server/src/cluster/testing/keyspace.ts';
import { startTestServer, type TestServer } from '../../packages/server/src/testing/test-server.ts';

// The SDK is typed against the DOM; this program is typed against Node, so the SDK modules are loaded by a
// path the compiler does not follow, through the few members used here.
interface Engine {
  readonly state: string;
  join(params: Record<string, unknown>): Promise<JoinAnswer>;
  leave(): Promise<void>;
}
type EngineClass = new (options: {
  url: string;
  log: unknown;
  rtpCapabilities: () => undefined;
  heartbeatMs: number;
  createSocket: (url: string) => unknown;
}) => Engine;
const sdk = (file: string) => new URL(`../../packages/client/src/${file}`, import.meta.url).href;
const { SignalEngine } = (await import(sdk('signal-engine.ts'))) as { SignalEngine: EngineClass };
const sdkLog = (await import(sdk('logger.ts'))) as {
  createLogger(subsystem: string): unknown;
  setLogLevel(level: number): void;
  LOG_LEVEL: { NONE: number };
};
sdkLog.setLogLevel(sdkLog.LOG_LEVEL.NONE);
const SECRET = crypto.randomBytes(24).toString('base64');
let keyspace: Awaited<ReturnType<typeof testKeyspace>>;
let a: TestServer;
let b: TestServer;

before(async () => {
  keyspace = await testKeyspace();
  const cluster = (nodeId: string) => ({
    cluster: { redisUrl: testRedisUrl(), nodeId, secret: SECRET, keyPrefix: keyspace.prefix },
  });
  a = await startTestServer(cluster('node-a'));
  b = await startTestServer(cluster('node-b'), { dataDir: a.dataDir });
});
after(async () => {
  await b.stop();
  await a.close();
  await keyspace.cleanup();
});

function engine(url: string, opened: string[]) {
  return new SignalEngine({
    url: url.replace(/^http/, 'ws') + '/signal',
    log: sdkLog.createLogger('cluster-test'),
    rtpCapabilities: () => undefined,
    heartbeatMs: 60_000,
    createSocket: (socketUrl) => {
      opened.push(socketUrl);
      return new WebSocket(socketUrl);
    },
  });
}

test('the SDK engine joins through any node and is sent, transparently, to the node serving the room', async () => {
  const params = (userId: string) => ({ sdkAppId: a.sdkAppId, userId, userSig: a.userSig(userId), roomId: 900 });
  const firstOpened: string[] = [];
  const first = engine(a.server.url, firstOpened);
  await first.join(params('alice'));
  const serving = a.server.rooms.roomCount === 1 ? a : b;
  const other = serving === a ? b : a;

  const opened: string[] = [];
  const second = engine(other.server.url, opened);
  const answer: JoinAnswer = await second.join(params('bob'));
  assert.equal(second.state, 'CONNECTED');
  assert.deepEqual(
    answer.participants.map((p) => p.userId),
    ['alice'],
  );
  assert.deepEqual(opened, [
    other.server.url.replace(/^http/, 'ws') + '/signal',
    serving.server.url.replace(/^http/, 'ws') + '/signal',
  ]);
  assert.equal(other.server.rooms.roomCount, 0);
  assert.equal(serving.server.rooms.getRoom({ sdkAppId: a.sdkAppId, roomId: 900 })?.userCount, 2);
  await second.leave();
  await first.leave();
});
