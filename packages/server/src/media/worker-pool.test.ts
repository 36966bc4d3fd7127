import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createLogger } from '../logger.ts';
import { WorkerPool } from './worker-pool.ts';
import { MEDIA_CODECS } from './codecs.ts';
import { CloseCode } from '../signaling/close-codes.ts';
import { startTestServer } from '../testing/test-server.ts';
import { joinRoom, publish } from '../testing/trtc-client.ts';

const log = createLogger('silent');

test('worker pool starts workers, spreads routers and replaces a killed worker', async () => {
  const pool = await WorkerPool.start({ count: 2, rtcMinPort: 41000, rtcMaxPort: 41999, logLevel: 'error' }, log);
  try {
    assert.equal(pool.workers.length, 2);
    const a = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    const b = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    assert.ok(a.rtpCapabilities.codecs?.some((c) => c.mimeType === 'video/VP8'));
    const pids = new Set((await pool.usage()).map((u) => u.pid));
    assert.equal(pids.size, 2, 'two routers land on two different workers');

    const victim = pool.workers[0]!;
    const died = once(pool, 'workerdied');
    const replaced = once(pool, 'workerreplaced');
    process.kill(victim.pid, 'SIGKILL');
    const [event] = await died;
    assert.equal(event.pid, victim.pid);
    assert.equal(event.routerIds.length, 1, 'the dead worker carried one router');
    assert.ok([a.id, b.id].includes(event.routerIds[0]!));
    const dead = event.routerIds[0] === a.id ? a : b;
    assert.equal(dead.closed, true, 'its router is closed, not left hanging');

    const [{ newPid }] = await replaced;
    assert.notEqual(newPid, victim.pid);
    assert.equal(pool.workers.length, 2);
    const c = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    assert.equal(c.closed, false);
  } finally {
    pool.close();
  }
});

test(
  'a hung worker (SIGSTOP) under a live room is detected by the probe, killed, replaced; rooms work again',
  { timeout: 120_000 },
  async () => {
    const t = await startTestServer({
      media: { workers: 1, workerProbeIntervalMs: 200, workerProbeTimeoutMs: 1_000, workerProbeMisses: 3 },
    });
    const pool = t.server.workers;
    const victim = pool.workers[0]!.pid;
    try {
      const alice = await joinRoom(t, 'alice', { roomId: 9101 });
      await publish(alice.client, alice.answer.sendTransport.id, 'audio', 5555);
      // A healthy worker answers its probes: nothing happens for several intervals.
      const hungEarly = once(pool, 'workerhung').then(() => true);
      const quiet = await Promise.race([hungEarly, new Promise((r) => setTimeout(() => r(false), 1_500))]);
      assert.equal(quiet, false, 'a live worker is not taken for a hung one');

      const hung = once(pool, 'workerhung');
      const died = once(pool, 'workerdied');
      const replaced = once(pool, 'workerreplaced');
      process.kill(victim, 'SIGSTOP');
      const [h] = await hung;
      assert.equal(h.pid, victim);
      assert.ok(h.missed >= 3);
      const [d] = await died;
      assert.equal(d.pid, victim);
      assert.equal(d.routerIds.length, 1, 'the room’s router was on the hung worker');
      // The participant is told and its socket closes, so the SDK rejoins.
      assert.deepEqual(await alice.client.next('mediaReset'), { reason: 'worker_died' });
      assert.equal((await alice.client.closed).code, CloseCode.MediaReset);
      const [{ newPid }] = await replaced;
      assert.notEqual(newPid, victim);
      assert.deepEqual(
        pool.workers.map((w) => w.pid),
        [newPid],
      );

      // A rejoin (new room, new transports) works on the new worker, and a publish through it too.
      const again = await joinRoom(t, 'alice', { roomId: 9101 });
      await publish(again.client, again.answer.sendTransport.id, 'audio', 5556);
      const usage = await pool.usage();
      assert.deepEqual(
        usage.map((u) => [u.pid, u.routers]),
        [[newPid, 1]],
      );
      again.client.close();
      await again.client.closed;
    } finally {
      try {
        process.kill(victim, 'SIGCONT');
      } catch {
        // already gone (killed by the probe): nothing to resume
      }
      await t.close();
    }
  },
);
