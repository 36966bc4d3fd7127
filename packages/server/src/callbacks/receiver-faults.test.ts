// A callback receiver that is down, then slow (holds requests past the 5 s timeout), then well: the outbox keeps
// every event, the dispatcher never has more than `callbacks.concurrency` requests open, and after recovery each
// event is delivered exactly once. Real server, real signaling, a real HTTP receiver on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { joinRoom } from '../testing/trtc-client.ts';
import type { CallbackBody } from './events.ts';

const APPS = 6;
const CONCURRENCY = 2;
/** Requests the slow receiver holds unanswered before it recovers. */
const HELD = 4;

let t: TestServer;
before(async () => {
  t = await startTestServer({
    callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true, concurrency: CONCURRENCY },
  });
});
after(() => t.close());

async function freePort(): Promise<number> {
  const s = http.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('receiver down, then slow, then back: rows kept, bounded in flight, everything delivered once', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/cb`;
  const apps = await Promise.all(
    Array.from({ length: APPS }, (_, i) =>
      t.server.stores.apps.create({ name: `faulty-${i}`, region: 'default', callbackUrl: url }),
    ),
  );
  const clients = [];
  for (const [i, { app, secretKey }] of apps.entries())
    clients.push(await joinRoom(t, `u${i}`, { roomId: 9300 + i }, { sdkAppId: app.sdkAppId, secretKey }));
  const log = async (sdkAppId: number) => t.server.callbacks.deliveryLog(sdkAppId, { limit: 100 });

  // Down: nothing listens. Every app's head is tried (and refused) twice; all rows stay pending.
  await until(
    'two refused attempts per app',
    async () => {
      for (const { app } of apps) if (!(await log(app.sdkAppId)).some((d) => d.attempts >= 2)) return false;
      return true;
    },
    30_000,
  );
  for (const { app } of apps) {
    const rows = await log(app.sdkAppId);
    assert.deepEqual(
      rows.map((d) => [d.eventType, d.status]),
      [
        [103, 'pending'],
        [101, 'pending'],
      ],
    );
    assert.match(String(rows.at(-1)?.lastError), /ECONNREFUSED/);
  }

  // Slow, then well: the first HELD requests are held open until the dispatcher gives up on them.
  let open = 0;
  let maxOpen = 0;
  let held = 0;
  const delivered: string[] = [];
  const receiver = http.createServer((req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (held < HELD) {
        held++;
        return; // never answered: the dispatcher's 5 s timeout cuts it
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallbackBody;
      delivered.push(`${req.headers.sdkappid}:${body.EventType}`);
      res.writeHead(200).end();
    });
  });
  receiver.listen(port, '127.0.0.1');
  await new Promise((r) => receiver.once('listening', r));
  try {
    let maxInFlight = 0;
    const sampler = setInterval(() => {
      maxInFlight = Math.max(maxInFlight, t.server.callbacks.stats().inFlight);
    }, 20);
    await until('every event delivered', () => delivered.length >= 2 * APPS, 60_000);
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
    assert.equal(held, HELD, 'the slow phase happened');
    assert.ok(maxOpen <= CONCURRENCY, `at most ${CONCURRENCY} requests open at the receiver, saw ${maxOpen}`);
    assert.equal(maxOpen, CONCURRENCY, 'the bound was reached (the slow phase had more due than the bound)');
    assert.ok(maxInFlight <= CONCURRENCY, `dispatcher in flight ${maxInFlight}`);
    assert.deepEqual(
      [...delivered].sort(),
      apps.flatMap(({ app }) => [`${app.sdkAppId}:101`, `${app.sdkAppId}:103`]).sort(),
      'each event exactly once',
    );
    for (const { app } of apps) {
      const mine = delivered.filter((d) => d.startsWith(`${app.sdkAppId}:`));
      assert.deepEqual(mine, [`${app.sdkAppId}:101`, `${app.sdkAppId}:103`], 'in order per app');
      const rows = await log(app.sdkAppId);
      assert.deepEqual(
        rows.map((d) => d.status),
        ['delivered', 'delivered'],
      );
    }
  } finally {
    for (const c of clients) c.client.close();
    await Promise.all(clients.map((c) => c.client.closed));
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  }
});
