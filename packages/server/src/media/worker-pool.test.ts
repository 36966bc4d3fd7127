import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createLogger } from '../logger.ts';
import { WorkerPool } from './worker-pool.ts';
import { MEDIA_CODECS } from './codecs.ts';

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
