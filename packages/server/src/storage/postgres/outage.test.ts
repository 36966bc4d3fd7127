// PostgreSQL stopped mid-call: a PostgreSQL of the test's own (never the machine's on 5432) holds everything —
// registry, telemetry, callback outbox. While it is down the call goes on (publishing, notifications, leaving),
// telemetry and callback events wait in bounded memory, and after the restart every row arrives and every
// callback is delivered, in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPrivatePostgres, type PrivatePostgres } from '../../testing/private-postgres.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { joinRoom, publish } from '../../testing/trtc-client.ts';
import type { CallbackBody } from '../../callbacks/events.ts';

let pg: PrivatePostgres;
let t: TestServer;
before(async () => {
  pg = await startPrivatePostgres();
  t = await startTestServer({
    storage: { regions: { default: { driver: 'postgres', url: pg.url } } },
    callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true },
  });
});
after(async () => {
  await t?.close();
  await pg?.destroy();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test(
  'PostgreSQL stopped mid-call: the call goes on, telemetry and callbacks are kept and arrive after the restart',
  { timeout: 180_000 },
  async () => {
    const delivered: string[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallbackBody;
        delivered.push(`${body.EventType}:${body.EventInfo.UserId ?? ''}`);
        res.writeHead(200).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await new Promise((r) => receiver.once('listening', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
    const { app, secretKey } = await t.server.stores.apps.create({
      name: 'pg-outage',
      region: 'default',
      callbackUrl: url,
    });
    const as = { sdkAppId: app.sdkAppId, secretKey };
    const store = t.server.stores.region('default');
    const count = async (table: 'backend_logs' | 'user_events') =>
      Number(
        (
          await store.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('sdk_app_id', '=', app.sdkAppId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    try {
      const alice = await joinRoom(t, 'alice', { roomId: 9401 }, as);
      const bob = await joinRoom(t, 'bob', { roomId: 9401 }, as);
      await publish(alice.client, alice.answer.sendTransport.id, 'audio', 8001);
      await until('the first callbacks', () => delivered.length >= 4);
      await store.writer.flush();
      const before = { logs: await count('backend_logs'), events: await count('user_events') };
      assert.deepEqual(before, { logs: 2, events: 3 }, 'two entries; two enter events and one audio start');

      await pg.stop();
      // The call goes on: bob publishes, alice hears of it, bob leaves, alice hears that too.
      await publish(bob.client, bob.answer.sendTransport.id, 'video', 8002);
      assert.equal(((await alice.client.next('streamAdded')) as { userId: string }).userId, 'bob');
      assert.equal((await bob.client.request('leave')).ok, true);
      assert.equal(((await alice.client.next('participantLeft')) as { userId: string }).userId, 'bob');
      await until('callbacks spooled', () => t.server.callbacks.stats().spooled >= 2);
      // Kept in memory: the recorder's writes (the registry read before each fails too) and the callback events.
      await until('telemetry kept', () => t.server.recorder.retained >= 3);
      assert.equal(t.server.recorder.dropped, 0);
      assert.equal(t.server.callbacks.stats().spoolDropped, 0);
      // Operators see it: what waits and what was dropped are on /metrics.
      const metrics = (await t.server.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /^conclave_callback_spooled [2-9]\d*$/m);
      assert.match(metrics, /^conclave_telemetry_retained [1-9]\d*$/m);
      assert.match(metrics, /^conclave_telemetry_dropped 0$/m);
      assert.equal((await t.server.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);

      await pg.start();
      await until(
        'spool and buffers empty',
        () => {
          const s = store.writer.stats();
          return (
            t.server.callbacks.stats().spooled === 0 && s.userEvents.buffered === 0 && s.backendLogs.buffered === 0
          );
        },
        60_000,
      );
      await until('the outage callbacks delivered', () => delivered.includes('104:bob'), 60_000);
      await store.writer.flush();
      assert.equal(await count('backend_logs'), before.logs + 1, 'the exit written during the outage arrived');
      const events = await store.store.db
        .selectFrom('user_events')
        .select(['user_id', 'event_id'])
        .where('sdk_app_id', '=', app.sdkAppId)
        .orderBy('id')
        .execute();
      assert.deepEqual(
        events.slice(before.events).map((e) => `${e.user_id}:${e.event_id}`),
        ['bob:201', 'bob:202', 'bob:104'],
        'video start, video stop and exit from the outage arrived, once each, in order',
      );
      // 203/201 before the outage and during it; leaving sends only 104 (TRTC).
      assert.deepEqual(delivered, ['101:alice', '103:alice', '103:bob', '203:alice', '201:bob', '104:bob']);
      const stats = store.writer.stats();
      assert.equal(stats.userEvents.dropped + stats.backendLogs.dropped, 0, 'nothing dropped');
      alice.client.close();
      bob.client.close();
      await Promise.all([alice.client.closed, bob.client.closed]);
    } finally {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  },
);
