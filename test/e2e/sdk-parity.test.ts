/**
 * TRTC Web SDK v5 parity (issue 13 item 3), two Chromium pages on one SFU whose media path runs through a
 * packet-dropping UDP relay (lossy-relay.ts):
 *  - AUDIO_VOLUME names the speaking participant (the fake microphone's tone) and not the silent one;
 *  - NETWORK_QUALITY arrives every 2 s, worsens when the relay drops packets, and recovers when it stops;
 *  - getVideoSnapshot returns a PNG of the local and of a remote video;
 *  - a profile change reaches the encoder; PUBLISH_STATE_CHANGED carries mediaType;
 *  - switchRoom moves pages to another room, where the publisher publishes again and the other decodes it.
 * The tests run in order and share the two pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep, startE2E, type ClientPage, type E2E, type LoggedEvent } from './harness.ts';
import { startLossyRelay, type LossyRelay } from './lossy-relay.ts';
import { framesDecoded } from './network.ts';

const ROOM = 9301;
const OTHER_ROOM = 9302;

type Volume = { userId: string; volume: number };
const volumesOf = (e: LoggedEvent) => (e.payload?.['result'] as Volume[] | undefined) ?? [];

/** Width and height from a PNG data URL's IHDR chunk. */
function pngSize(dataUrl: string): { width: number; height: number } {
  const prefix = 'data:image/png;base64,';
  assert.ok(dataUrl.startsWith(prefix), `not a PNG data URL: ${dataUrl.slice(0, 40)}`);
  const bytes = Buffer.from(dataUrl.slice(prefix.length), 'base64');
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The max bitrate of each encoding of the page's senders of one kind. */
function senderMaxBitrates(page: ClientPage, kind: 'audio' | 'video'): Promise<number[]> {
  return page.page.evaluate((k) => {
    type Sender = { track: { kind: string } | null; getParameters(): { encodings?: { maxBitrate?: number }[] } };
    const pcs = (globalThis as unknown as { pcs: { connectionState: string; getSenders(): Sender[] }[] }).pcs;
    const out: number[] = [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      for (const sender of pc.getSenders())
        if (sender.track?.kind === k)
          for (const e of sender.getParameters().encodings ?? []) out.push(e.maxBitrate ?? -1);
    }
    return out;
  }, kind);
}

/** Polls until `check` passes (generous deadline); fails with `describe()`'s view of the last state. */
async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  describeState: () => Promise<unknown> = async () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached within ${timeoutMs} ms ${JSON.stringify(await describeState())}`);
    await sleep(250);
  }
}

describe('TRTC v5 parity: volume, network quality, snapshot, profiles, switchRoom', { timeout: 240_000 }, () => {
  let relay: LossyRelay;
  let e2e: E2E;
  let a: ClientPage;
  let b: ClientPage;

  before(async () => {
    relay = await startLossyRelay();
    e2e = await startE2E({
      media: {
        listenIp: '127.0.0.1',
        announcedAddress: relay.announcedAddress,
        rtcMinPort: relay.rtcMinPort,
        rtcMaxPort: relay.rtcMaxPort,
      },
    });
    a = await e2e.newPage('A');
    b = await e2e.newPage('B');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await e2e?.close();
    await relay?.close();
  });

  const enter = async (page: ClientPage, userId: string, roomId: number) => {
    const entered = await page.invoke('enterRoom', {
      sdkAppId: e2e.test.sdkAppId,
      userId,
      userSig: e2e.userSig(userId),
      roomId,
    });
    assert.equal(entered.ok, true, `${page.name} enterRoom: ${JSON.stringify(entered)}`);
  };

  test('AUDIO_VOLUME reports the speaking participant, not the silent one', async () => {
    await enter(a, 'userA', ROOM);
    await enter(b, 'userB', ROOM);
    // A speaks with the fake microphone (a tone); B publishes a silent WebAudio track.
    assert.equal((await a.invoke('startLocalAudio')).ok, true);
    const silent = await b.call(async (t) => {
      // No DOM types in the Node typecheck: the page's AudioContext, by name.
      type Node = { connect(to: unknown): Node; start?(): void; gain?: { value: number } };
      type Ctx = {
        createMediaStreamDestination(): Node & { stream: { getAudioTracks(): unknown[] } };
        createOscillator(): Node;
        createGain(): Node;
      };
      const context = new (globalThis as unknown as { AudioContext: new () => Ctx }).AudioContext();
      // A running source at zero gain: the track carries real (silent) frames.
      const destination = context.createMediaStreamDestination();
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      gain.gain!.value = 0;
      oscillator.connect(gain).connect(destination);
      oscillator.start!();
      const track = destination.stream.getAudioTracks()[0];
      await (t as { startLocalAudio(c: unknown): Promise<void> }).startLocalAudio({ option: { audioTrack: track } });
    });
    assert.equal(silent.ok, true, JSON.stringify(silent));
    for (const page of [a, b]) assert.equal((await page.invoke('enableAudioVolumeEvaluation', 200)).ok, true);

    // B hears A; A's own (local, userId '') volume shows too.
    await b.waitForEvent(
      'audio-volume',
      (p) => volumesOf({ name: '', at: 0, payload: p }).some((v) => v.userId === 'userA' && v.volume > 0),
      30_000,
    );
    await a.waitForEvent(
      'audio-volume',
      (p) => volumesOf({ name: '', at: 0, payload: p }).some((v) => v.userId === '' && v.volume > 0),
      30_000,
    );
    // A receives B's silent stream: B is listed, at (near) zero, in every report.
    await waitUntil(
      'A lists userB in 10 reports',
      async () => {
        const reports = (await a.events('audio-volume')).filter((e) => volumesOf(e).some((v) => v.userId === 'userB'));
        return reports.length >= 10;
      },
      30_000,
      async () => (await a.events()).slice(-15),
    );
    const ofB = (await a.events('audio-volume')).flatMap((e) => volumesOf(e).filter((v) => v.userId === 'userB'));
    assert.ok(Math.max(...ofB.map((v) => v.volume)) <= 2, `silent userB: ${JSON.stringify(ofB.slice(-10))}`);
    const ofA = (await b.events('audio-volume')).flatMap((e) => volumesOf(e).filter((v) => v.userId === 'userA'));
    assert.ok(Math.max(...ofA.map((v) => v.volume)) > 5, `speaking userA: ${JSON.stringify(ofA.slice(-10))}`);
    // Every volume is an integer 0..100.
    for (const v of [...ofA, ...ofB]) assert.ok(Number.isInteger(v.volume) && v.volume >= 0 && v.volume <= 100);

    // PUBLISH_STATE_CHANGED (v5's mediaType) for the microphone.
    const published = (await a.events('publish-state-changed')).filter((e) => e.payload?.['mediaType'] === 'audio');
    assert.deepEqual(
      published.map((e) => e.payload?.['state']),
      ['starting', 'started'],
    );
    for (const page of [a, b]) assert.equal((await page.invoke('enableAudioVolumeEvaluation', 0)).ok, true);
  });

  test('getVideoSnapshot returns a PNG of the local preview and of a playing remote video', async () => {
    assert.equal((await a.invoke('startLocalVideo', { view: 'local', option: { profile: '480p' } })).ok, true);
    await b.waitForEvent('remote-video-available', (p) => p['userId'] === 'userA');
    assert.equal(
      (await b.invoke('startRemoteVideo', { userId: 'userA', streamType: 'main', view: 'remote' })).ok,
      true,
    );
    await b.waitForStats('B decodes A', (s) => framesDecoded(s) > 10, 30_000);
    await b.waitForEvent('first-video-frame', (p) => p['userId'] === 'userA');

    const remote = await b.invoke<string>('getVideoSnapshot', { userId: 'userA', streamType: 'main' });
    assert.ok(remote.ok, JSON.stringify(remote));
    const remoteSize = pngSize(remote.value);
    assert.ok(remoteSize.width > 0 && remoteSize.height > 0, JSON.stringify(remoteSize));
    assert.ok(remote.value.length > 1000, 'a picture, not an empty canvas');

    await a.waitForEvent('first-video-frame', (p) => p['userId'] === '');
    const local = await a.invoke<string>('getVideoSnapshot');
    assert.ok(local.ok, JSON.stringify(local));
    const localSize = pngSize(local.value);
    assert.ok(localSize.width > 0 && localSize.height > 0, JSON.stringify(localSize));

    // Nothing shown: an empty string; a malformed userId: 5000.
    const none = await b.invoke<string>('getVideoSnapshot', { userId: 'nobody', streamType: 'main' });
    assert.deepEqual(none, { ok: true, value: '' });
    const bad = await b.invoke('getVideoSnapshot', { userId: 'no spaces allowed' });
    assert.equal(bad.ok ? 0 : bad.code, 5000);
  });

  test('updateLocalVideo/updateLocalAudio profiles reach the encoder', async () => {
    assert.ok((await senderMaxBitrates(a, 'video')).includes(900_000), 'the 480p ceiling');
    assert.equal((await a.invoke('updateLocalVideo', { option: { profile: '360p' } })).ok, true);
    await waitUntil('the 360p ceiling (800 kbps) on the camera sender', async () =>
      (await senderMaxBitrates(a, 'video')).includes(800_000),
    );
    assert.equal((await a.invoke('updateLocalAudio', { option: { profile: 'high' } })).ok, true);
    await waitUntil('the high audio ceiling (128 kbps)', async () =>
      (await senderMaxBitrates(a, 'audio')).includes(128_000),
    );
    const unknown = await a.invoke('updateLocalAudio', { option: { profile: 'no-such-profile' } });
    assert.equal(unknown.ok ? 0 : unknown.code, 5000);
    // B still hears and sees A after the microphone was re-captured for the new profile.
    const before = framesDecoded(await b.rtpStats());
    await b.waitForStats('B keeps decoding A', (s) => framesDecoded(s) > before + 10, 30_000);
  });

  test('NETWORK_QUALITY worsens while the path drops packets and recovers after', async (t) => {
    const worst = (events: LoggedEvent[], key: string) => Math.max(...events.map((e) => e.payload?.[key] as number));
    // Clean path (loopback through the relay): excellent or good both ways.
    await a.waitForEvent('network-quality', (p) => p['uplinkNetworkQuality'] === 1 || p['uplinkNetworkQuality'] === 2);
    await b.waitForEvent(
      'network-quality',
      (p) => p['downlinkNetworkQuality'] === 1 || p['downlinkNetworkQuality'] === 2,
    );

    const lossStart = Date.now();
    relay.setLoss(0.3, 0.3);
    // A's uplink (the SFU's receiver reports) and B's downlink (its inbound packets) see the loss.
    const upBad = await a.waitForEvent(
      'network-quality',
      (p) => (p['uplinkNetworkQuality'] as number) >= 4 && (p['uplinkLoss'] as number) >= 10,
      40_000,
    );
    const downBad = await b.waitForEvent(
      'network-quality',
      (p) => (p['downlinkNetworkQuality'] as number) >= 4 && (p['downlinkLoss'] as number) >= 10,
      40_000,
    );
    assert.ok(upBad.at >= lossStart && downBad.at >= lossStart);
    t.diagnostic(`with 30 % loss each way: A ${JSON.stringify(upBad.payload)}; B ${JSON.stringify(downBad.payload)}`);
    t.diagnostic(`relay counters: ${JSON.stringify(relay.counters())}`);
    const during = (await b.events('network-quality')).filter((e) => e.at >= lossStart);
    assert.ok(worst(during, 'downlinkLoss') >= 10);

    relay.setLoss(0, 0);
    const cleanStart = Date.now();
    await a.waitForEvent(
      'network-quality',
      (p) => (p['uplinkNetworkQuality'] as number) <= 2 && (p['uplinkNetworkQuality'] as number) >= 1,
      40_000,
    );
    await b.waitForEvent(
      'network-quality',
      (p) => (p['downlinkNetworkQuality'] as number) <= 2 && (p['downlinkNetworkQuality'] as number) >= 1,
      40_000,
    );
    // Reports came every ~2 s throughout (no timing assertion: just more than one since the path cleared).
    await waitUntil(
      'two reports after recovery',
      async () => (await b.events('network-quality')).filter((e) => e.at >= cleanStart).length >= 2,
    );
  });

  test('switchRoom moves pages to another room, where the other decodes the publisher again', async () => {
    const switchedAt = Date.now();
    // A (publishing camera and microphone) moves first: B sees A leave the room.
    const moved = await a.invoke('switchRoom', { roomId: OTHER_ROOM });
    assert.equal(moved.ok, true, JSON.stringify(moved));
    await b.waitForEvent('remote-user-exit', (p) => p['userId'] === 'userA', 30_000);
    // …and A was told the old room's users are gone before it left (B's microphone, then B).
    const gone = (await a.events())
      .filter((e) => e.at >= switchedAt && e.payload?.['userId'] === 'userB')
      .map((e) => e.name);
    assert.deepEqual(gone.slice(0, 2), ['remote-audio-unavailable', 'remote-user-exit']);
    // The camera is published again in the new room (enterRoom publishes what is captured, not awaited).
    await waitUntil('the camera published again', async () =>
      (await a.events('publish-state-changed')).some(
        (e) => e.at >= switchedAt && e.payload?.['mediaType'] === 'video' && e.payload?.['state'] === 'started',
      ),
    );

    // B follows with a fresh UserSig; it decodes A's video in the new room.
    const followedAt = Date.now();
    const followed = await b.invoke('switchRoom', { roomId: OTHER_ROOM, userSig: e2e.userSig('userB') });
    assert.equal(followed.ok, true, JSON.stringify(followed));
    await waitUntil('a video-available after the switch', async () =>
      (await b.events('remote-video-available')).some((e) => e.at >= followedAt && e.payload?.['userId'] === 'userA'),
    );
    assert.equal(
      (await b.invoke('startRemoteVideo', { userId: 'userA', streamType: 'main', view: 'remote' })).ok,
      true,
    );
    await b.waitForStats('B decodes A in the new room', (s) => framesDecoded(s) > 10, 30_000);
    await a.waitForEvent('remote-user-enter', (p) => p['userId'] === 'userB');
    const states = (await b.events('connection-state-changed')).filter((e) => e.at >= followedAt);
    assert.equal(states.at(-1)?.payload?.['state'], 'CONNECTED');

    // Switching to the room one is in, or without a room: refused with 5100 / 5000.
    const same = await b.invoke('switchRoom', { roomId: OTHER_ROOM });
    assert.equal(same.ok ? 0 : same.code, 5100);
    const noRoom = await b.invoke('switchRoom', {});
    assert.equal(noRoom.ok ? 0 : noRoom.code, 5000);
  });
});
