/**
 * One app cannot starve all apps (issue 17, item 3): per-app and per-user session quotas, a bound on a
 * session's consumers with one consumer per producer, and quality samples at TRTC's 2 s cadence.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JoinAnswer } from '@conclave/protocol';
import { generateUserSig } from '../auth/index.ts';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { joinRoom, publish } from '../testing/trtc-client.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer({ quotas: { sessionsPerApp: 4, sessionsPerUser: 2, consumersPerSession: 2 } });
});
after(() => t.close());

/** Ends sessions for good (a closed socket would keep its slot through the resume grace, by design). */
async function leave(...clients: SignalTestClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.request('leave').then(() => c.closed)));
}

async function tryJoin(userId: string, roomId: number, app = { sdkAppId: t.sdkAppId, secretKey: t.secretKey }) {
  const client = await SignalTestClient.connect(t.server.url);
  const userSig = generateUserSig({ ...app, userId, expireSeconds: 600 });
  const answer = await client.request('join', { sdkAppId: app.sdkAppId, userId, userSig, roomId });
  return { client, answer };
}

describe('session quotas', () => {
  test('a userId holds at most sessionsPerUser sessions; the next join gets USER_SESSION_LIMIT', async () => {
    const first = await tryJoin('many', 9201);
    const second = await tryJoin('many', 9202);
    const third = await tryJoin('many', 9203);
    assert.equal(first.answer.ok && second.answer.ok, true);
    assert.equal(third.answer.error?.code, 'USER_SESSION_LIMIT');
    // A slot comes back when a session ends.
    await leave(first.client);
    const again = await tryJoin('many', 9204);
    assert.equal(again.answer.ok, true, JSON.stringify(again.answer.error));
    await leave(second.client, again.client);
  });

  test('an app holds at most sessionsPerApp sessions; another app still gets in', async () => {
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await tryJoin(`u${i}`, 9210));
    assert.ok(held.every((h) => h.answer.ok));
    const refused = await tryJoin('u4', 9210);
    assert.equal(refused.answer.error?.code, 'APP_SESSION_LIMIT');
    const { app, secretKey } = await t.server.stores.apps.create({ name: 'other', region: 'default' });
    const other = await tryJoin('u0', 9210, { sdkAppId: app.sdkAppId, secretKey });
    assert.equal(other.answer.ok, true, JSON.stringify(other.answer.error));
    await leave(...[...held, other].map((h) => h.client));
  });
});

describe('consumers and samples', () => {
  test('consuming a producer again replaces the consumer; beyond consumersPerSession → CONSUMER_LIMIT', async () => {
    const pub = await joinRoom(t, 'pub', { roomId: 9220 });
    const producers = [
      await publish(pub.client, pub.answer.sendTransport.id, 'audio', 1111),
      await publish(pub.client, pub.answer.sendTransport.id, 'video', 2222),
    ];
    const pub2 = await joinRoom(t, 'pub2', { roomId: 9220 });
    const third = await publish(pub2.client, pub2.answer.sendTransport.id, 'audio', 3333);
    const sub = await joinRoom(t, 'sub', { roomId: 9220 });
    const caps = (sub.answer as unknown as JoinAnswer).routerRtpCapabilities;
    assert.equal((await sub.client.request('setRtpCapabilities', { rtpCapabilities: caps })).ok, true);
    const session = [...t.server.conference.sessions.values()].find((s) => s.userId === 'sub');
    assert.ok(session);

    const consume = (producerId: string) => sub.client.request('consume', { producerId, small: false });
    const first = await consume(producers[0] as string);
    const again = await consume(producers[0] as string);
    assert.equal(first.ok && again.ok, true, JSON.stringify([first.error, again.error]));
    const firstId = (first.data as { consumerId: string }).consumerId;
    assert.deepEqual(await sub.client.next('consumerClosed'), { consumerId: firstId });
    assert.equal(session.media.consumers.size, 1, 'one consumer per producer per session');
    for (let i = 0; i < 10; i++) await consume(producers[0] as string);
    assert.equal(session.media.consumers.size, 1);

    assert.equal((await consume(producers[1] as string)).ok, true);
    const over = await consume(third);
    assert.equal(over.error?.code, 'CONSUMER_LIMIT');
    assert.equal(session.media.consumers.size, 2);
    await leave(pub.client, pub2.client, sub.client);
  });

  test('quality samples beyond the 2 s cadence get QUALITY_SAMPLE_RATE_LIMITED and are not stored', async () => {
    const { client } = await joinRoom(t, 'sampler', { roomId: 9230 });
    let stored = 0;
    const count = () => stored++;
    t.server.conference.on('qualitysample', count);
    const replies = [];
    for (let i = 0; i < 8; i++)
      replies.push(
        await client.request('qualitySample', {
          ts: Date.now(),
          audioEnabled: true,
          videoEnabled: false,
          audioMuted: false,
          videoMuted: false,
        }),
      );
    t.server.conference.off('qualitysample', count);
    const codes = replies.map((r) => (r.ok ? 'ok' : r.error?.code));
    assert.deepEqual(codes.slice(0, 3), ['ok', 'ok', 'ok'], 'a small burst for timer jitter');
    assert.ok(
      codes.slice(3).every((c) => c === 'QUALITY_SAMPLE_RATE_LIMITED'),
      codes.join(),
    );
    assert.equal(stored, 3);
    await leave(client);
  });
});
