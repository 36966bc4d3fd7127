/**
 * Issue 15's faults with real media flowing. The bench's native WebRTC peer (`packages/bench/native/bench-peer.c`:
 * ICE, DTLS, SRTP) publishes audio and VP8 video into a room through the real signaling, and another session of
 * it receives them, while the test breaks what Conclave depends on: the callback receiver, PostgreSQL, the SQLite
 * disk, a mediasoup worker. Media must keep arriving through each store or receiver fault, the rows and callbacks
 * counted before must all be there after recovery, and a hung worker must be replaced with calls working again.
 * Receivers count SRTP packets; they decode nothing (the browser tests show decoded frames).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { ensureMedia } from '../../packages/bench/src/media/generate.ts';
import { MediaPeer } from '../../packages/bench/src/native/media-peer.ts';
import { ConclaveTarget } from '../../packages/bench/src/targets/conclave.ts';
import type { BenchParticipant } from '../../packages/bench/src/targets/target.ts';
import type { CallbackBody } from '../../packages/server/src/callbacks/events.ts';
import { sql } from 'kysely';
import { ConclaveError } from '../../packages/protocol/src/index.ts';
import { CallbackOutbox } from '../../packages/server/src/callbacks/outbox.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../../packages/server/src/testing/private-postgres.ts';
import { startTestServer, type TestServer } from '../../packages/server/src/testing/test-server.ts';

let peer: MediaPeer;
before(async () => {
  peer = await MediaPeer.start(await ensureMedia());
});
after(() => peer?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface MediaCall {
  target: ConclaveTarget;
  publisher: BenchParticipant;
  subscriber: BenchParticipant;
  /** SRTP packets the subscriber's sessions received so far. */
  received(): Promise<number>;
  /** Packets received over `ms`: media flowing now. */
  flow(ms?: number): Promise<number>;
  leave(): Promise<void>;
}

/** A publisher (audio + video) and a subscriber of both, on bench-peer sessions. */
async function mediaCall(
  t: TestServer,
  roomId: number,
  app: { sdkAppId: number; secretKey: string } = t,
): Promise<MediaCall> {
  const target = ConclaveTarget.attach(t.server, { peer, roomId }, app, 'rtc');
  const publisher = await target.join(`pub_${roomId}`);
  await publisher.publish(['audio', 'video'], false);
  const subscriber = await target.join(`sub_${roomId}`);
  assert.equal(await subscriber.subscribe([publisher.userId]), 2, 'the subscriber receives audio and video');
  const received = async () =>
    (await peer.stats())
      .filter((s) => subscriber.receiveSessions.includes(s.sid))
      .reduce((sum, s) => sum + s.rxPackets, 0);
  const flow = async (ms = 1_500) => {
    const start = await received();
    await sleep(ms);
    return (await received()) - start;
  };
  await until('the first packets', async () => (await received()) > 0, 15_000);
  return {
    target,
    publisher,
    subscriber,
    received,
    flow,
    leave: async () => {
      await subscriber.leave();
      await publisher.leave();
      for (const sid of [...publisher.sendSessions, ...subscriber.receiveSessions]) peer.closeSession(sid);
    },
  };
}

/** About 50 Opus + 70 VP8 packets a second are sent; a flow below this means the call stalled. */
const FLOWING = 60;

/** A callback receiver on loopback that can go down and come back on the same port. */
async function callbackReceiver(): Promise<{
  url: string;
  delivered: string[];
  down(): Promise<void>;
  up(): Promise<void>;
}> {
  const delivered: string[] = [];
  let server: http.Server | undefined;
  let port = 0;
  const up = async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallbackBody;
        delivered.push(`${body.EventType}:${body.EventInfo.UserId ?? ''}`);
        res.writeHead(200).end();
      });
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  };
  const down = async () => {
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
  };
  await up();
  return { url: `http://127.0.0.1:${port}/cb`, delivered, down, up };
}

describe('faults during a call with media flowing (bench-peer, PostgreSQL of the test, SQLite)', () => {
  test(
    'callback receiver down, then PostgreSQL stopped: media keeps flowing; every callback and row arrives after',
    { timeout: 180_000 },
    async () => {
      let pg: PrivatePostgres | undefined;
      let t: TestServer | undefined;
      const receiver = await callbackReceiver();
      try {
        pg = await startPrivatePostgres();
        t = await startTestServer({
          storage: { regions: { default: { driver: 'postgres', url: pg.url } } },
          callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true },
        });
        const { app, secretKey } = await t.server.stores.apps.create({
          name: 'media-faults',
          region: 'default',
          callbackUrl: receiver.url,
        });
        const store = t.server.stores.region('default');
        const events = async () =>
          (
            await store.store.db
              .selectFrom('user_events')
              .select(['user_id', 'event_id'])
              .where('sdk_app_id', '=', app.sdkAppId)
              .orderBy('id')
              .execute()
          ).map((e) => `${e.user_id}:${e.event_id}`);
        const call = await mediaCall(t, 9501, { sdkAppId: app.sdkAppId, secretKey });
        const listener = await ConclaveTarget.attach(
          t.server,
          { peer, roomId: 9501 },
          { sdkAppId: app.sdkAppId, secretKey },
          'rtc',
        ).join('listener');
        assert.equal(await listener.subscribe([call.publisher.userId]), 2);
        await until('the entry callbacks', () => receiver.delivered.filter((d) => d.startsWith('103:')).length === 3);
        assert.ok((await call.flow()) > FLOWING, 'media flows before the faults');

        // 1. The receiver is down: the listener leaves, its exit callback is refused and retried; media goes on.
        await receiver.down();
        await listener.leave();
        await until('the refused exit callback', async () => {
          const log = await t!.server.callbacks.deliveryLog(app.sdkAppId, { limit: 20 });
          return log.some((d) => d.eventType === 104 && d.attempts >= 1 && d.status === 'pending');
        });
        const duringReceiverDown = await call.flow();
        assert.ok(duringReceiverDown > FLOWING, `media flows with the receiver down (${duringReceiverDown} packets)`);
        await receiver.up();
        await until('the exit callback after the retry', () => receiver.delivered.includes('104:listener'), 30_000);

        // 2. PostgreSQL stops: media goes on; the publisher stops its video and starts it again, the events wait.
        await store.writer.flush();
        const rowsBefore = await events();
        await pg.stop();
        const duringPgDown = await call.flow(2_000);
        assert.ok(duringPgDown > FLOWING, `media flows with PostgreSQL down (${duringPgDown} packets)`);
        await call.subscriber.leave();
        await until(
          'the exit kept in memory',
          () => t!.server.recorder.retained >= 1 && t!.server.callbacks.stats().spooled >= 1,
        );
        assert.equal(t.server.recorder.dropped, 0);
        await pg.start();
        await until(
          'spool and buffers empty',
          () => {
            const s = store.writer.stats();
            return t!.server.callbacks.stats().spooled === 0 && s.userEvents.buffered === 0;
          },
          60_000,
        );
        await until(
          'the outage exit delivered',
          () => receiver.delivered.includes(`104:${call.subscriber.userId}`),
          60_000,
        );
        await store.writer.flush();
        assert.deepEqual(
          (await events()).slice(rowsBefore.length),
          [`${call.subscriber.userId}:104`],
          'the exit written during the outage arrived once',
        );
        const stats = store.writer.stats();
        assert.equal(stats.userEvents.dropped + stats.backendLogs.dropped, 0, 'nothing dropped');
        assert.equal(t.server.callbacks.stats().spoolDropped, 0);
        console.log(
          `# packets received in 1.5 s: ${duringReceiverDown} with the callback receiver down, ` +
            `${duringPgDown} in 2 s with PostgreSQL down`,
        );
        await call.leave();
      } finally {
        await receiver.down();
        await t?.close();
        await pg?.destroy();
      }
    },
  );

  test(
    'SQLite full: writes fail with STORE_FULL, media keeps flowing, writes resume with space',
    { timeout: 120_000 },
    async () => {
      const t = await startTestServer();
      try {
        const { store } = t.server.stores.region('default');
        const pragma = async (statement: string) =>
          (await sql.raw(`PRAGMA ${statement}`).execute(store.db)).rows as Record<string, unknown>[];
        const outbox = new CallbackOutbox(store);
        const enqueue = () =>
          outbox.enqueue({ sdkAppId: t.sdkAppId, eventType: 101, userId: 'u', body: 'x'.repeat(8192), at: Date.now() });
        const call = await mediaCall(t, 9502);
        const [{ page_count: pages }] = (await pragma('page_count')) as [{ page_count: number }];
        await pragma(`max_page_count = ${pages}`);
        try {
          let failure: unknown;
          for (let i = 0; i < 10_000 && failure === undefined; i++)
            await enqueue().catch((e: unknown) => (failure = e));
          assert.ok(
            failure instanceof ConclaveError && failure.code === 'STORE_FULL',
            `writes fail with STORE_FULL, got ${String(failure)}`,
          );
          const duringFull = await call.flow();
          assert.ok(duringFull > FLOWING, `media flows with the disk full (${duringFull} packets)`);
        } finally {
          await pragma('max_page_count = 1073741823');
        }
        await enqueue();
        assert.deepEqual(await pragma('quick_check'), [{ quick_check: 'ok' }], 'no corruption');
        assert.ok((await call.flow()) > FLOWING, 'media flows after the disk has space again');
        await call.leave();
      } finally {
        await t.close();
      }
    },
  );

  test(
    'a hung worker under a call with media is detected and replaced; the rejoined call flows again',
    { timeout: 120_000 },
    async () => {
      const t = await startTestServer({
        media: { workers: 1, workerProbeIntervalMs: 200, workerProbeTimeoutMs: 1_000, workerProbeMisses: 3 },
      });
      const pool = t.server.workers;
      const victim = pool.workers[0]!.pid;
      try {
        const call = await mediaCall(t, 9503);
        assert.ok((await call.flow()) > FLOWING);
        const replaced = once(pool, 'workerreplaced');
        process.kill(victim, 'SIGSTOP');
        const stalled = await call.flow(1_000);
        const [{ newPid }] = (await replaced) as [{ newPid: number }];
        assert.notEqual(newPid, victim);
        assert.ok(stalled < FLOWING, `a stopped worker forwards nothing (${stalled} packets)`);
        console.log(`# hung worker ${victim} replaced by ${newPid}; ${stalled} packets in the second after SIGSTOP`);
        await call.leave();
        // What the SDK does after mediaReset: enter again, on the new worker.
        const again = await mediaCall(t, 9503);
        const after = await again.flow();
        assert.ok(after > FLOWING, `media flows on the replacement worker (${after} packets)`);
        await again.leave();
      } finally {
        try {
          process.kill(victim, 'SIGCONT');
        } catch {
          // already gone (killed by the probe)
        }
        await t.close();
      }
    },
  );
});
