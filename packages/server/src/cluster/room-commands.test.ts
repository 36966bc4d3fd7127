/**
 * The Cloud API from any node (issue 12 item 4): two real Conclave servers in this process, one cluster on the
 * local Redis (a unique key prefix), one shared store. RemoveUser and DismissRoom sent to the node that does not
 * serve the room act on the node that does; Describe* answers from either; commands forged or replayed over
 * Redis do nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { ClusterRedirect } from '@conclave/protocol';
import { loadOrCreateDevKeys } from '../dev-keys.ts';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { rejectsWithTrtcCode, trtcClient, type TrtcClient } from '../testing/trtc-client.ts';
import { testKeyspace, testRedisUrl } from './testing/keyspace.ts';

const SECRET = crypto.randomBytes(24).toString('base64');
let keyspace: Awaited<ReturnType<typeof testKeyspace>>;
let a: TestServer;
let b: TestServer;
let credential: { secretId: string; secretKey: string };

const clusterOf = (nodeId: string) => ({
  cluster: { redisUrl: testRedisUrl(), nodeId, region: 'default', secret: SECRET, keyPrefix: keyspace.prefix },
});

before(async () => {
  keyspace = await testKeyspace();
  a = await startTestServer(clusterOf('node-a'));
  b = await startTestServer(clusterOf('node-b'), { dataDir: a.dataDir });
  const keys = loadOrCreateDevKeys({ dataDir: a.dataDir } as never);
  credential = { secretId: keys.apiSecretId, secretKey: keys.apiSecretKey };
});
after(async () => {
  await b.stop();
  await a.close();
  await keyspace.cleanup();
});

const httpOf = (signalUrl: string) => signalUrl.replace(/^ws/, 'http').replace(/\/signal$/, '');

/** Joins room `roomId` through node A, following a redirect to the node serving it. */
async function enter(userId: string, roomId: number) {
  const attempt = async (url: string, extra: Record<string, unknown> = {}) => {
    const client = await SignalTestClient.connect(url);
    const answer = await client.request('join', {
      sdkAppId: a.sdkAppId,
      userId,
      userSig: a.userSig(userId),
      roomId,
      ...extra,
    });
    return { client, answer };
  };
  let entry = await attempt(a.server.url);
  let serving = a;
  if (entry.answer.error?.code === 'CLUSTER_REDIRECT') {
    const details = (entry.answer.error as unknown as { details: ClusterRedirect }).details;
    serving = details.nodeId === 'node-a' ? a : b;
    entry = await attempt(httpOf(details.url), { clusterTicket: details.ticket });
  }
  assert.equal(entry.answer.ok, true, JSON.stringify(entry.answer.error));
  return { client: entry.client, serving, other: serving === a ? b : a };
}

const api = (node: TestServer): TrtcClient => trtcClient(node.server.url, credential);
const liveUsers = (node: TestServer, roomId: number) =>
  node.server.rooms
    .getRoom({ sdkAppId: a.sdkAppId, roomId })
    ?.participants()
    .map((p) => p.userId) ?? [];

describe('Cloud API from any node', () => {
  test('RemoveUser and DismissRoom sent to the other node act on the serving node', async () => {
    const alice = await enter('alice', 700);
    const bob = await enter('bob', 700);
    assert.equal(bob.serving, alice.serving, 'one room, one node');
    assert.equal(alice.other.server.rooms.roomCount, 0);

    await api(alice.other).request('RemoveUser', { SdkAppId: a.sdkAppId, RoomId: 700, UserIds: ['bob', 'nobody'] });
    assert.equal(((await bob.client.next('kicked')) as { reason: string }).reason, 'kick');
    assert.deepEqual(await alice.client.next('participantLeft'), { userId: 'bob', reason: 'removed' });
    assert.deepEqual(liveUsers(alice.serving, 700), ['alice']);

    await api(alice.other).DismissRoom({ SdkAppId: a.sdkAppId, RoomId: 700 });
    assert.equal(((await alice.client.next('kicked')) as { reason: string }).reason, 'room_disband');
    assert.equal(alice.serving.server.rooms.roomCount, 0);

    // A room no node serves: the same TRTC error from either node.
    for (const node of [a, b])
      await rejectsWithTrtcCode(
        api(node).DismissRoom({ SdkAppId: a.sdkAppId, RoomId: 701 }),
        'FailedOperation.RoomNotExist',
      );
  });

  test('Describe* answers from the node that did not serve the call', async () => {
    const start = Math.floor(Date.now() / 1000) - 5;
    const carol = await enter('carol', 702);
    const reader = api(carol.other);
    let total = 0;
    for (const until = Date.now() + 20_000; total === 0 && Date.now() < until; await sleep(200)) {
      const res = await reader.DescribeRoomInfo({
        SdkAppId: a.sdkAppId,
        StartTime: start,
        EndTime: Math.floor(Date.now() / 1000) + 1,
        RoomId: '702',
      });
      total = res.Total as number;
    }
    assert.equal(total, 1, 'the call served on the other node is listed');
    carol.client.close();
  });

  test('room commands forged or replayed over Redis do nothing', async () => {
    const dave = await enter('dave', 703);
    const erin = await enter('erin', 703);
    const servingId = dave.serving === a ? 'node-a' : 'node-b';
    const channel = `${keyspace.prefix}node:${servingId}:commands`;
    const spy = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await spy.connect();
    const captured: string[] = [];
    const listener = spy.duplicate();
    try {
      await listener.subscribe(channel);
      listener.on('message', (_c: string, message: string) => captured.push(message));

      // A genuine command, captured on its way: RemoveUser of erin through the other node.
      await api(dave.other).request('RemoveUser', { SdkAppId: a.sdkAppId, RoomId: 703, UserIds: ['erin'] });
      assert.equal(((await erin.client.next('kicked')) as { reason: string }).reason, 'kick');
      for (const until = Date.now() + 5_000; captured.length === 0 && Date.now() < until; ) await sleep(20);
      assert.equal(captured.length, 1);
      const genuine = JSON.parse(captured[0] as string) as Record<string, unknown>;

      // Erin is back; the captured command replayed, and versions of it altered or re-sealed with a wrong key.
      const erinAgain = await enter('erin', 703);
      const dismiss = { command: { type: 'dismiss', room: { sdkAppId: a.sdkAppId, roomId: 703 } } };
      const forgedMac = crypto.createHmac('sha256', 'not the secret').update('x').digest('base64url');
      const variants = [
        JSON.stringify(genuine), // replay
        JSON.stringify({ ...genuine, id: crypto.randomUUID() }), // new id, old MAC
        JSON.stringify({ ...genuine, body: dismiss }), // altered body
        JSON.stringify({ ...genuine, id: crypto.randomUUID(), at: Date.now(), body: dismiss, mac: forgedMac }),
        'not json',
        'x'.repeat(64 * 1024),
      ];
      for (const message of variants) await spy.publish(channel, message);
      // A genuine command sent after them is handled: everything before it was read and refused.
      await api(dave.other).request('RemoveUser', { SdkAppId: a.sdkAppId, RoomId: 703, UserIds: ['nobody'] });
      assert.deepEqual(liveUsers(dave.serving, 703).sort(), ['dave', 'erin']);
      erinAgain.client.close();
      dave.client.close();
    } finally {
      listener.disconnect();
      spy.disconnect();
    }
  });
});
