/**
 * Benchmark (not a test): failover time over repeated kills (issue 12). Two Conclave nodes as their own
 * processes (local Redis, a PostgreSQL database of the run's own); two Chromium pages enter through node B into
 * a room placed on node A — A publishes its fake camera, B shows it. Node A is killed with SIGKILL; the time
 * from the kill until B decodes A's video again (frames growing on the surviving node) is one sample, and so is
 * the time until each page reports CONNECTED again. Node A is then started again and the next round uses a new
 * room. Prints each round and p50/p95 at the end.
 *   node --import tsx test/e2e/bench/failover.bench.ts [kills=10]
 */
import { launchPages, sleep, type ClientPage } from '../harness.ts';
import { LocalCluster } from '../local-cluster.ts';
import { framesDecoded, oneWayVideoCall, replayOnReturn } from '../network.ts';

const KILLS = Number(process.argv[2] ?? 10);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function connectedAgain(page: ClientPage, since: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const back = (await page.events('connection-state-changed')).find(
      (e) => e.at >= since && e.payload?.['state'] === 'CONNECTED',
    );
    if (back) return back.at - since;
    await sleep(100);
  }
  throw new Error(`${page.name} did not connect again`);
}

const cluster = await LocalCluster.create();
const pagesOf = new Set<{ close(): Promise<void> }>();
try {
  await cluster.startNode('node-a', 46000);
  const b = await cluster.startNode('node-b', 46200);
  const media: number[] = [];
  const signaling: number[] = [];
  for (let round = 0; round < KILLS; round++) {
    const roomId = 9400 + round;
    if (!cluster.nodes.has('node-a')) await cluster.startNode('node-a', 46000);
    const pages = await launchPages(b.url);
    pagesOf.add(pages);
    await cluster.placeRoom(roomId, 'node-a');
    const [anchor, viewer] = await oneWayVideoCall(
      {
        newPage: (name, options) => pages.newPage(name, options),
        sdkAppId: cluster.devApp.sdkAppId,
        userSig: (userId) => cluster.userSig(userId),
      },
      roomId,
      { timeoutMs: 40_000 },
    );
    if ((await cluster.lease(roomId)) !== 'node-a') throw new Error('the room is not on node A');
    await replayOnReturn(viewer, 'userA');
    const killedAt = Date.now();
    const killed = cluster.kill('node-a');
    const reconnected = await Promise.all([anchor, viewer].map((p) => connectedAgain(p, killedAt)));
    const before = framesDecoded(await viewer.rtpStats());
    await viewer.waitForStats('B decodes A again', (s) => framesDecoded(s) > before + 10, 60_000);
    const ms = Date.now() - killedAt;
    await killed;
    media.push(ms);
    signaling.push(...reconnected);
    console.log(
      `round ${round + 1}/${KILLS}: media back after ${ms} ms; pages connected after ${reconnected.join(', ')} ms`,
    );
    await pages.close();
    pagesOf.delete(pages);
  }
  console.log(
    `failover over ${KILLS} kills: kill → frames decoded again p50 ${percentile(media, 50)} ms, p95 ` +
      `${percentile(media, 95)} ms; kill → CONNECTED p50 ${percentile(signaling, 50)} ms, p95 ${percentile(signaling, 95)} ms`,
  );
} finally {
  for (const pages of pagesOf) await pages.close().catch(() => undefined);
  await cluster.close();
}
