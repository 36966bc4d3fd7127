/**
 * Abuse limits on entering (issue 15, item 4): join rates per app and per userId (token buckets), rooms per app
 * and participants per room. Each limit is hit, answered with its code, and shown to leave everyone else alone.
 * Every test uses apps of its own, so the per-app buckets of one test do not leak into another.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateUserSig } from '../auth/index.ts';
import { CloseCode } from '../signaling/close-codes.ts';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let t: TestServer;
before(async () => {
  // One token a minute: within a test (seconds) nothing refills, so only the burst counts.
  t = await startTestServer({
    quotas: { joinsPerMinutePerApp: 1, joinBurstPerApp: 5, joinsPerMinutePerUser: 1, joinBurstPerUser: 2 },
    rooms: { rtcMaxUsers: 2, maxRoomsPerApp: 2 },
  });
});
after(() => t.close());

interface TestApp {
  sdkAppId: number;
  secretKey: string;
}

async function newApp(name: string): Promise<TestApp> {
  const { app, secretKey } = await t.server.stores.apps.create({ name, region: 'default' });
  return { sdkAppId: app.sdkAppId, secretKey };
}

async function tryJoin(app: TestApp, userId: string, roomId: number) {
  const client = await SignalTestClient.connect(t.server.url);
  const userSig = generateUserSig({ ...app, userId, expireSeconds: 600 });
  const answer = await client.request('join', { sdkAppId: app.sdkAppId, userId, userSig, roomId });
  return { client, answer };
}

async function joined(app: TestApp, userId: string, roomId: number): Promise<SignalTestClient> {
  const { client, answer } = await tryJoin(app, userId, roomId);
  assert.equal(answer.ok, true, `${userId} → ${roomId}: ${JSON.stringify(answer.error)}`);
  return client;
}

async function refused(app: TestApp, userId: string, roomId: number, code: string): Promise<void> {
  const { client, answer } = await tryJoin(app, userId, roomId);
  assert.equal(answer.error?.code, code, `${userId} → ${roomId}`);
  assert.equal((await client.closed).code, CloseCode.JoinRefused);
}

/** Ends sessions for good (a closed socket keeps its place through the resume grace). */
async function leave(...clients: SignalTestClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.request('leave').then(() => c.closed)));
}

describe('join rates', () => {
  test('a userId joining beyond its burst gets USER_JOIN_RATE_LIMITED; other users of the app still join', async () => {
    const app = await newApp('user-rate');
    await leave(await joined(app, 'eager', 1));
    await leave(await joined(app, 'eager', 2));
    await refused(app, 'eager', 3, 'USER_JOIN_RATE_LIMITED');
    // The refused join spent nothing of the app's budget: another user still has the app's remaining tokens.
    const other = await joined(app, 'calm', 3);
    // A bad UserSig spends nobody's budget: the next join of `calm` still fits in its burst.
    const forged = await SignalTestClient.connect(t.server.url);
    const bad = await forged.request('join', {
      sdkAppId: app.sdkAppId,
      userId: 'calm',
      userSig: generateUserSig({
        sdkAppId: app.sdkAppId,
        secretKey: 'x'.repeat(64),
        userId: 'calm',
        expireSeconds: 600,
      }),
      roomId: 4,
    });
    assert.equal(bad.error?.code, 'USERSIG_BAD_SIGNATURE');
    await leave(other, await joined(app, 'calm', 4));
  });

  test('an app joining beyond its burst gets APP_JOIN_RATE_LIMITED; another app is unaffected', async () => {
    const busy = await newApp('app-rate');
    const quiet = await newApp('app-rate-quiet');
    const held: SignalTestClient[] = [];
    // Two to a room and at most two rooms: the other limits stay out of the way of five joins.
    for (let i = 0; i < 4; i++) held.push(await joined(busy, `u${i}`, 10 + (i % 2)));
    await leave(held.pop() as SignalTestClient);
    held.push(await joined(busy, 'u4', 11));
    await refused(busy, 'u5', 11, 'APP_JOIN_RATE_LIMITED');
    held.push(await joined(quiet, 'u5', 20));
    await leave(...held);
  });
});

describe('rooms and participants', () => {
  test('an app with maxRoomsPerApp rooms open cannot open another (APP_ROOM_LIMIT) but can enter its own', async () => {
    const app = await newApp('rooms');
    const other = await newApp('rooms-other');
    const a = await joined(app, 'a', 1);
    const b = await joined(app, 'b', 2);
    await refused(app, 'c', 3, 'APP_ROOM_LIMIT');
    assert.equal(t.server.rooms.roomCountOf(app.sdkAppId), 2);
    const d = await joined(app, 'd', 1);
    const elsewhere = await joined(other, 'c', 3);
    // Closing a room makes room for another.
    await leave(b);
    const e = await joined(app, 'e', 3);
    await leave(a, d, elsewhere, e);
    assert.equal(t.server.rooms.roomCountOf(app.sdkAppId), 0);
  });

  test('a full room refuses the next participant with ROOM_FULL; the same user enters another room', async () => {
    const app = await newApp('room-full');
    const a = await joined(app, 'a', 1);
    const b = await joined(app, 'b', 1);
    await refused(app, 'c', 1, 'ROOM_FULL');
    const c = await joined(app, 'c', 2);
    // The full room's participants are untouched.
    assert.equal((await a.request('heartbeat')).ok, true);
    assert.equal((await b.request('heartbeat')).ok, true);
    await leave(a, b, c);
  });
});
