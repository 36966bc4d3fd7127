/**
 * Smoke run of the benchmark tool end to end: a livestream of one publisher to three subscribers for two
 * seconds through Conclave's real signaling, and the same on a bare mediasoup router. Asserts that the numbers
 * exist and agree with each other (packets out ≈ packets in × subscribers), never how fast anything is.
 * Needs ffmpeg (media, made once and cached), cc with libssl-dev and libsrtp2-dev (the media peer).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { measureFloor } from './floor.ts';
import { ensureMedia } from './media/generate.ts';
import { MediaPeer } from './native/media-peer.ts';
import { runScenario, type RunResult } from './run.ts';
import type { ScenarioOptions } from './scenario.ts';
import { BareMediasoup } from './targets/bare-mediasoup.ts';
import { ConclaveTarget } from './targets/conclave.ts';
import type { SystemUnderTest } from './targets/target.ts';

const SCENARIO: ScenarioOptions = {
  scenario: 'livestream',
  publishers: 1,
  subscribers: 3,
  joinRate: 20,
  durationS: 2,
  simulcast: false,
  e2ee: false,
};

let peer: MediaPeer;

before(async () => {
  peer = await MediaPeer.start(await ensureMedia());
});

after(() => peer.close());

async function run(sut: SystemUnderTest): Promise<RunResult> {
  try {
    return await runScenario(sut, peer, SCENARIO, () => {});
  } finally {
    await sut.close();
  }
}

function assertConsistent(r: RunResult): void {
  assert.equal(r.participants, 4);
  assert.equal(r.subscriptions, 6, 'each subscriber receives audio and video');
  assert.ok(r.packetsInPerS > 0, 'the publisher sends');
  assert.ok(r.forwardedPerS > 0, 'the subscribers receive');
  // Without simulcast every subscriber gets every packet the publisher sends.
  assert.ok(
    Math.abs(r.forwardedPerS / (r.packetsInPerS * SCENARIO.subscribers) - 1) < 0.1,
    `forwarded ${r.forwardedPerS} ≈ ${r.packetsInPerS} × ${SCENARIO.subscribers}`,
  );
  assert.ok(Math.abs(r.fanoutConsistency - 1) < 0.1);
  assert.ok(r.cpuTotalCores > 0 && r.cpuUsPerForwardedPacket > 0, 'the SFU process used measurable CPU');
  assert.ok(r.cpu.every((c) => c.rssMiB > 0));
  assert.ok(r.joinMs.p50 > 0 && r.joinMs.p95 >= r.joinMs.p50);
  assert.ok(r.firstPacketMs.p50 > 0, 'every subscriber saw a first packet');
  assert.ok(r.pli >= 1, 'resuming video consumers asks the publisher for a keyframe');
}

test('a livestream through Conclave signaling: counts are non-zero and packets out ≈ in × subscribers', async () => {
  const sut = await ConclaveTarget.start(
    { peer, roomId: 7 },
    { workers: 1, ports: { min: 44000, max: 44199 }, scene: 'live' },
  );
  sut.anchors.add('pub0');
  const r = await run(sut);
  assertConsistent(r);
  // The server runs as its own process: its Node CPU is counted beside the worker's, and adds up to the total.
  assert.deepEqual(
    r.cpu.map((c) => c.role),
    ['worker', 'node'],
  );
  assert.ok(r.workerCores > 0 && r.nodeCores > 0, 'the worker and the Node server both used CPU');
  assert.ok(Math.abs(r.workerCores + r.nodeCores - r.cpuTotalCores) < 1e-9);
});

test('the same load on a bare mediasoup router measures the same way', async () => {
  const r = await run(await BareMediasoup.start({ peer, roomId: 7 }, { min: 44200, max: 44399 }));
  assertConsistent(r);
  assert.equal(r.nodeCores, 0, 'bare mediasoup has no server process');
});

test('the physical floor program reports a cost per packet', async () => {
  const floor = await measureFloor(5000);
  assert.ok(floor.sealUs > 0 && floor.sendUs > 0 && floor.sealSendUs > 0 && floor.sealSendmmsgUs > 0);
});
