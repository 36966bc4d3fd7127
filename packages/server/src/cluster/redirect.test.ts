/**
 * Two real Conclave servers in this process on different ports, one cluster on the local Redis (a unique key
 * prefix), one shared store: a join through the node that does not serve the room is redirected, and the
 * ticket admits it on the serving node once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterRedirect, JoinAnswer } from '@conclave/protocol';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { signTicket } from './ticket.ts';
import { testKeyspace, testRedisUrl } from './testing/keyspace.ts';

const SECRET = crypto.randomBytes(24).toString('base64');
let keyspace: Awaited<ReturnType<typeof testKeyspace>>;
let a: TestServer;
let b: TestServer;

const clusterOf = (nodeId: string) => ({
  cluster: { redisUrl: testRedisUrl(), nodeId, region: 'default', secret: SECRET, keyPrefix: keyspace.prefix },
});

before(async () => {
  keyspace = await testKeyspace();
  a = await startTestServer(clusterOf('node-a'));
  b = await startTestServer(clusterOf('node-b'), { dataDir: a.dataDir });
});
after(async () => {
  await b.stop();
  await a.close();
  await keyspace.cleanup();
});

async function join(url: string, userId: string, roomId: number, extra: Record<string, unknown> = {}) {
  const client = await SignalTestClient.connect(url);
  const answer = await client.request('join', {
    sdkAppId: a.sdkAppId,
    userId,
    userSig: a.userSig(userId),
    roomId,
    ...extra,
  });
  return { client, answer };
}

const httpOf = (signalUrl: string) => signalUrl.replace(/^ws/, 'http').replace(/\/signal$/, '');

/** Joins through node A, following a redirect: the room's first participant, and the node that serves it. */
async function place(userId: string, roomId: number) {
  let entry = await join(a.server.url, userId, roomId);
  let serving = a;
  if (entry.answer.error?.code === 'CLUSTER_REDIRECT') {
    const details = (entry.answer.error as unknown as { details: ClusterRedirect }).details;
    serving = details.nodeId === 'node-a' ? a : b;
    entry = await join(httpOf(details.url), userId, roomId, { clusterTicket: details.ticket });
  }
  assert.equal(entry.answer.ok, true, JSON.stringify(entry.answer.error));
  return { client: entry.client, serving, other: serving === a ? b : a };
}

describe('signaling redirect across nodes', () => {
  test('a join through node B for a room on node A is redirected there and joins with the ticket', async () => {
    const alice = await place('alice', 500);
    const redirected = await join(alice.other.server.url, 'bob', 500);
    assert.equal(redirected.answer.ok, false);
    assert.equal(redirected.answer.error?.code, 'CLUSTER_REDIRECT');
    const details = (redirected.answer.error as unknown as { details: ClusterRedirect }).details;
    assert.equal(details.nodeId, alice.serving === a ? 'node-a' : 'node-b');
    assert.equal(details.url, alice.serving.server.url.replace(/^http/, 'ws') + '/signal');
    await redirected.client.closed;

    const bob = await join(httpOf(details.url), 'bob', 500, {
      clusterTicket: details.ticket,
    });
    assert.equal(bob.answer.ok, true, JSON.stringify(bob.answer.error));
    assert.deepEqual(
      (bob.answer.data as JoinAnswer).participants.map((p) => p.userId),
      ['alice'],
    );
    assert.deepEqual(await alice.client.next('participantJoined'), { userId: 'bob', role: 'anchor' });
    assert.equal(alice.other.server.rooms.roomCount, 0, 'the other node holds nothing of the room');

    // The ticket is single use.
    const again = await join(alice.serving.server.url, 'bob', 500, { clusterTicket: details.ticket });
    assert.equal(again.answer.error?.code, 'CLUSTER_TICKET_REPLAYED');
    alice.client.close();
    bob.client.close();
  });

  test('forged, expired and misdirected tickets are refused with a code; the UserSig is still checked', async () => {
    const owner = await place('olga', 501);
    const { serving, other } = owner;
    const nodeId = serving === a ? 'node-a' : 'node-b';
    const redirect = await join(other.server.url, 'pete', 501);
    const { ticket } = (redirect.answer.error as unknown as { details: ClusterRedirect }).details;

    const forged = signTicket(
      crypto.randomBytes(32),
      { sdkAppId: a.sdkAppId, userId: 'pete', room: `${a.sdkAppId}#501`, node: nodeId },
      Date.now(),
    );
    assert.equal(
      (await join(serving.server.url, 'pete', 501, { clusterTicket: forged })).answer.error?.code,
      'CLUSTER_TICKET_INVALID',
    );
    const key = crypto.createHash('sha256').update(SECRET).digest();
    const expired = signTicket(
      key,
      { sdkAppId: a.sdkAppId, userId: 'pete', room: `${a.sdkAppId}#501`, node: nodeId },
      Date.now() - 60_000,
    );
    assert.equal(
      (await join(serving.server.url, 'pete', 501, { clusterTicket: expired })).answer.error?.code,
      'CLUSTER_TICKET_EXPIRED',
    );
    // Bob's ticket for room 501 presented for another room, and on the wrong node.
    assert.equal(
      (await join(serving.server.url, 'pete', 502, { clusterTicket: ticket })).answer.error?.code,
      'CLUSTER_TICKET_INVALID',
    );
    assert.equal(
      (await join(other.server.url, 'pete', 501, { clusterTicket: ticket })).answer.error?.code,
      'CLUSTER_TICKET_INVALID',
    );
    // A valid ticket with a bad UserSig admits nobody (and is not used up).
    const badSig = await join(serving.server.url, 'pete', 501, {
      clusterTicket: ticket,
      userSig: a.userSig('pete', { secretKey: 'wrong' }),
    });
    assert.equal(badSig.answer.error?.code, 'USERSIG_BAD_SIGNATURE');
    const ok = await join(serving.server.url, 'pete', 501, { clusterTicket: ticket });
    assert.equal(ok.answer.ok, true, JSON.stringify(ok.answer.error));
    owner.client.close();
    ok.client.close();
  });

  test('Redis away: a room served here keeps working, a new room is refused with CLUSTER_UNAVAILABLE', async () => {
    const first = await place('rita', 503);
    const node = first.serving;
    const cluster = node.server.cluster;
    assert.ok(cluster);
    cluster.redis.disconnect();
    const second = await join(node.server.url, 'sam', 503);
    assert.equal(second.answer.ok, true, JSON.stringify(second.answer.error));
    const fresh = await join(node.server.url, 'tom', 504);
    assert.equal(fresh.answer.error?.code, 'CLUSTER_UNAVAILABLE');
    while (cluster.redis.status !== 'end') await sleep(10);
    await cluster.redis.connect();
    const later = await join(node.server.url, 'tom', 504);
    assert.ok(later.answer.ok || later.answer.error?.code === 'CLUSTER_REDIRECT', JSON.stringify(later.answer.error));
    for (const c of [first, second, later]) c.client.close();
  });
});
