/**
 * Issue 4's browser tests: end-to-end encrypted rooms with real Chromium pages and a real server.
 * Never more than four pages at once (CPU is scarce); each test uses its own room.
 *
 * Two observation points besides the pages' own stats:
 * - the SFU: a server-side tap (PlainTransport consumer, packages/server/src/testing/media-tap.ts) gets
 *   exactly what the SFU forwards for one producer, decoded by ffmpeg or read as raw RTP payloads;
 * - a page's key state: the test page wraps `Worker.prototype.postMessage` and records every key command
 *   the SDK hands its e2ee worker — everything that page could ever decrypt with. Replaying those commands
 *   into a `FrameCrypto` in Node shows which captured frames that page's keys open.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  decodeTapWithFfmpeg,
  freeUdpPortPair,
  ProducerTap,
  ProducerWatch,
  RtpPayloadCapture,
} from '../../packages/server/src/testing/media-tap.ts';
import { sleep, startE2E, type ClientPage, type E2E, type RtpStats } from './harness.ts';
import { CHECKERBOARD_CAMERA, showsCheckerboard } from './recording-media.ts';

let e2e: E2E;
let producers: ProducerWatch;
let nextRoom = 9400;
const pages: ClientPage[] = [];

before(async () => {
  e2e = await startE2E();
  producers = new ProducerWatch(e2e.test.server.workers);
});

after(async () => {
  await Promise.all(pages.splice(0).map((p) => p.close()));
  await e2e?.close();
});

type E2eeOption = { mode: 'shared'; secret: string } | { mode: 'managed' };

async function open(name: string): Promise<ClientPage> {
  const page = await e2e.newPage(name);
  pages.push(page);
  // Records the key commands the SDK gives its e2ee worker (bigint and bytes made JSON-safe).
  await page.page.evaluate(`(() => {
    window.keyLog = [];
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, ...rest) {
      if (message && message.type === 'key')
        window.keyLog.push(JSON.stringify(message.command, (k, v) =>
          typeof v === 'bigint' ? { bigint: v.toString() } : v instanceof Uint8Array ? { bytes: Array.from(v) } : v));
      return post.call(this, message, ...rest);
    };
  })()`);
  return page;
}

async function close(page: ClientPage): Promise<void> {
  pages.splice(pages.indexOf(page), 1);
  await page.close();
}

async function closeAll(): Promise<void> {
  await Promise.all(pages.splice(0).map((p) => p.close()));
}

async function enter(
  page: ClientPage,
  userId: string,
  roomId: number,
  extra: { e2ee?: E2eeOption; requireE2ee?: boolean } = {},
): Promise<void> {
  const args = { sdkAppId: e2e.test.sdkAppId, userId, userSig: e2e.userSig(userId), roomId, ...extra };
  const result = await page.call((t, a) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(a), args);
  assert.equal(result.ok, true, `${page.name} enterRoom: ${JSON.stringify(result)}`);
}

async function publish(page: ClientPage, options: { profile?: string; small?: boolean; audio?: boolean } = {}) {
  if (options.audio ?? true) {
    const audio = await page.invoke('startLocalAudio');
    assert.equal(audio.ok, true, `${page.name} startLocalAudio: ${JSON.stringify(audio)}`);
  }
  const video = await page.invoke('startLocalVideo', {
    view: 'local',
    option: { profile: options.profile ?? '240p', small: options.small ?? false },
  });
  assert.equal(video.ok, true, `${page.name} startLocalVideo: ${JSON.stringify(video)}`);
}

/** Plays `userId`'s main video in a view of its own. */
async function watch(page: ClientPage, userId: string, small = false): Promise<void> {
  await page.waitForEvent('remote-video-available', (p) => p['userId'] === userId && p['streamType'] === 'main');
  const view = `remote-${userId}`;
  await page.page.evaluate(`(() => {
    const div = document.createElement('div');
    div.id = ${JSON.stringify(view)};
    div.style.width = '160px';
    div.style.height = '120px';
    document.body.appendChild(div);
  })()`);
  const result = await page.invoke('startRemoteVideo', { userId, streamType: 'main', view, option: { small } });
  assert.equal(result.ok, true, `${page.name} startRemoteVideo(${userId}): ${JSON.stringify(result)}`);
}

// mediasoup's bandwidth "probator" is an extra inbound video that never decodes; it is not a remote stream.
const inboundVideo = (stats: RtpStats[]) =>
  stats.filter((s) => s.type === 'inbound-rtp' && s.kind === 'video' && s.trackIdentifier !== 'probator');
const decodedPerStream = (stats: RtpStats[]) => inboundVideo(stats).map((s) => s.framesDecoded ?? 0);
const outboundVideoPlis = (stats: RtpStats[]) =>
  stats
    .filter((s) => s.type === 'outbound-rtp' && s.kind === 'video')
    .reduce((n, s) => n + (s.pliCount ?? 0) + (s.firCount ?? 0), 0);
const inboundVideoPlis = (stats: RtpStats[]) =>
  inboundVideo(stats).reduce((n, s) => n + (s.pliCount ?? 0) + (s.firCount ?? 0), 0);

/**
 * The SDK's frame cryptor, run in Node. Imported by a non-literal specifier so this (Node-typed) program
 * does not type-check the client's WebCrypto code; the local interface is the part used here.
 */
interface FrameCryptoLike {
  apply(command: unknown): Promise<void>;
  decryptFrame(participantId: string, data: ArrayBuffer, codec: string): Promise<{ ok: boolean; reason?: string }>;
}
const FRAME_TRANSFORM_MODULE: string = '../../packages/client/src/e2ee/frame-transform.ts';
const { FrameCrypto } = (await import(FRAME_TRANSFORM_MODULE)) as { FrameCrypto: new () => FrameCryptoLike };

/** The key commands a page's SDK gave its worker so far (KeyCommand objects, revived). */
async function keyCommands(page: ClientPage): Promise<unknown[]> {
  const log = (await page.page.evaluate('window.keyLog')) as string[];
  return log.map(
    (json) =>
      JSON.parse(json, (_k, v: unknown) => {
        if (v && typeof v === 'object' && 'bigint' in v) return BigInt((v as { bigint: string }).bigint);
        if (v && typeof v === 'object' && 'bytes' in v) return Uint8Array.from((v as { bytes: number[] }).bytes);
        return v;
      }) as unknown,
  );
}

/** A FrameCrypto holding every key a page ever had. */
async function cryptoOf(page: ClientPage): Promise<FrameCryptoLike> {
  const crypto = new FrameCrypto();
  for (const command of await keyCommands(page)) await crypto.apply(command);
  return crypto;
}

/** How many of `frames` (Opus frames of `from`) `crypto` decrypts. */
async function decryptable(crypto: FrameCryptoLike, from: string, frames: Buffer[]): Promise<number> {
  let ok = 0;
  const drops = new Map<string, number>();
  for (const frame of frames) {
    const result = await crypto.decryptFrame(from, new Uint8Array(frame).buffer, 'opus');
    if (result.ok) ok++;
    else drops.set(result.reason ?? '?', (drops.get(result.reason ?? '?') ?? 0) + 1);
  }
  if (drops.size > 0) console.log(`# dropped (by reason): ${JSON.stringify(Object.fromEntries(drops))}`);
  return ok;
}

describe('end-to-end encryption (Chromium)', { timeout: 300_000 }, () => {
  test('shared mode: three participants decode each other; a wrong secret decodes nothing and PLIs stay throttled', async () => {
    const roomId = nextRoom++;
    const secret = { mode: 'shared', secret: 'correct horse battery staple' } as const;
    const [a, b, c, w] = await Promise.all([open('A'), open('B'), open('C'), open('W')]);
    await enter(a, 'userA', roomId, { e2ee: secret, requireE2ee: true });
    await enter(b, 'userB', roomId, { e2ee: secret });
    await enter(c, 'userC', roomId, { e2ee: secret });
    // The room requires E2EE: W cannot enter without it, then enters with the wrong secret.
    const plain = await w.call((t, arg) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(arg), {
      sdkAppId: e2e.test.sdkAppId,
      userId: 'userW',
      userSig: e2e.userSig('userW'),
      roomId,
    });
    assert.ok(!plain.ok && plain.code === 5400 && plain.serverCode === 'E2EE_REQUIRED', JSON.stringify(plain));
    await enter(w, 'userW', roomId, { e2ee: { mode: 'shared', secret: 'wrong secret' } });
    for (const p of [a, b, c]) await publish(p);
    const state = await a.waitForEvent('e2ee-state-changed');
    assert.deepEqual(state.payload, { enabled: true, mode: 'shared' });

    const everyone = { A: ['userB', 'userC'], B: ['userA', 'userC'], C: ['userA', 'userB'] } as const;
    for (const [page, others] of [
      [a, everyone.A],
      [b, everyone.B],
      [c, everyone.C],
    ] as const)
      for (const other of others) await watch(page, other);
    for (const other of ['userA', 'userB', 'userC']) await watch(w, other);

    for (const page of [a, b, c]) {
      const stats = await page.waitForStats(
        'both remote videos decoded',
        (s) => decodedPerStream(s).filter((n) => n > 10).length === 2,
        30_000,
      );
      console.log(`# ${page.name}: framesDecoded per remote video = ${decodedPerStream(stats).join(', ')}`);
    }

    // W receives the media but, with the wrong key, decodes none of it. Its decoder keeps asking for
    // keyframes (about 3/s per stream); the SFU passes such requests on to a publisher at most once per
    // keyFrameRequestDelay (500 ms): ≤ 2/s however many receivers ask. Slack of 4 covers the window's edges.
    const before = { a: outboundVideoPlis(await a.rtpStats()), w: inboundVideoPlis(await w.rtpStats()) };
    const windowMs = 10_000;
    await sleep(windowMs);
    const wStats = await w.rtpStats();
    const aPlis = outboundVideoPlis(await a.rtpStats()) - before.a;
    const wPlis = inboundVideoPlis(wStats) - before.w;
    const received = inboundVideo(wStats).map((s) => s.packetsReceived ?? 0);
    console.log(
      `# W: framesDecoded=${decodedPerStream(wStats).join(', ')} packetsReceived=${received.join(', ')}; ` +
        `PLIs in ${windowMs / 1000} s: W sent ${wPlis}, A's encoder got ${aPlis}`,
    );
    assert.equal(inboundVideo(wStats).length, 3, 'W receives the three videos');
    assert.ok(
      received.every((n) => n > 50),
      'the encrypted media reaches W',
    );
    assert.deepEqual(decodedPerStream(wStats), [0, 0, 0], 'W decodes nothing');
    assert.ok(aPlis <= (2 * windowMs) / 1000 + 4, `A got ${aPlis} PLIs in ${windowMs} ms (throttled)`);
    const failed = await w.waitForEvent('e2ee-decryption-failed', (p) => p['userId'] === 'userA');
    assert.ok((failed.payload?.['count'] as number) > 0);
    await closeAll();
  });

  test('managed mode: security codes match, the departed cannot read the future, a newcomer cannot read the past', async () => {
    const roomId = nextRoom++;
    const managed = { e2ee: { mode: 'managed' } } as const;
    const [a, b, c] = await Promise.all([open('A'), open('B'), open('C')]);
    const startedAt = Date.now();
    await enter(a, 'userA', roomId, { ...managed, requireE2ee: true });
    await publish(a);
    const audioA = await producers.waitFor('userA', 'audio', startedAt);
    const extensions = audioA.producer.rtpParameters.headerExtensions?.map((e) => e.uri) ?? [];
    assert.ok(!extensions.includes('urn:ietf:params:rtp-hdrext:ssrc-audio-level'), 'no audio level in E2EE rooms');
    const port = await freeUdpPortPair();
    const capture = await RtpPayloadCapture.listen(port);
    const tap = await ProducerTap.open(audioA.router, audioA.producer, port);
    try {
      await enter(b, 'userB', roomId, managed);
      await publish(b, { audio: false });
      await enter(c, 'userC', roomId, managed);
      await watch(a, 'userB');
      await watch(b, 'userA');
      await watch(c, 'userA');
      await watch(c, 'userB');
      for (const page of [a, b, c]) {
        const expected = page === c ? 2 : 1;
        const stats = await page.waitForStats(
          'remote videos decoded',
          (s) => decodedPerStream(s).filter((n) => n > 10).length === expected,
          30_000,
        );
        console.log(`# ${page.name}: framesDecoded per remote video = ${decodedPerStream(stats).join(', ')}`);
      }

      // Everyone computes the same code over the same three public keys.
      const codes = [];
      for (const page of [a, b, c]) {
        const result = await page.invoke<string>('getSecurityCode');
        assert.ok(result.ok, JSON.stringify(result));
        codes.push(result.value);
        const announced = (await page.events('e2ee-security-code-changed')).at(-1);
        assert.equal(announced?.payload?.['code'], result.value, `${page.name} announced the code it reports`);
      }
      console.log(`# security codes: ${codes.join(' | ')}`);
      assert.match(codes[0]!, /^\d{5}( \d{5}){5}$/);
      assert.equal(new Set(codes).size, 1, 'identical on every page');

      // C leaves. A's frames sent more than 5 s later must not open with any key C ever held.
      const cKeys = await cryptoOf(c);
      const leftAt = Date.now();
      assert.equal((await c.invoke('exitRoom')).ok, true);
      await close(c);
      const lastBefore = capture.packets.filter((p) => p.at < leftAt && p.at > leftAt - 1000).map((p) => p.payload);
      await sleep(7000);
      const after5s = capture.packets.filter((p) => p.at > leftAt + 5000).map((p) => p.payload);
      const openedBefore = await decryptable(cKeys, 'userA', lastBefore);
      const openedAfter = await decryptable(cKeys, 'userA', after5s);
      console.log(
        `# departed C's keys open A's audio frames: ${openedBefore}/${lastBefore.length} in its last second, ` +
          `${openedAfter}/${after5s.length} sent > 5 s after it left`,
      );
      // Control (≥ 90%: a frame or two around a key event may carry a neighbouring KID).
      assert.ok(lastBefore.length > 10 && openedBefore >= lastBefore.length * 0.9, 'control: C could read A before');
      assert.ok(after5s.length > 10, 'A kept sending');
      assert.equal(openedAfter, 0, 'C cannot read what A sends after the rotation');
      const codeAfter = await a.invoke<string>('getSecurityCode');
      assert.ok(codeAfter.ok && codeAfter.value !== codes[0], 'the code changed when C left');

      // D joins. A's frames from before D's arrival must not open with D's keys; later ones do.
      const d = await open('D');
      const joinedAt = Date.now();
      await enter(d, 'userD', roomId, managed);
      await watch(d, 'userA');
      const dStats = await d.waitForStats('D decodes A', (s) => decodedPerStream(s).some((n) => n > 10), 30_000);
      console.log(`# D: framesDecoded = ${decodedPerStream(dStats).join(', ')}`);
      // A switches to the ratcheted key a moment after D's arrival; let that settle so the control window holds
      // only frames D was given the key for, and take D's keys at the end of that window.
      await sleep(2000);
      const snapshotAt = Date.now();
      const dKeys = await cryptoOf(d);
      const beforeD = capture.packets.filter((p) => p.at < joinedAt && p.at > joinedAt - 3000).map((p) => p.payload);
      const sinceD = capture.packets
        .filter((p) => p.at > snapshotAt - 1000 && p.at <= snapshotAt)
        .map((p) => p.payload);
      const openedBeforeD = await decryptable(dKeys, 'userA', beforeD);
      const openedSinceD = await decryptable(dKeys, 'userA', sinceD);
      console.log(
        `# newcomer D's keys open A's audio frames: ${openedBeforeD}/${beforeD.length} from before it joined, ` +
          `${openedSinceD}/${sinceD.length} of the second before its keys were read`,
      );
      assert.ok(sinceD.length > 10 && openedSinceD >= sinceD.length * 0.9, 'control: D reads A now');
      assert.ok(beforeD.length > 10);
      assert.equal(openedBeforeD, 0, 'D cannot read what A sent before it joined');
    } finally {
      tap.close();
      await capture.close();
      await closeAll();
    }
  });

  test('simulcast layer switching works with E2EE on', async () => {
    const roomId = nextRoom++;
    const e2ee = { e2ee: { mode: 'shared', secret: 'simulcast secret' } } as const;
    const [a, b] = await Promise.all([open('A'), open('B')]);
    await enter(a, 'userA', roomId, e2ee);
    await publish(a, { profile: '480p', small: true, audio: false });
    await enter(b, 'userB', roomId, e2ee);
    await watch(b, 'userA');
    const big = await b.waitForStats(
      'the big layer',
      (s) => inboundVideo(s).some((v) => (v.frameWidth ?? 0) >= 640 && (v.framesDecoded ?? 0) > 10),
      30_000,
    );
    const bigWidth = Math.max(...inboundVideo(big).map((v) => v.frameWidth ?? 0));
    const decodedBefore = Math.max(...decodedPerStream(big));
    const toSmall = await b.invoke('updateRemoteVideo', {
      userId: 'userA',
      streamType: 'main',
      option: { small: true },
    });
    assert.equal(toSmall.ok, true, JSON.stringify(toSmall));
    const small = await b.waitForStats(
      'the small layer, still decoding',
      (s) =>
        inboundVideo(s).some(
          (v) => (v.frameWidth ?? 0) > 0 && (v.frameWidth ?? 0) <= 320 && (v.framesDecoded ?? 0) > decodedBefore + 10,
        ),
      30_000,
    );
    const smallWidth = Math.min(...inboundVideo(small).map((v) => v.frameWidth ?? Infinity));
    console.log(
      `# B: big layer ${bigWidth}px wide (${decodedBefore} frames), small layer ${smallWidth}px ` +
        `(${Math.max(...decodedPerStream(small))} frames)`,
    );
    await closeAll();
  });

  test('the server is blind: a tap on the SFU decodes plain video and none of the encrypted video', async () => {
    const page = await open('P');
    // A known picture (a 2×2 checkerboard, redrawn 15 times a second with a moving dot) as the camera.
    await page.page.evaluate(CHECKERBOARD_CAMERA);
    const started = await page.call((t) =>
      (t as { startLocalVideo(c: unknown): Promise<void> }).startLocalVideo({
        view: 'local',
        option: { videoTrack: (globalThis as unknown as { patternTrack: unknown }).patternTrack },
      }),
    );
    assert.equal(started.ok, true, JSON.stringify(started));
    const decoded: Record<string, Buffer[]> = {};
    let plainDecodeMs = 0;
    for (const run of ['plain', 'e2ee'] as const) {
      const roomId = nextRoom++;
      const userId = `tap_${run}`;
      const startedAt = Date.now();
      await enter(page, userId, roomId, run === 'e2ee' ? { e2ee: { mode: 'shared', secret: 'blind' } } : {});
      const video = await producers.waitFor(userId, 'video', startedAt);
      const tap = await ProducerTap.open(video.router, video.producer, await freeUdpPortPair());
      try {
        // ffmpeg starts decoding at a keyframe: ask for them until the picture decodes; the encrypted run gets
        // at least as long as the plain one needed, and as many keyframes.
        const decodeStarted = Date.now();
        const result = await decodeTapWithFfmpeg(tap, {
          ...(run === 'plain' ? { maxMs: 20_000, enoughFrames: 40 } : { maxMs: Math.max(6000, plainDecodeMs) }),
          poke: () => tap.consumer.requestKeyFrame(),
        });
        if (run === 'plain') plainDecodeMs = Date.now() - decodeStarted;
        const stats = await tap.consumer.getStats();
        const forwarded = stats.find((s) => s.type === 'outbound-rtp')?.packetCount ?? 0;
        console.log(
          `# tap (${run}): ${forwarded} RTP packets forwarded, ffmpeg output ${result.frames.length} frames` +
            (result.errors.length ? `; ffmpeg said: ${result.errors.slice(0, 2).join(' / ')}` : ''),
        );
        assert.ok(forwarded > 30, `the tap got the ${run} video`);
        decoded[run] = result.frames;
      } finally {
        tap.close();
      }
      assert.equal((await page.invoke('exitRoom')).ok, true);
    }
    // A VP8 decoder fed ciphertext may still emit frames — of noise. "Decoded" means: shows the picture.
    const plain = decoded['plain'] ?? [];
    const encrypted = decoded['e2ee'] ?? [];
    const pictures = (frames: Buffer[]) => frames.filter(showsCheckerboard).length;
    console.log(
      `# tap pictures: plain ${pictures(plain)}/${plain.length} frames show the checkerboard, ` +
        `e2ee ${pictures(encrypted)}/${encrypted.length}`,
    );
    assert.ok(pictures(plain) > 20, 'without E2EE the server decodes the video');
    assert.equal(pictures(encrypted), 0, 'with E2EE the server decodes no picture');
    await closeAll();
  });
});
