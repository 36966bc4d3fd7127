/**
 * Abuse at the signaling boundary: pipelined entry requests, floods and invalid messages.
 * Each case was a finding of the security review (issue 17, items 1 and 6).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { CloseCode } from './close-codes.ts';

let t: TestServer;
/** WebRTC transports open on the server's worker(s) right now. */
let openTransports = 0;

before(async () => {
  t = await startTestServer({
    signaling: { messagesPerSecond: 5, messageBurst: 10, resumeGraceSeconds: 1 },
  });
  for (const worker of t.server.workers.workers) {
    worker.observer.on('newrouter', (router) =>
      router.observer.on('newtransport', (transport) => {
        openTransports++;
        transport.observer.once('close', () => openTransports--);
      }),
    );
  }
});
after(() => t.close());

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(condition(), what);
}

describe('one session per connection', () => {
  test('joins pipelined on one socket make one session; the others are refused and nothing is left on close', async () => {
    const c = await SignalTestClient.connect(t.server.url);
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        c.request('join', { sdkAppId: t.sdkAppId, userId: 'ghost', userSig: t.userSig('ghost'), roomId: 8100 + i }),
      ),
    );
    assert.deepEqual(
      answers.map((a) => (a.ok ? 'ok' : a.error?.code)),
      ['ok', 'SIGNAL_ALREADY_JOINED', 'SIGNAL_ALREADY_JOINED', 'SIGNAL_ALREADY_JOINED', 'SIGNAL_ALREADY_JOINED'],
    );
    assert.equal(t.server.conference.sessions.size, 1);
    assert.equal(openTransports, 2, 'one session: a send and a receive transport');
    // A resume pipelined behind the join is refused the same way.
    const resume = await c.request('resume', { resumeToken: 'x'.repeat(43) });
    assert.equal(resume.error?.code, 'SIGNAL_ALREADY_JOINED');

    c.ws.terminate();
    await c.closed;
    // The session without a connection enters the resume grace (1 s here) and is reaped with its ports.
    await until(() => t.server.conference.sessions.size === 0, 'the session is reaped after the grace period');
    await until(() => openTransports === 0, 'every transport is closed');
  });

  test('a join pipelined behind a failing join is still refused (the first entry request decides)', async () => {
    const c = await SignalTestClient.connect(t.server.url);
    const [bad, second] = await Promise.all([
      c.request('join', { sdkAppId: t.sdkAppId, userId: 'x1', userSig: t.userSig('other-user'), roomId: 8200 }),
      c.request('join', { sdkAppId: t.sdkAppId, userId: 'x1', userSig: t.userSig('x1'), roomId: 8201 }),
    ]);
    assert.equal(bad.error?.code, 'USERSIG_USER_MISMATCH');
    assert.equal(second.error?.code, 'SIGNAL_ALREADY_JOINED');
    assert.equal((await c.closed).code, CloseCode.JoinRefused);
    assert.equal(t.server.conference.sessions.size, 0);
  });
});

describe('floods and invalid messages close the connection', () => {
  test('a client that keeps sending into a full rate limit is closed (1008)', async () => {
    const c = await SignalTestClient.connect(t.server.url);
    const join = await c.request('join', {
      sdkAppId: t.sdkAppId,
      userId: 'flooder',
      userSig: t.userSig('flooder'),
      roomId: 8300,
    });
    assert.equal(join.ok, true);
    // Burst 10 + another 10 refused: beyond that the connection is a flood.
    for (let i = 0; i < 60; i++) c.sendRaw(JSON.stringify({ v: 1, id: 100 + i, method: 'heartbeat', data: {} }));
    const closed = await c.closed;
    assert.equal(closed.code, CloseCode.PolicyViolation);
    assert.equal(closed.reason, 'SIGNAL_RATE_LIMITED');
    await until(() => t.server.conference.sessions.size === 0, 'the flooder is removed after the grace');
  });

  test('schema failures count as strikes: ten invalid requests close the connection', async () => {
    const c = await SignalTestClient.connect(t.server.url);
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) {
      // Spaced below the rate limit, so only the strikes can close it.
      codes.push((await c.request('join', { sdkAppId: 'not-a-number' })).error?.code ?? 'ok');
      await new Promise((r) => setTimeout(r, 210));
    }
    assert.deepEqual(new Set(codes), new Set(['SIGNAL_MALFORMED']));
    assert.equal((await c.closed).code, CloseCode.PolicyViolation);
  });
});
