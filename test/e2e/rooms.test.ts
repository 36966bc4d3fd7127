/**
 * Issue 3's browser tests: real Chromium pages running the SDK against a real Conclave server.
 * Each test opens its own pages (never more than four at once) in a fresh room.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep, startE2E, type ClientPage, type E2E, type RtpStats } from './harness.ts';

let e2e: E2E;
let nextRoom = 7000;
const pages: ClientPage[] = [];

before(async () => {
  e2e = await startE2E();
});

after(async () => {
  await e2e?.close();
});

async function open(name: string): Promise<ClientPage> {
  const page = await e2e.newPage(name);
  pages.push(page);
  return page;
}

async function closeAll(): Promise<void> {
  await Promise.all(pages.splice(0).map((p) => p.close()));
}

interface EnterArgs {
  sdkAppId: number;
  userId: string;
  userSig: string;
  roomId?: number;
  strRoomId?: string;
  role?: 'anchor' | 'audience';
}

function enterArgs(
  userId: string,
  room: { roomId: number } | { strRoomId: string },
  extra: Partial<EnterArgs> = {},
): EnterArgs {
  return { sdkAppId: e2e.test.sdkAppId, userId, userSig: e2e.userSig(userId), ...room, ...extra };
}

async function enter(page: ClientPage, args: EnterArgs): Promise<void> {
  const result = await page.call((t, a) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(a), args);
  assert.equal(result.ok, true, `${page.name} enterRoom: ${JSON.stringify(result)}`);
}

async function publishCameraAndMic(page: ClientPage, options: { small?: boolean } = {}): Promise<void> {
  const audio = await page.invoke('startLocalAudio');
  assert.equal(audio.ok, true, `${page.name} startLocalAudio: ${JSON.stringify(audio)}`);
  const video = await page.invoke('startLocalVideo', {
    view: 'local',
    option: { profile: '480p', small: options.small ?? false },
  });
  assert.equal(video.ok, true, `${page.name} startLocalVideo: ${JSON.stringify(video)}`);
}

async function startRemote(page: ClientPage, userId: string, streamType: 'main' | 'sub', small = false): Promise<void> {
  await page.waitForEvent('remote-video-available', (p) => p['userId'] === userId && p['streamType'] === streamType);
  const result = await page.invoke('startRemoteVideo', { userId, streamType, view: 'remote', option: { small } });
  assert.equal(result.ok, true, `${page.name} startRemoteVideo(${userId}, ${streamType}): ${JSON.stringify(result)}`);
}

// mediasoup's bandwidth "probator" is an extra inbound video that never decodes; it is not a remote stream.
const inbound = (stats: RtpStats[], kind: 'audio' | 'video') =>
  stats.filter((s) => s.type === 'inbound-rtp' && s.kind === kind && s.trackIdentifier !== 'probator');
const framesDecoded = (stats: RtpStats[]) => inbound(stats, 'video').reduce((n, s) => n + (s.framesDecoded ?? 0), 0);

describe('rooms end to end (Chromium)', { timeout: 240_000 }, () => {
  test('anchors A and B publish; B and audience C decode A; C cannot publish', async () => {
    const room = { roomId: nextRoom++ };
    const [a, b, c] = await Promise.all([open('A'), open('B'), open('C')]);
    await enter(a, enterArgs('userA', room));
    await publishCameraAndMic(a);
    await enter(b, enterArgs('userB', room));
    await publishCameraAndMic(b);
    await enter(c, enterArgs('userC', room, { role: 'audience' }));

    await startRemote(b, 'userA', 'main');
    await startRemote(c, 'userA', 'main');
    for (const page of [b, c]) {
      const stats = await page.waitForStats(
        "A's video decoded and audio received",
        (s) =>
          framesDecoded(s) > 10 &&
          inbound(s, 'audio').length > 0 &&
          inbound(s, 'audio').every((x) => (x.packetsReceived ?? 0) > 10),
      );
      console.log(
        `# ${page.name}: framesDecoded=${framesDecoded(stats)} audioPackets=${inbound(stats, 'audio')
          .map((x) => x.packetsReceived)
          .join(',')}`,
      );
      // The SDK's own statistics attribute audio to A (so the audio above is A's, not only B's).
      const statistics = await page.waitForEvent('statistics', (p) =>
        ((p['remoteStatistics'] as { userId: string; audio: { bitrate: number } }[]) ?? []).some(
          (r) => r.userId === 'userA' && r.audio.bitrate > 0,
        ),
      );
      assert.ok(statistics);
    }

    const refused = await c.invoke('startLocalVideo', { view: 'local' });
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok);
    assert.equal(refused.code, 5100, refused.message);
    assert.equal(refused.serverCode, 'ROLE_CANNOT_PUBLISH');

    // Nothing else broke: C still decodes A, A and B stay connected, nobody sees a video from C.
    const before = framesDecoded(await c.rtpStats());
    await c.waitForStats('C keeps decoding after the refused publish', (s) => framesDecoded(s) > before + 10);
    for (const page of [a, b]) {
      assert.deepEqual(
        (await page.events('remote-video-available')).filter((e) => e.payload?.['userId'] === 'userC'),
        [],
        `${page.name} saw a video from the audience`,
      );
      const states = await page.events('connection-state-changed');
      assert.equal(states.at(-1)?.payload?.['state'], 'CONNECTED');
    }
    const network = await a.waitForEvent('network-quality');
    assert.ok(typeof network.payload?.['uplinkNetworkQuality'] === 'number');

    // TRTC v5 events. NETWORK_QUALITY: every 2 s, 0–6 each way, with RTT and loss; on loopback no loss.
    const qualities = await b.events('network-quality');
    const lastQuality = (await b.waitForEvent('network-quality', (p) => p['downlinkNetworkQuality'] !== 0)).payload!;
    for (const key of ['uplinkNetworkQuality', 'downlinkNetworkQuality'])
      assert.ok((lastQuality[key] as number) >= 1 && (lastQuality[key] as number) <= 6, `${key} ${lastQuality[key]}`);
    for (const key of ['uplinkRTT', 'downlinkRTT', 'uplinkLoss', 'downlinkLoss'])
      assert.equal(typeof lastQuality[key], 'number', key);
    assert.ok((lastQuality['downlinkLoss'] as number) < 5, `loopback loss ${lastQuality['downlinkLoss']} %`);
    if (qualities.length >= 2) {
      const gap = qualities.at(-1)!.at - qualities.at(-2)!.at;
      assert.ok(gap >= 1500 && gap <= 4000, `NETWORK_QUALITY every ~2 s (${gap} ms)`);
    }
    // FIRST_VIDEO_FRAME of A's camera on B, with its size; PUBLISH_STATE_CHANGED and CONNECTION_STATE_CHANGED on A.
    const firstFrame = await b.waitForEvent('first-video-frame', (p) => p['userId'] === 'userA');
    assert.equal(firstFrame.payload?.['streamType'], 'main');
    assert.ok((firstFrame.payload?.['width'] as number) > 0 && (firstFrame.payload?.['height'] as number) > 0);
    assert.deepEqual(
      (await a.events('publish-state-changed'))
        .filter((e) => e.payload?.['streamType'] === 'main')
        .map((e) => e.payload?.['state']),
      ['starting', 'started'],
    );
    assert.deepEqual(
      (await a.events('connection-state-changed')).map((e) => `${e.payload?.['prevState']}→${e.payload?.['state']}`),
      ['DISCONNECTED→CONNECTING', 'CONNECTING→CONNECTED'],
    );
    // AUDIO_VOLUME after enableAudioVolumeEvaluation: B hears A's (beeping) fake microphone, at the interval asked.
    assert.equal((await b.invoke('enableAudioVolumeEvaluation', 300)).ok, true);
    const volume = await b.waitForEvent('audio-volume', (p) =>
      ((p['result'] as { userId: string; volume: number }[]) ?? []).some((r) => r.userId === 'userA' && r.volume > 0),
    );
    assert.ok(volume);
    let volumes = await b.events('audio-volume');
    for (let i = 0; volumes.length < 2 && i < 50; i++) {
      await sleep(100);
      volumes = await b.events('audio-volume');
    }
    assert.ok(volumes.length >= 2, 'AUDIO_VOLUME keeps coming');
    const volumeGap = volumes.at(-1)!.at - volumes.at(-2)!.at;
    assert.ok(volumeGap < 1000, `AUDIO_VOLUME at the 300 ms interval (${volumeGap} ms)`);
    assert.equal((await b.invoke('enableAudioVolumeEvaluation', 0)).ok, true);
    // VIDEO_SIZE_CHANGED: A switches its camera profile; B's view and A's own preview report the new size.
    assert.equal((await a.invoke('updateLocalVideo', { option: { profile: '240p' } })).ok, true);
    const resized = await b.waitForEvent(
      'video-size-changed',
      (p) => p['userId'] === 'userA' && (p['newWidth'] as number) < 640,
      20_000,
    );
    assert.equal(resized.payload?.['streamType'], 'main');
    assert.ok((resized.payload?.['newHeight'] as number) > 0);
    await a.waitForEvent('video-size-changed', (p) => p['userId'] === '' && (p['newWidth'] as number) < 640);
    await closeAll();
  });

  test('a second page with the same userId kicks the first; the newcomer works', async () => {
    const room = { roomId: nextRoom++ };
    const [a, b] = await Promise.all([open('A'), open('B')]);
    await enter(a, enterArgs('userA', room));
    await enter(b, enterArgs('userB', room));
    await publishCameraAndMic(b);

    const a2 = await open('A-again');
    await enter(a2, enterArgs('userA', room));
    const kicked = await a.waitForEvent('kicked-out');
    assert.equal(kicked.payload?.['reason'], 'kick');
    await a.waitForEvent('connection-state-changed', (p) => p['state'] === 'DISCONNECTED');
    const afterKick = await a.invoke('switchRole', 'audience');
    assert.ok(!afterKick.ok, 'the kicked instance is out of the room');
    assert.equal(afterKick.code, 5100, afterKick.message);

    await startRemote(a2, 'userB', 'main');
    const stats = await a2.waitForStats('the newcomer decodes B', (s) => framesDecoded(s) > 10);
    console.log(`# A-again: framesDecoded=${framesDecoded(stats)}`);
    await closeAll();
  });

  test('an expired, wrong-app or wrongly signed UserSig is refused with a clear code and leaves nothing', async () => {
    const roomId = nextRoom++;
    const page = await open('E');
    const { sdkAppId } = e2e.test;
    const cases = [
      {
        userSig: e2e.userSig('userE', { expireSeconds: 60, now: Date.now() - 3_600_000 }),
        serverCode: 'USERSIG_EXPIRED',
      },
      { userSig: e2e.userSig('userE', { sdkAppId: sdkAppId + 1 }), serverCode: 'USERSIG_APP_MISMATCH' },
      {
        userSig: e2e.userSig('userE', { secretKey: 'not-the-app-secret-key-0123456789abcdef' }),
        serverCode: 'USERSIG_BAD_SIGNATURE',
      },
    ];
    for (const { userSig, serverCode } of cases) {
      const result = await page.call((t, a) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(a), {
        sdkAppId,
        userId: 'userE',
        userSig,
        roomId,
      });
      assert.ok(!result.ok, `${serverCode}: enterRoom should fail`);
      assert.equal(result.code, 5400, result.message);
      assert.equal(result.serverCode, serverCode);
    }
    const pcs = await page.page.evaluate(() => (globalThis as unknown as { pcs: unknown[] }).pcs.length);
    assert.equal(pcs, 0, 'no media connection was created');
    assert.equal(e2e.test.server.rooms.getRoom({ sdkAppId, roomId }), undefined, 'no room left behind');
    const states = (await page.events('connection-state-changed')).map((e) => e.payload?.['state']);
    assert.equal(states.at(-1), 'DISCONNECTED');
    // Bad parameters never reach the server.
    const bad = await page.call((t, a) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(a), {
      sdkAppId,
      userId: 'bad id!',
      userSig: 'x',
      roomId,
    });
    assert.ok(!bad.ok && bad.code === 5000);
    await closeAll();
  });

  test('numeric room 123 and string room "123" do not see each other', async () => {
    const [n1, s1, n2] = await Promise.all([open('num-1'), open('str-1'), open('num-2')]);
    await enter(n1, enterArgs('num1', { roomId: 123 }));
    await n1.invoke('startLocalVideo', { view: 'local' });
    await enter(s1, enterArgs('str1', { strRoomId: '123' }));
    await s1.invoke('startLocalVideo', { view: 'local' });
    await enter(n2, enterArgs('num2', { roomId: 123 }));
    // Positive control: the second numeric-room user is seen, with its video.
    await n1.waitForEvent('remote-user-enter', (p) => p['userId'] === 'num2');
    await n2.waitForEvent('remote-video-available', (p) => p['userId'] === 'num1');
    await sleep(1000);
    for (const page of [n1, n2]) {
      assert.equal(
        (await page.events()).filter((e) => e.payload?.['userId'] === 'str1').length,
        0,
        `${page.name} saw the string room`,
      );
    }
    assert.equal((await s1.events()).filter((e) => String(e.payload?.['userId'] ?? '').startsWith('num')).length, 0);
    await closeAll();
  });

  test('small layer, screen share as sub stream, and custom messages reach B', async () => {
    const room = { strRoomId: `share-${nextRoom++}` };
    const [a, b] = await Promise.all([open('A'), open('B')]);
    await enter(a, enterArgs('userA', room));
    await publishCameraAndMic(a, { small: true });
    await enter(b, enterArgs('userB', room));

    await startRemote(b, 'userA', 'main');
    const big = await b.waitForStats('the big layer (640 wide)', (s) =>
      inbound(s, 'video').some((v) => (v.frameWidth ?? 0) >= 640),
    );
    const bigWidth = Math.max(...inbound(big, 'video').map((v) => v.frameWidth ?? 0));
    const toSmall = await b.invoke('updateRemoteVideo', {
      userId: 'userA',
      streamType: 'main',
      option: { small: true },
    });
    assert.equal(toSmall.ok, true, JSON.stringify(toSmall));
    const small = await b.waitForStats('the small layer', (s) => {
      const v = inbound(s, 'video');
      return v.length === 1 && (v[0]?.frameWidth ?? 0) > 0 && (v[0]?.frameWidth ?? 0) <= 320;
    });
    console.log(`# B main video width: big=${bigWidth} small=${inbound(small, 'video')[0]?.frameWidth}`);

    // Screen share from a canvas (getDisplayMedia needs a user gesture headless).
    const shared = await a.call(async (t) => {
      // Runs in the page; typed structurally because the Node typecheck has no DOM types.
      type Canvas = {
        width: number;
        height: number;
        getContext(kind: '2d'): { fillStyle: string; fillRect(x: number, y: number, w: number, h: number): void };
        captureStream(fps: number): { getVideoTracks(): unknown[] };
      };
      const doc = (globalThis as unknown as { document: { createElement(tag: 'canvas'): Canvas } }).document;
      const canvas = doc.createElement('canvas');
      canvas.width = 800;
      canvas.height = 600;
      const ctx = canvas.getContext('2d');
      let frame = 0;
      setInterval(() => {
        ctx.fillStyle = `hsl(${frame++ % 360} 80% 50%)`;
        ctx.fillRect(0, 0, 800, 600);
      }, 50);
      const track = canvas.captureStream(15).getVideoTracks()[0];
      await (t as { startScreenShare(c: unknown): Promise<void> }).startScreenShare({ option: { videoTrack: track } });
    });
    assert.equal(shared.ok, true, JSON.stringify(shared));
    const tracksBefore = new Set((await b.rtpStats()).map((s) => s.trackIdentifier));
    await startRemote(b, 'userA', 'sub');
    // The sub stream is the new video track showing the 800×600 canvas (a loaded encoder may scale it down).
    const isSub = (v: RtpStats) =>
      !tracksBefore.has(v.trackIdentifier) &&
      (v.framesDecoded ?? 0) > 0 &&
      (v.frameWidth ?? 0) > 0 &&
      (v.frameWidth ?? 0) <= 800 &&
      (v.frameWidth ?? 0) * 3 === (v.frameHeight ?? 0) * 4;
    const sub = await b.waitForStats('the sub stream decoded', (s) => inbound(s, 'video').some(isSub));
    console.log(`# B sub stream: ${JSON.stringify(inbound(sub, 'video').find(isSub))}`);

    const sent = await a.call((t) =>
      (t as { sendCustomMessage(m: unknown): Promise<void> }).sendCustomMessage({
        cmdId: 3,
        data: new Uint8Array([1, 2, 250]).buffer,
      }),
    );
    assert.equal(sent.ok, true, JSON.stringify(sent));
    const message = await b.waitForEvent('custom-message');
    assert.equal(message.payload?.['userId'], 'userA');
    assert.equal(message.payload?.['cmdId'], 3);
    assert.deepEqual(message.payload?.['data'], [1, 2, 250]);
    await closeAll();
  });

  test('killing the media worker under a room: clients reconnect and media flows again', async () => {
    const room = { roomId: nextRoom++ };
    const [a, b] = await Promise.all([open('A'), open('B')]);
    await enter(a, enterArgs('userA', room));
    await publishCameraAndMic(a);
    await enter(b, enterArgs('userB', room));
    await startRemote(b, 'userA', 'main');
    await b.waitForStats('B decodes A before the kill', (s) => framesDecoded(s) > 0);

    const [worker] = e2e.test.server.workers.workers;
    assert.ok(worker, 'a media worker is running');
    const killedAt = Date.now();
    process.kill(worker.pid, 'SIGKILL');

    for (const page of [a, b]) {
      await page.waitForEvent('connection-state-changed', (p) => p['state'] === 'RECONNECTING', 20_000);
      const back = await page
        .waitForEvent('connection-state-changed', (p) => p['state'] === 'CONNECTED' && true, 30_000)
        .catch(() => undefined);
      if (!back) {
        // The other acceptable outcome: a clear error, not a hang.
        const error = await page.waitForEvent('error', () => true, 1000);
        assert.ok(error.payload?.['code'], `${page.name} neither reconnected nor reported an error`);
      }
    }
    // After the rejoin B receives A on the new transports (the old connections are closed).
    // (a loaded machine may take a while to replace the worker: the SDK keeps trying for about 45 s)
    const stats = await b.waitForStats('B decodes A again after the rejoin', (s) => framesDecoded(s) > 10, 60_000);
    console.log(
      `# worker killed; B decoding again after ${Date.now() - killedAt} ms (framesDecoded=${framesDecoded(stats)})`,
    );
    await closeAll();
  });
});
