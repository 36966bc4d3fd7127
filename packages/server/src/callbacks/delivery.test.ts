// Event callbacks end to end: a real server, a scripted call over signaling, real HTTP receivers on loopback
// (allow-listed: by default the callback network policy refuses loopback and plain http).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { operatorWithGrant } from '../testing/operator-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { joinRoom, publish } from '../testing/trtc-client.ts';
import { ConclaveError } from '@conclave/protocol';
import type { CallbackBody } from './events.ts';
import { verifyCallbackSignature } from './signature.ts';

const CALLBACK_KEY = 'cbKey2024';
/** The on-premises configuration these tests' loopback receivers need. */
const LOOPBACK_RECEIVERS = { callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true } };

/** A callback receiver that checks every Sign and answers `failures` 500s before it accepts. */
async function receiver(options: { failures?: number; port?: number } = {}) {
  let failuresLeft = options.failures ?? 0;
  const received: { body: CallbackBody; status: number; headers: http.IncomingHttpHeaders }[] = [];
  const waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      assert.ok(verifyCallbackSignature(CALLBACK_KEY, raw, String(req.headers.sign)), 'every Sign verifies');
      const status = failuresLeft-- > 0 ? 500 : 200;
      received.push({ body: JSON.parse(raw) as CallbackBody, status, headers: req.headers });
      res.writeHead(status).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/trtc/callback`,
    received,
    /** Event types accepted (status 200), in arrival order. */
    delivered: () => received.filter((r) => r.status === 200).map((r) => r.body.EventType),
    async until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        assert.ok(
          Date.now() < deadline,
          `timed out; received ${JSON.stringify(received.map((r) => r.body.EventType))}`,
        );
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function callbackApp(t: TestServer, url: string) {
  return t.server.stores.apps.create({
    name: 'callbacks',
    region: 'default',
    callbackUrl: url,
    callbackKey: CALLBACK_KEY,
  });
}

/** The delivery log as an operator reads it: under an approved grant with the `callbacks` scope. */
async function deliveryLog(t: TestServer, sdkAppId: number) {
  const support = await operatorWithGrant(t.server, sdkAppId, ['callbacks']);
  const res = await support.get(`/admin/apps/${sdkAppId}/callbacks`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.json<{ deliveries: Record<string, unknown>[] }>().deliveries;
}

let t: TestServer;
before(async () => {
  t = await startTestServer(LOOPBACK_RECEIVERS);
});
after(() => t.close());

describe('callback delivery', { concurrency: true }, () => {
  test('a scripted call: 101, 103, 203, 201, 104, 102 in order, each signed; the log shows them delivered', async () => {
    const r = await receiver();
    const { app, secretKey } = await callbackApp(t, r.url);
    const alice = await joinRoom(t, 'alice', { roomId: 8701 }, { sdkAppId: app.sdkAppId, secretKey });
    await publish(alice.client, alice.answer.sendTransport.id, 'audio', 3333);
    await publish(alice.client, alice.answer.sendTransport.id, 'video', 4444);
    assert.equal((await alice.client.request('leave')).ok, true);
    await r.until(() => r.delivered().length >= 6);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing else arrives (TRTC: leaving fires only 104)
    assert.deepEqual(r.delivered(), [101, 103, 203, 201, 104, 102]);
    for (const { body, headers } of r.received) {
      assert.equal(headers['content-type'], 'application/json');
      assert.equal(headers.sdkappid, String(app.sdkAppId));
      assert.equal(body.EventInfo.RoomId, 8701);
      assert.ok(body.CallbackTs >= body.EventInfo.EventMsTs);
      assert.equal(body.EventInfo.EventTs, Math.floor(body.EventInfo.EventMsTs / 1000));
    }
    const [, enter, , , exit] = r.received.map((x) => x.body.EventInfo);
    assert.deepEqual([enter?.UserId, enter?.Role, exit?.Reason], ['alice', 20, 1]);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last attempt's log row
    const log = await deliveryLog(t, app.sdkAppId);
    assert.deepEqual(
      log.map((d) => [d.eventType, d.status, d.attempts, d.lastStatus]),
      [102, 104, 201, 203, 103, 101].map((type) => [type, 'delivered', 1, 200]),
    );
    assert.ok(log.every((d) => typeof d.lastLatencyMs === 'number' && !('body' in d)));
    await r.close();
  });

  test('a receiver that fails twice still gets the event (immediate retry, then 10 s later), in order', async () => {
    const r = await receiver({ failures: 2 });
    const { app, secretKey } = await callbackApp(t, r.url);
    const bob = await joinRoom(t, 'bob', { strRoomId: 'retry-room' }, { sdkAppId: app.sdkAppId, secretKey });
    await r.until(() => r.delivered().length >= 2, 15_000);
    assert.deepEqual(
      r.received.map((x) => [x.body.EventType, x.status]),
      [
        [101, 500],
        [101, 500],
        [101, 200],
        [103, 200],
      ],
    );
    const gap = (r.received[2]?.body.CallbackTs ?? 0) - (r.received[1]?.body.CallbackTs ?? 0);
    assert.ok(gap >= 9_900 && gap < 12_000, `third attempt ${gap} ms after the second`);
    const log = await deliveryLog(t, app.sdkAppId);
    const first = log.find((d) => d.eventType === 101);
    assert.deepEqual([first?.status, first?.attempts, first?.lastStatus], ['delivered', 3, 200]);
    bob.client.close();
    await bob.client.closed;
    await r.close();
  });

  test('a restart delivers what was queued and undelivered before the stop', async () => {
    // A port nobody listens on yet: every attempt of the first server is refused.
    const probe = await receiver();
    const port = probe.port;
    await probe.close();
    const first = await startTestServer(LOOPBACK_RECEIVERS);
    const { app, secretKey } = await callbackApp(first, `http://127.0.0.1:${port}/trtc/callback`);
    const carol = await joinRoom(first, 'carol', { roomId: 8702 }, { sdkAppId: app.sdkAppId, secretKey });
    assert.equal((await carol.client.request('leave')).ok, true);
    for (let i = 0; i < 50; i++) {
      const log = await deliveryLog(first, app.sdkAppId);
      if (log.length === 4 && log.some((d) => (d.attempts as number) > 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = await deliveryLog(first, app.sdkAppId);
    assert.deepEqual(
      before.map((d) => d.status),
      ['pending', 'pending', 'pending', 'pending'],
    );
    assert.match(String(before.at(-1)?.lastError), /ECONNREFUSED/);
    await first.stop();

    const r = await receiver({ port });
    const second = await startTestServer(LOOPBACK_RECEIVERS, { dataDir: first.dataDir });
    try {
      await r.until(() => r.delivered().length >= 4, 5_000);
      assert.deepEqual(r.delivered(), [101, 103, 104, 102]);
    } finally {
      await second.close();
      await r.close();
    }
  });
});

describe('callback network policy', () => {
  test('by default a loopback or plain-http callback URL is refused when it is set', async () => {
    const strict = await startTestServer();
    try {
      for (const url of ['http://127.0.0.1:9/cb', 'https://127.0.0.1:9/cb', 'https://169.254.169.254/cb']) {
        await assert.rejects(
          strict.server.stores.apps.create({ name: 'x', region: 'default', callbackUrl: url }),
          (e: unknown) => e instanceof ConclaveError && e.code === 'APP_INVALID' && /^callbackUrl: /.test(e.message),
          url,
        );
      }
      const { app } = await strict.server.stores.apps.create({ name: 'x', region: 'default' });
      await assert.rejects(
        strict.server.stores.apps.update(app.sdkAppId, { callbackUrl: 'https://localhost/cb' }),
        /callbackUrl: localhost names this machine/,
      );
    } finally {
      await strict.close();
    }
  });

  test('a stored URL the policy now refuses is not delivered: failed at once, with the reason in the log', async () => {
    const r = await receiver();
    const permissive = await startTestServer(LOOPBACK_RECEIVERS);
    const { app, secretKey } = await callbackApp(permissive, r.url);
    await permissive.stop();
    // Plain http stays allowed, so the refusal is the loopback address's.
    const strict = await startTestServer({ callbacks: { allowInsecureHttp: true } }, { dataDir: permissive.dataDir });
    try {
      const dave = await joinRoom(strict, 'dave', { roomId: 8703 }, { sdkAppId: app.sdkAppId, secretKey });
      let log: Record<string, unknown>[] = [];
      for (let i = 0; i < 100 && !(log.length === 2 && log.every((d) => d.status !== 'pending')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        log = await deliveryLog(strict, app.sdkAppId);
      }
      assert.deepEqual(
        log.map((d) => [d.eventType, d.status, d.attempts, d.lastStatus]),
        [
          [103, 'failed', 1, null],
          [101, 'failed', 1, null],
        ],
      );
      for (const d of log)
        assert.match(String(d.lastError), /^CALLBACK_URL_DENIED: 127\.0\.0\.1 is a loopback address/);
      assert.equal(r.received.length, 0);
      dave.client.close();
      await dave.client.closed;
    } finally {
      await strict.close();
      await r.close();
    }
  });
});
