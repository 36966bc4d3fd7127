/**
 * Issue 12 item 2 in real Chromium: two Conclave nodes as their own processes (one cluster on the local Redis
 * under a unique key prefix, one PostgreSQL store), pages entering through node B into a room placed on node A.
 * Node A is killed with SIGKILL mid-call; without any user action both pages reconnect, the room is placed anew
 * on B, A publishes again and B decodes A's video again. Prints the failover time (kill → frames decoded again).
 * The app's callback receiver sees one room: one 101, one 103 per user, and their 104s and the 102 at the end.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { launchPages, sleep, type ClientPage, type Pages } from './harness.ts';
import { LocalCluster } from './local-cluster.ts';
import { framesDecoded, oneWayVideoCall, replayOnReturn } from './network.ts';

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Waits until the page reports CONNECTED after `since` (having been RECONNECTING); returns ms since `since`. */
async function connectedAgain(page: ClientPage, since: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = (await page.events('connection-state-changed')).filter((e) => e.at >= since);
    const back = states.find((e) => e.payload?.['state'] === 'CONNECTED');
    if (back) {
      assert.ok(
        states.some((e) => e.payload?.['state'] === 'RECONNECTING' && e.at <= back.at),
        `${page.name}: CONNECTED again without RECONNECTING first`,
      );
      return back.at - since;
    }
    if (Date.now() > deadline) throw new Error(`${page.name}: not connected again; states: ${JSON.stringify(states)}`);
    await sleep(200);
  }
}

describe('cluster node failure (Chromium, two node processes, Redis, PostgreSQL)', { timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  let pages: Pages | undefined;
  /** `EventType:UserId` of each room callback (group 1) the dev app's receiver got, in arrival order. */
  const roomCallbacks: string[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        EventGroupId: number;
        EventType: number;
        EventInfo: { UserId?: string };
      };
      if (body.EventGroupId === 1) roomCallbacks.push(`${body.EventType}:${body.EventInfo.UserId ?? ''}`);
      res.writeHead(200).end();
    });
  });

  before(async () => {
    cluster = await LocalCluster.create();
    receiver.listen(0, '127.0.0.1');
    await new Promise((r) => receiver.once('listening', r));
    const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
    // One after the other: the first creates the dev app in the shared store (and sets its callback URL).
    await cluster.startNode('node-a', 46000, callbackUrl);
    await cluster.startNode('node-b', 46200);
  });
  after(async () => {
    await pages?.close();
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
    await cluster?.close();
  });

  test("kill -9 of the room's node: both pages are back on the other node with video, no user action", async () => {
    pages = await launchPages(cluster.nodes.get('node-b')!.url);
    // The room is placed on node A up front (its lease written as the first join would write it), so that the
    // entry node B outlives the kill; node A renews the lease once it serves the room.
    const lease = () => cluster.lease(9301);
    await cluster.placeRoom(9301, 'node-a');
    const [anchor, viewer] = await oneWayVideoCall(
      {
        newPage: (name, options) => pages!.newPage(name, options),
        sdkAppId: cluster.devApp.sdkAppId,
        userSig: (userId) => cluster.userSig(userId),
      },
      9301,
      { timeoutMs: 40_000 },
    );
    assert.equal(await lease(), 'node-a', 'the room is served by node A before the kill');

    await until('the entries reported', () => roomCallbacks.length >= 3);
    assert.deepEqual(roomCallbacks, ['101:userA', '103:userA', '103:userB'], 'the room and both entries, from node A');

    // Whichever page is back on node B first sees the other enter anew; B then plays A again, as an app does.
    await replayOnReturn(viewer, 'userA');
    const killedAt = Date.now();
    void cluster.kill('node-a');

    // Each page reconnects by itself: RECONNECTING, then CONNECTED again after the kill.
    const reconnected = await Promise.all([anchor, viewer].map((page) => connectedAgain(page, killedAt)));
    // Then frames flow again: the count grows (the dead node's connections can add nothing).
    const resumed = framesDecoded(await viewer.rtpStats());
    const stats = await viewer
      .waitForStats('B decodes A again on the surviving node', (s) => framesDecoded(s) > resumed + 10, 60_000)
      .catch(async (err: unknown) => {
        // What each SDK saw after the kill, to tell a missed republish from a missed subscription.
        const seen = async (page: ClientPage) =>
          (await page.events())
            .filter((e) => e.at >= killedAt && e.name !== 'statistics' && e.name !== 'network-quality')
            .map((e) => `${e.at - killedAt}ms ${e.name} ${JSON.stringify(e.payload ?? {})}`)
            .slice(-25);
        throw new Error(
          `${String(err)}\nA after the kill: ${(await seen(anchor)).join(' | ')}\nB: ${(await seen(viewer)).join(' | ')}`,
        );
      });
    const failoverMs = Date.now() - killedAt;
    console.log(
      `# node-a killed; B decoding A again on node-b after ${failoverMs} ms (framesDecoded=${framesDecoded(stats)}); ` +
        `pages reconnected after ${reconnected.join(', ')} ms`,
    );
    // Nothing was asked of the user: no error events; the room now lives on node B.
    for (const page of [anchor, viewer]) assert.deepEqual(await page.events('error'), [], `${page.name}: no error`);
    assert.equal(await lease(), 'node-b');
    // Node B continued the room: no second 101, no second entry; leaving ends it once.
    for (const page of [viewer, anchor]) assert.equal((await page.invoke('exitRoom')).ok, true);
    await Promise.all([anchor.close(), viewer.close()]);
    await until(`the room closed (callbacks: ${roomCallbacks.join(', ')})`, () => roomCallbacks.includes('102:'));
    assert.deepEqual(roomCallbacks.slice(0, 3), ['101:userA', '103:userA', '103:userB']);
    assert.deepEqual(
      roomCallbacks.slice(3).sort(),
      ['102:', '104:userA', '104:userB'],
      `one room, each user entered and left once (callbacks: ${roomCallbacks.join(', ')})`,
    );
  });
});
