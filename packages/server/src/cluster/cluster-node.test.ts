/**
 * Registry, placement and leases against the real local Redis, with several ClusterNodes in this process
 * (each with its own Redis connection and room directory). Every test has its own key prefix, deleted after.
 */
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ConclaveError, type ClusterRedirect } from '@conclave/protocol';
import { createLogger } from '../logger.ts';
import { RoomDirectory } from '../rooms/index.ts';
import { roomKeyString, type RoomKey } from '../rooms/room-key.ts';
import { ClusterNode, signalUrlOf } from './cluster-node.ts';
import { testKeyspace, testRedisUrl } from './testing/keyspace.ts';

const SECRET = 'a-cluster-secret-of-at-least-32-characters';
const APP = 1400000001;
const log = createLogger('silent');

let keyspace: Awaited<ReturnType<typeof testKeyspace>>;
const started: ClusterNode[] = [];

beforeEach(async () => {
  keyspace = await testKeyspace();
});
afterEach(async () => {
  for (const node of started.splice(0)) await node.close().catch(() => undefined);
  await keyspace.cleanup();
});
after(() => undefined);

async function node(id: string, region: string, regions: Record<number, string> = {}) {
  const rooms = new RoomDirectory();
  const n = await ClusterNode.start({
    redisUrl: testRedisUrl(),
    nodeId: id,
    region,
    publicUrl: `http://127.0.0.1:${10000 + started.length}`,
    secret: SECRET,
    keyPrefix: keyspace.prefix,
    rooms,
    workers: () => 1,
    regionOf: (sdkAppId) => Promise.resolve(regions[sdkAppId]),
    log,
    heartbeatMs: 200,
    leaseMs: 1_500,
  });
  started.push(n);
  return { node: n, rooms };
}

let sessions = 0;
function fill(rooms: RoomDirectory, key: RoomKey, users: number): void {
  for (let i = 0; i < users; i++)
    rooms.admit({
      key,
      userId: `u${++sessions}`,
      role: 'anchor',
      scene: 'rtc',
      sessionId: `s${sessions}`,
      privilegeControl: false,
    });
}

async function redirectOf(n: ClusterNode, key: RoomKey, userId = 'bob'): Promise<ClusterRedirect | 'local'> {
  try {
    await n.admit({ sdkAppId: key.sdkAppId, userId, key });
    return 'local';
  } catch (err) {
    assert.ok(err instanceof ConclaveError);
    assert.equal(err.code, 'CLUSTER_REDIRECT', err.message);
    return err.details as unknown as ClusterRedirect;
  }
}

describe('cluster node registry', () => {
  test('sees every node with its load; a node that goes silent is dead within three heartbeats', async () => {
    const a = await node('a', 'eu');
    const b = await node('b', 'eu');
    fill(b.rooms, { sdkAppId: APP, roomId: 1 }, 3);
    await b.node.registry.beat();
    const live = await a.node.liveNodes();
    assert.deepEqual(live.map((n) => n.id).sort(), ['a', 'b']);
    assert.deepEqual(
      { ...live.find((n) => n.id === 'b')?.load, cpu: 0 },
      { participants: 3, rooms: 1, workers: 1, cpu: 0 },
    );
    // "Kill" b: its connection to Redis is gone, so its heartbeats stop without a goodbye.
    b.node.redis.disconnect();
    const silentSince = Date.now();
    while ((await a.node.liveNodes()).some((n) => n.id === 'b')) await sleep(50);
    const deadAfter = Date.now() - silentSince;
    assert.ok(deadAfter <= b.node.registry.deadAfterMs + 300, `dead after ${deadAfter} ms`);
    // A graceful close leaves at once.
    const c = await node('c', 'eu');
    await c.node.close();
    assert.deepEqual(
      (await a.node.liveNodes()).map((n) => n.id),
      ['a'],
    );
  });

  test('a node process killed with SIGKILL is dead within the bound (3 heartbeats of 1 s)', async () => {
    const a = await node('a', 'eu');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./testing/node-process.ts', import.meta.url))],
      {
        env: { ...process.env, REDIS_URL: testRedisUrl(), KEY_PREFIX: keyspace.prefix, NODE_ID: 'proc' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`node process exited with ${code}`)));
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      });
      assert.ok((await a.node.liveNodes()).some((n) => n.id === 'proc'));
      child.kill('SIGKILL');
      const killedAt = Date.now();
      while ((await a.node.liveNodes()).some((n) => n.id === 'proc')) await sleep(50);
      const silence = Date.now() - killedAt;
      assert.ok(silence <= 3_000 + 300, `dead ${silence} ms after the kill`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('room placement', () => {
  test("places a new room on the least-loaded live node of the app's region, else anywhere; never on a draining one", async () => {
    const regions = { [APP]: 'eu', [APP + 1]: 'asia' };
    const a = await node('a', 'eu', regions);
    const b = await node('b', 'eu', regions);
    const c = await node('c', 'us', regions);
    fill(a.rooms, { sdkAppId: 9, roomId: 1 }, 5);
    fill(b.rooms, { sdkAppId: 9, roomId: 2 }, 1);
    await Promise.all([a, b, c].map((x) => x.node.registry.beat()));

    const euRoom = { sdkAppId: APP, roomId: 100 };
    const redirect = await redirectOf(c.node, euRoom);
    assert.notEqual(redirect, 'local');
    assert.equal((redirect as ClusterRedirect).nodeId, 'b', 'eu app, b is the lighter eu node');
    assert.equal((redirect as ClusterRedirect).url, signalUrlOf('http://127.0.0.1:10001'));
    assert.equal(await a.node.placement.owner(roomKeyString(euRoom)), 'b');
    // The placement holds: every node sends this room's joins to b.
    assert.equal(((await redirectOf(a.node, euRoom)) as ClusterRedirect).nodeId, 'b');
    assert.equal(await redirectOf(b.node, euRoom), 'local');

    // No node in the app's region: the least loaded anywhere (c, empty).
    assert.equal(await redirectOf(c.node, { sdkAppId: APP + 1, roomId: 1 }), 'local');

    await b.node.drain();
    const next = await redirectOf(c.node, { sdkAppId: APP, roomId: 101 });
    assert.equal((next as ClusterRedirect).nodeId, 'a', 'b is draining');
    await a.node.drain();
    assert.equal(await redirectOf(c.node, { sdkAppId: APP, roomId: 102 }), 'local', 'only c takes rooms now');
  });

  test('the serving node renews its lease while the room lives and releases it when the room closes', async () => {
    const a = await node('a', 'eu');
    const key = { sdkAppId: APP, roomId: 7 };
    assert.equal(await redirectOf(a.node, key), 'local');
    fill(a.rooms, key, 1);
    await sleep(a.node.placement.leaseMs * 1.5);
    assert.equal(await a.node.placement.owner(roomKeyString(key)), 'a', 'renewed past its lifetime');
    const room = a.rooms.getRoom(key);
    assert.ok(room);
    for (const p of [...room.participants()]) a.rooms.leave(p, 'left');
    await sleep(100);
    assert.equal(await a.node.placement.owner(roomKeyString(key)), null);
  });

  test("a dead node's lease is taken over by the next placement", async () => {
    const a = await node('a', 'eu');
    const b = await node('b', 'eu');
    const key = { sdkAppId: APP, roomId: 8 };
    fill(b.rooms, { sdkAppId: 9, roomId: 9 }, 2); // a is lighter
    await b.node.registry.beat();
    assert.equal(await redirectOf(a.node, key), 'local');
    fill(a.rooms, key, 1);
    a.node.redis.disconnect(); // a dies (its lease is still there)
    while ((await b.node.liveNodes()).some((n) => n.id === 'a')) await sleep(50);
    assert.equal(await b.node.placement.owner(roomKeyString(key)), 'a');
    assert.equal(await redirectOf(b.node, key), 'local');
    assert.equal(await b.node.placement.owner(roomKeyString(key)), 'b');
  });

  test('Redis away: rooms served here keep admitting, a new room is refused with CLUSTER_UNAVAILABLE, and it recovers', async () => {
    const a = await node('a', 'eu');
    const key = { sdkAppId: APP, roomId: 11 };
    assert.equal(await redirectOf(a.node, key), 'local');
    fill(a.rooms, key, 1);
    a.node.redis.disconnect();
    assert.equal(await redirectOf(a.node, key, 'carol'), 'local');
    await assert.rejects(
      a.node.admit({ sdkAppId: APP, userId: 'dave', key: { sdkAppId: APP, roomId: 12 } }),
      (err: unknown) => err instanceof ConclaveError && err.code === 'CLUSTER_UNAVAILABLE',
    );
    while (a.node.redis.status !== 'end') await sleep(10);
    await a.node.redis.connect();
    assert.equal(await redirectOf(a.node, { sdkAppId: APP, roomId: 12 }, 'dave'), 'local');
  });

  test('runExclusive runs a job on one node at a time', async () => {
    const a = await node('a', 'eu');
    const b = await node('b', 'eu');
    let running = 0;
    let most = 0;
    let runs = 0;
    const job = async () => {
      running++;
      runs++;
      most = Math.max(most, running);
      await sleep(100);
      running--;
    };
    const results = await Promise.all([
      a.node.runExclusive('retention', 10_000, job),
      b.node.runExclusive('retention', 10_000, job),
    ]);
    assert.deepEqual(results.sort(), [false, true]);
    assert.equal(most, 1);
    assert.equal(await b.node.runExclusive('retention', 10_000, job), true, 'released after the run');
    assert.equal(runs, 2);
  });
});
