import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JoinAnswer } from '@conclave/protocol';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { CloseCode } from './close-codes.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer({
    signaling: { joinTimeoutMs: 600, messagesPerSecond: 2, messageBurst: 20, resumeGraceSeconds: 1 },
  });
});
after(() => t.close());

async function join(
  userId: string,
  room: { roomId: number } | { strRoomId: string },
  extra: Record<string, unknown> = {},
) {
  const client = await SignalTestClient.connect(t.server.url);
  const answer = await client.request('join', {
    sdkAppId: t.sdkAppId,
    userId,
    userSig: t.userSig(userId),
    ...room,
    ...extra,
  });
  return { client, answer };
}

describe('signaling boundary', () => {
  test('the first message must be a join, sent in time', async () => {
    const early = await SignalTestClient.connect(t.server.url);
    const refused = await early.request('heartbeat');
    assert.equal(refused.error?.code, 'SIGNAL_NOT_JOINED');
    const silent = await SignalTestClient.connect(t.server.url);
    assert.deepEqual(await silent.next('error'), {
      code: 'SIGNAL_JOIN_TIMEOUT',
      message: 'The first message must be a join, sent within a few seconds',
    });
    assert.equal((await silent.closed).code, CloseCode.JoinTimeout);
    early.close();
  });

  test('malformed messages get SIGNAL_MALFORMED, and repeated abuse closes the socket', async () => {
    const c = await SignalTestClient.connect(t.server.url);
    c.sendRaw('{not json');
    assert.equal(((await c.next('error')) as { code: string }).code, 'SIGNAL_MALFORMED');
    const badData = await c.request('join', { sdkAppId: 'x' });
    assert.equal(badData.error?.code, 'SIGNAL_MALFORMED');
    assert.match(badData.error?.message ?? '', /sdkAppId/);
    const unknown = await c.request('selfDestruct', {});
    assert.equal(unknown.error?.code, 'SIGNAL_UNKNOWN_METHOD');
    for (let i = 0; i < 10; i++) c.sendRaw(Buffer.from([0xff, 0x00]));
    assert.equal((await c.closed).code, CloseCode.PolicyViolation);
  });

  test('an oversized message gets SIGNAL_TOO_LARGE and the socket closes with 1009', async () => {
    const c = await SignalTestClient.connect(t.server.url);
    c.sendRaw(JSON.stringify({ v: 1, id: 1, method: 'heartbeat', data: { pad: 'x'.repeat(20_000) } }));
    assert.equal(((await c.next('error')) as { code: string }).code, 'SIGNAL_TOO_LARGE');
    assert.equal((await c.closed).code, CloseCode.TooLarge);
  });

  test('too many messages get SIGNAL_RATE_LIMITED; the session survives', async () => {
    const { client, answer } = await join('ratey', { roomId: 9001 });
    assert.equal(answer.ok, true);
    const replies = await Promise.all(Array.from({ length: 30 }, () => client.request('heartbeat')));
    const limited = replies.filter((r) => r.error?.code === 'SIGNAL_RATE_LIMITED').length;
    assert.ok(limited >= 5, `expected rate limiting, got ${limited} refusals`);
    assert.ok(replies[0]?.ok, 'requests within the burst are answered');
    client.close();
  });
});

describe('joining', () => {
  test('an expired or wrong-app UserSig gets its code, no media, no room state', async () => {
    const c1 = await SignalTestClient.connect(t.server.url);
    const expired = await c1.request('join', {
      sdkAppId: t.sdkAppId,
      userId: 'late',
      userSig: t.userSig('late', { expireSeconds: 10, now: Date.now() - 3600_000 }),
      roomId: 7001,
    });
    assert.equal(expired.error?.code, 'USERSIG_EXPIRED');
    assert.equal((await c1.closed).code, CloseCode.JoinRefused);

    const c2 = await SignalTestClient.connect(t.server.url);
    const wrongApp = await c2.request('join', {
      sdkAppId: 1400099999,
      userId: 'other',
      userSig: t.userSig('other', { sdkAppId: 1400099999 }),
      roomId: 7001,
    });
    assert.equal(wrongApp.error?.code, 'USERSIG_APP_MISMATCH');
    const c3 = await SignalTestClient.connect(t.server.url);
    const wrongKey = await c3.request('join', {
      sdkAppId: t.sdkAppId,
      userId: 'forger',
      userSig: t.userSig('forger', { secretKey: 'not-the-key' }),
      roomId: 7001,
    });
    assert.equal(wrongKey.error?.code, 'USERSIG_BAD_SIGNATURE');
    assert.equal(t.server.rooms.getRoom({ sdkAppId: t.sdkAppId, roomId: 7001 }), undefined);
    const refusedUsers = ['late', 'other', 'forger'];
    assert.equal(
      [...t.server.conference.sessions.values()].some((s) => refusedUsers.includes(s.userId)),
      false,
    );
  });

  test('a join answers with transports and router capabilities; a second join on the socket is refused', async () => {
    const { client, answer } = await join('alice', { roomId: 7002 });
    assert.equal(answer.ok, true);
    const data = answer.data as JoinAnswer;
    assert.ok(data.sendTransport.id && data.recvTransport.id);
    assert.ok(Array.isArray((data.routerRtpCapabilities as { codecs: unknown[] }).codecs));
    assert.ok(data.resumeToken.length >= 32);
    const again = await client.request('join', {
      sdkAppId: t.sdkAppId,
      userId: 'alice',
      userSig: t.userSig('alice'),
      roomId: 7002,
    });
    assert.equal(again.error?.code, 'SIGNAL_ALREADY_JOINED');
    client.close();
  });

  test('numeric room 123 and string room "123" are different rooms', async () => {
    const a = await join('numeric', { roomId: 123 });
    const b = await join('stringy', { strRoomId: '123' });
    assert.deepEqual((b.answer.data as JoinAnswer).participants, []);
    const c = await join('numeric2', { roomId: 123 });
    assert.deepEqual((c.answer.data as JoinAnswer).participants, [{ userId: 'numeric', role: 'anchor' }]);
    assert.deepEqual(await a.client.next('participantJoined'), { userId: 'numeric2', role: 'anchor' });
    assert.equal(
      b.client.history.some((n) => n.notification === 'participantJoined'),
      false,
    );
    for (const x of [a, b, c]) x.client.close();
  });

  test('the same userId entering again kicks the earlier session with reason kick', async () => {
    const first = await join('dup', { roomId: 7003 });
    const watcher = await join('watcher', { roomId: 7003 });
    const second = await join('dup', { roomId: 7003 });
    assert.equal(second.answer.ok, true);
    assert.deepEqual(((await first.client.next('kicked')) as { reason: string }).reason, 'kick');
    assert.equal((await first.client.closed).code, CloseCode.Kicked);
    const ping = await second.client.request('heartbeat');
    assert.equal(ping.ok, true, 'the newcomer works');
    assert.deepEqual(await watcher.client.next('participantLeft'), { userId: 'dup', reason: 'kicked' });
    second.client.close();
    watcher.client.close();
  });

  test('audience cannot publish or send custom messages; anchors reach the room', async () => {
    const anchor = await join('anc', { roomId: 7004 });
    const audience = await join('aud', { roomId: 7004 }, { role: 'audience' });
    const answer = audience.answer.data as JoinAnswer;
    const produce = await audience.client.request('produce', {
      transportId: answer.sendTransport.id,
      kind: 'audio',
      streamType: 'main',
      rtpParameters: { codecs: [] },
    });
    assert.equal(produce.error?.code, 'ROLE_CANNOT_PUBLISH');
    const msg = await audience.client.request('customMessage', {
      cmdId: 1,
      data: Buffer.from('hi').toString('base64'),
    });
    assert.equal(msg.error?.code, 'CUSTOM_MESSAGE_FORBIDDEN');
    const sent = await anchor.client.request('customMessage', {
      cmdId: 2,
      data: Buffer.from('hello').toString('base64'),
    });
    assert.equal(sent.ok, true);
    const got = (await audience.client.next('customMessage')) as { userId: string; cmdId: number; data: string };
    assert.deepEqual([got.userId, got.cmdId, Buffer.from(got.data, 'base64').toString()], ['anc', 2, 'hello']);
    assert.equal((await audience.client.request('heartbeat')).ok, true, 'nothing else broke');
    anchor.client.close();
    audience.client.close();
  });
});

describe('token expiry during the session', () => {
  test('a session ends when its UserSig expires (KICKED_OUT), and the others see it leave', async () => {
    const watcher = await join('stays', { roomId: 7201 });
    const c = await SignalTestClient.connect(t.server.url);
    const answer = await c.request('join', {
      sdkAppId: t.sdkAppId,
      userId: 'short',
      userSig: t.userSig('short', { expireSeconds: 1 }),
      roomId: 7201,
    });
    assert.equal(answer.ok, true);
    assert.ok((answer.data as JoinAnswer).expiresAt <= Date.now() + 1000);
    assert.deepEqual(await c.next('kicked'), { reason: 'kick', message: 'the UserSig expired' });
    assert.equal((await c.closed).code, CloseCode.Kicked);
    assert.deepEqual(await watcher.client.next('participantLeft'), { userId: 'short', reason: 'removed' });
    watcher.client.close();
  });
});

describe('reconnection', () => {
  test('a dropped participant resumes its session within the grace period', async () => {
    const a = await join('resumer', { roomId: 7005 });
    const other = await join('stayer', { roomId: 7005 });
    const token = (a.answer.data as JoinAnswer).resumeToken;
    a.client.ws.terminate();
    await a.client.closed;
    const back = await SignalTestClient.connect(t.server.url);
    const resumed = await back.request('resume', { resumeToken: token });
    assert.equal(resumed.ok, true, JSON.stringify(resumed.error));
    assert.deepEqual((resumed.data as JoinAnswer).participants, [{ userId: 'stayer', role: 'anchor' }]);
    assert.equal(
      (resumed.data as JoinAnswer).sendTransport.id,
      (a.answer.data as JoinAnswer).sendTransport.id,
      'same media session',
    );
    const reused = await (await SignalTestClient.connect(t.server.url)).request('resume', { resumeToken: token });
    assert.equal(reused.error?.code, 'SESSION_RESUME_FAILED', 'a resume token works once');
    assert.equal(
      other.client.history.some((n) => n.notification === 'participantLeft'),
      false,
    );
    back.close();
    other.client.close();
  });

  test('after the grace period the dropped participant is removed with reason timeout', async () => {
    const a = await join('vanisher', { roomId: 7006 });
    const other = await join('observer', { roomId: 7006 });
    a.client.ws.terminate();
    assert.deepEqual(await other.client.next('participantLeft'), { userId: 'vanisher', reason: 'timeout' });
    const token = (a.answer.data as JoinAnswer).resumeToken;
    const late = await (await SignalTestClient.connect(t.server.url)).request('resume', { resumeToken: token });
    assert.equal(late.error?.code, 'SESSION_RESUME_FAILED');
    other.client.close();
  });
});

describe('end-to-end encryption support', () => {
  const pub = (n: number) => Buffer.alloc(32, n).toString('base64');

  test('a room created with requireE2ee refuses entrants without E2EE', async () => {
    const a = await join('e2ee-a', { roomId: 7101 }, { e2ee: true, requireE2ee: true, e2eePublicKey: pub(1) });
    assert.equal((a.answer.data as JoinAnswer).e2eeRequired, true);
    const plain = await join('e2ee-plain', { roomId: 7101 });
    assert.equal(plain.answer.error?.code, 'E2EE_REQUIRED');
    const b = await join('e2ee-b', { roomId: 7101 }, { e2ee: true, e2eePublicKey: pub(2) });
    assert.deepEqual((b.answer.data as JoinAnswer).participants, [
      { userId: 'e2ee-a', role: 'anchor', e2eePublicKey: pub(1) },
    ]);
    assert.deepEqual(await a.client.next('participantJoined'), {
      userId: 'e2ee-b',
      role: 'anchor',
      e2eePublicKey: pub(2),
    });
    a.client.close();
    b.client.close();
  });

  test('key messages are relayed opaque to one participant, bounded in size', async () => {
    const a = await join('key-a', { roomId: 7102 }, { e2ee: true, e2eePublicKey: pub(3) });
    const b = await join('key-b', { roomId: 7102 }, { e2ee: true, e2eePublicKey: pub(4) });
    const payload = Buffer.from('sealed sender key').toString('base64');
    assert.equal((await a.client.request('e2eeKeyMessage', { to: 'key-b', payload })).ok, true);
    assert.deepEqual(await b.client.next('e2eeKeyMessage'), { from: 'key-a', payload });
    const nobody = await a.client.request('e2eeKeyMessage', { to: 'key-z', payload });
    assert.equal(nobody.error?.code, 'NOT_FOUND');
    const huge = await a.client.request('e2eeKeyMessage', {
      to: 'key-b',
      payload: Buffer.alloc(4000).toString('base64'),
    });
    assert.equal(huge.error?.code, 'SIGNAL_MALFORMED');
    a.client.close();
    b.client.close();
  });

  test('a newcomer can take key messages as soon as the others hear of it, after its join answer', async () => {
    const a = await join('early-a', { roomId: 7103 }, { e2ee: true, e2eePublicKey: pub(5) });
    const bClient = await SignalTestClient.connect(t.server.url);
    const order: string[] = [];
    bClient.ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as { id?: number; notification?: string };
      order.push(m.notification ?? `response:${m.id}`);
    });
    const bJoin = bClient.request('join', {
      sdkAppId: t.sdkAppId,
      userId: 'early-b',
      userSig: t.userSig('early-b'),
      roomId: 7103,
      e2ee: true,
      e2eePublicKey: pub(6),
    });
    await a.client.next('participantJoined');
    const payload = Buffer.from('key for b').toString('base64');
    const sent = await a.client.request('e2eeKeyMessage', { to: 'early-b', payload });
    assert.equal(sent.ok, true, JSON.stringify(sent.error));
    assert.equal((await bJoin).ok, true);
    assert.deepEqual(await bClient.next('e2eeKeyMessage'), { from: 'early-a', payload });
    assert.deepEqual(order.slice(0, 2), ['response:1', 'e2eeKeyMessage']);
    a.client.close();
    bClient.close();
  });

  test('an app that requires E2EE refuses plain entrants and marks its rooms', async () => {
    const { app, secretKey } = await t.server.stores.apps.create({
      name: 'secure',
      region: 'default',
      requireE2ee: true,
    });
    const sign = (userId: string) => t.userSig(userId, { sdkAppId: app.sdkAppId, secretKey });
    const plain = await SignalTestClient.connect(t.server.url);
    const refused = await plain.request('join', { sdkAppId: app.sdkAppId, userId: 'p', userSig: sign('p'), roomId: 1 });
    assert.equal(refused.error?.code, 'E2EE_REQUIRED');
    assert.equal(t.server.rooms.getRoom({ sdkAppId: app.sdkAppId, roomId: 1 }), undefined);
    const enc = await SignalTestClient.connect(t.server.url);
    const ok = await enc.request('join', {
      sdkAppId: app.sdkAppId,
      userId: 'e',
      userSig: sign('e'),
      roomId: 1,
      e2ee: true,
    });
    assert.equal(ok.ok, true, JSON.stringify(ok.error));
    assert.equal((ok.data as JoinAnswer).e2eeRequired, true);
    enc.close();
  });
});
