/**
 * Issue 11's user-visible result: a Chromium page publishes a known picture and audio into a shared-secret E2EE
 * room; the on-premises recorder (packages/recorder, a Node participant, no browser) joins with the same secret,
 * records a few seconds and writes a WebM that ffprobe/ffmpeg decode: VP8 frames showing the picture and Opus
 * audio. The same run without the secret writes only what the server forwarded — ciphertext — which decodes to
 * no picture, and a recorder with a wrong secret reports E2EE_DECRYPTION_FAILED and writes no file. In mixed mode
 * (RecordMode 2) a second page joins and both pictures land in one WebM, in the grid and then where a layout set
 * during the recording puts them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generatePrivateMapKey, PrivilegeBits } from '../../packages/server/src/auth/index.ts';
import {
  LocalDirectoryStorage,
  Recorder,
  type RecorderOptions,
  type StoredFile,
} from '../../packages/recorder/src/index.ts';
import { sleep, startE2E, type ClientPage, type E2E } from './harness.ts';
import { decodeThumbnails, ffprobe, showsCheckerboard } from './recording-media.ts';

let e2e: E2E;
let page: ClientPage;
let page2: ClientPage | undefined;
let outRoot: string;
const ROOM = 9700;
const SECRET = 'recording-room-secret';
const PUBLISHER = 'rec_pub';

before(async () => {
  e2e = await startE2E();
  outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-recordings-'));
  page = await e2e.newPage('P');
  // A known picture (2×2 checkerboard with a moving dot) as the camera, and the fake microphone.
  await publishPattern(
    page,
    PUBLISHER,
    `g.fillStyle = '#fff'; g.fillRect(0, 0, 320, 240);
     g.fillStyle = '#000'; g.fillRect(160, 0, 160, 120); g.fillRect(0, 120, 160, 120);
     g.fillStyle = '#888'; g.fillRect((tick++ * 4) % 300, 110, 20, 20);`,
  );
});

/** Enters the E2EE room as `userId` and publishes the microphone and a canvas drawn by `draw` (15 fps). */
async function publishPattern(p: ClientPage, userId: string, draw: string): Promise<void> {
  await p.page.evaluate(`(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const g = canvas.getContext('2d');
    let tick = 0;
    const draw = () => { ${draw} };
    draw();
    setInterval(draw, 66);
    window.patternTrack = canvas.captureStream(15).getVideoTracks()[0];
  })()`);
  const args = {
    sdkAppId: e2e.test.sdkAppId,
    userId,
    userSig: e2e.userSig(userId),
    roomId: ROOM,
    e2ee: { mode: 'shared', secret: SECRET },
    requireE2ee: true,
  };
  const entered = await p.call((t, a) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(a), args);
  assert.equal(entered.ok, true, JSON.stringify(entered));
  assert.equal((await p.invoke('startLocalAudio')).ok, true);
  const video = await p.call((t) =>
    (t as { startLocalVideo(c: unknown): Promise<void> }).startLocalVideo({
      view: 'local',
      option: { videoTrack: (globalThis as unknown as { patternTrack: unknown }).patternTrack },
    }),
  );
  assert.equal(video.ok, true, JSON.stringify(video));
}

after(async () => {
  await page2?.close();
  await page?.close();
  await e2e?.close();
  if (outRoot) fs.rmSync(outRoot, { recursive: true, force: true });
});

function recorder(
  userId: string,
  dir: string,
  e2ee: { secret?: string; keepCiphertext?: boolean },
  maxFileMs?: number,
  extra: Partial<RecorderOptions> = {},
): Recorder {
  const t = e2e.test;
  return new Recorder({
    serverUrl: t.server.url,
    sdkAppId: t.sdkAppId,
    room: { roomId: ROOM },
    userId,
    userSig: t.userSig(userId),
    privateMapKey: generatePrivateMapKey({
      sdkAppId: t.sdkAppId,
      userId,
      secretKey: t.secretKey,
      expireSeconds: 300,
      room: { roomId: ROOM },
      privileges: PrivilegeBits.All | PrivilegeBits.Record,
    }),
    storage: new LocalDirectoryStorage(dir),
    ...(e2ee.secret ? { e2ee: { mode: 'shared' as const, secret: e2ee.secret } } : {}),
    ...(e2ee.keepCiphertext ? { keepCiphertext: true } : {}),
    recordParams: { MaxIdleTime: 60 },
    ...(maxFileMs ? { limits: { maxFileMs } } : {}),
    ...extra,
  });
}

/** Records for about five seconds of media (waiting generously for the first frames on a loaded machine). */
async function recordFiveSeconds(
  r: Recorder,
): Promise<{ files: StoredFile[]; warnings: string[]; cpuMsPerSecond: number }> {
  const warnings: string[] = [];
  r.on('warning', (code) => warnings.push(code));
  await r.start();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const p = r.progress();
    const video = p.find((x) => x.kind === 'video');
    const audio = p.find((x) => x.kind === 'audio');
    if (
      (video?.written ?? 0) + (video?.undecryptable ?? 0) > 0 &&
      (audio?.written ?? 0) + (audio?.undecryptable ?? 0) > 0
    )
      break;
    await sleep(200);
  }
  // CPU of this Node process (recorder + the test server's JavaScript; not mediasoup's worker, not Chromium).
  const cpuBefore = process.cpuUsage();
  const wallBefore = Date.now();
  await sleep(5000);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerSecond = (cpu.user + cpu.system) / 1000 / ((Date.now() - wallBefore) / 1000);
  const files = await r.stop();
  return { files, warnings, cpuMsPerSecond };
}

/** Nothing but finished files in the storage directory (the work folder is gone). */
function storedNames(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

test('the recorder with the room secret writes a WebM with the picture and audio; apps see it recording', async () => {
  const dir = path.join(outRoot, 'keyed');
  const r = recorder('recorder_1', dir, { secret: SECRET });
  const { files, warnings, cpuMsPerSecond } = await recordFiveSeconds(r);
  const badge = await page.waitForEvent('recording-state-changed', (p) => p['recording'] === true);
  assert.deepEqual(badge.payload?.['userIds'], ['recorder_1']);
  await page.waitForEvent('recording-state-changed', (p) => p['recording'] === false);
  assert.equal(files.length, 1, `one file for the publisher (warnings: ${warnings.join(', ')})`);
  const file = files[0]!;
  assert.equal(file.UserId, PUBLISHER);
  assert.equal(file.TrackType, 'audio_video');
  assert.deepEqual(storedNames(dir), [file.FileName], 'only the finished WebM is left in the storage');
  const full = path.join(dir, file.FileName);
  const streams = ffprobe(full);
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'vp8');
  assert.equal(audio?.codec_name, 'opus');
  assert.ok(Number(video?.nb_read_frames) > 0, 'video frames decode');
  assert.ok(Number(audio?.nb_read_frames) > 0, 'audio frames decode');
  const frames = decodeThumbnails(full);
  const pictures = frames.filter(showsCheckerboard).length;
  console.log(
    `# keyed recording: ${file.Size} bytes, ${video?.nb_read_frames} video frames (${pictures} show the ` +
      `checkerboard), ${audio?.nb_read_frames} audio frames; test process CPU while recording ` +
      `${cpuMsPerSecond.toFixed(0)} ms/s (recorder of one 320x240 VP8 + Opus user, plus the server's JS)`,
  );
  assert.ok(pictures > 10, 'the recorded video shows the published picture');
});

test('without the secret the recording holds only ciphertext: no picture; a wrong secret writes nothing', async () => {
  const raw = path.join(outRoot, 'ciphertext');
  const { files } = await recordFiveSeconds(recorder('recorder_2', raw, { keepCiphertext: true }));
  // Ciphertext did arrive and was stored: the file has a VP8 track with packets in it.
  assert.equal(files.length, 1);
  const packets = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_packets',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,nb_read_packets',
      '-of',
      'json',
      path.join(raw, files[0]!.FileName),
    ],
    { encoding: 'utf8' },
  );
  const stream = (JSON.parse(packets.stdout) as { streams: { codec_name: string; nb_read_packets: string }[] })
    .streams[0];
  assert.equal(stream?.codec_name, 'vp8');
  assert.ok(Number(stream?.nb_read_packets) > 20, `${stream?.nb_read_packets} encrypted frames stored`);
  const frames = files.flatMap((f) => decodeThumbnails(path.join(raw, f.FileName)));
  const pictures = frames.filter(showsCheckerboard).length;
  console.log(
    `# ciphertext recording: ${stream?.nb_read_packets} encrypted VP8 frames stored, ${frames.length} decoded, ` +
      `${pictures} pictures`,
  );
  assert.equal(pictures, 0, 'what the server forwarded shows no picture');

  const wrong = path.join(outRoot, 'wrong');
  const result = await recordFiveSeconds(recorder('recorder_3', wrong, { secret: 'not-the-secret' }));
  assert.ok(result.warnings.includes('E2EE_DECRYPTION_FAILED'), `warnings: ${result.warnings.join(', ')}`);
  assert.equal(result.files.length, 0);
  assert.deepEqual(storedNames(wrong), [], 'no file and no work folder left');
});

test('MaxMediaFileDuration: a long recording is split into files that each decode from a keyframe', async () => {
  const dir = path.join(outRoot, 'segments');
  const { files } = await recordFiveSeconds(recorder('recorder_4', dir, { secret: SECRET }, 2000));
  // The last file may be cut before its first keyframe arrived (then it holds audio only).
  const withVideo = files.filter((f) => f.TrackType !== 'audio');
  assert.ok(withVideo.length >= 2, `${files.length} files, ${withVideo.length} with video`);
  for (const file of withVideo) {
    const pictures = decodeThumbnails(path.join(dir, file.FileName)).filter(showsCheckerboard).length;
    assert.ok(pictures > 0, `${file.FileName} shows the picture`);
  }
  assert.deepEqual(storedNames(dir), files.map((f) => f.FileName).sort());
});

test('RecordMode 2: two publishers mixed into one WebM, grid then a custom layout set while recording', async () => {
  // A second publisher: solid green with a moving dot.
  page2 = await e2e.newPage('P2');
  await publishPattern(
    page2,
    'rec_pub2',
    `g.fillStyle = '#00c000'; g.fillRect(0, 0, 320, 240);
     g.fillStyle = '#080'; g.fillRect((tick++ * 4) % 300, 110, 20, 20);`,
  );
  const dir = path.join(outRoot, 'mixed');
  const W = 640;
  const H = 360;
  const r = recorder('recorder_5', dir, { secret: SECRET }, undefined, {
    recordParams: { RecordMode: 2, MaxIdleTime: 60 },
    mix: {
      layout: { MixLayoutMode: 3, BackGroundColor: '#000000' },
      transcode: { VideoParams: { Width: W, Height: H, Fps: 15, BitRate: 600_000, Gop: 2 } },
    },
  });
  const warnings: string[] = [];
  r.on('warning', (code, message) => warnings.push(`${code}: ${message}`));
  await r.start();
  // Both users' video is being written before the clock for the layouts starts.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && r.progress().filter((x) => x.kind === 'video' && x.written > 5).length < 2)
    await sleep(200);
  await sleep(3000);
  // ModifyCloudRecording: the checkerboard moves to the right half, the green picture to the left.
  const swappedAt = Date.now();
  r.modifyMixLayout({
    MixLayoutMode: 4,
    MixLayoutList: [
      { UserId: 'rec_pub2', Top: 0, Left: 0, Width: W / 2, Height: H },
      { UserId: PUBLISHER, Top: 0, Left: W / 2, Width: W / 2, Height: H },
    ],
  });
  await sleep(3000);
  const stoppedAt = Date.now();
  const files = await r.stop();
  assert.deepEqual(warnings, []);
  assert.equal(files.length, 1, 'one mixed file');
  const file = files[0]!;
  assert.equal(file.TrackType, 'audio_video');
  assert.deepEqual(storedNames(dir), [file.FileName]);
  const full = path.join(dir, file.FileName);
  const probe = spawnSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height:format=duration', '-of', 'json', full],
    { encoding: 'utf8' },
  );
  const info = JSON.parse(probe.stdout) as {
    streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
    format: { duration: string };
  };
  assert.deepEqual(info.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:opus', 'video:vp8']);
  const video = info.streams.find((s) => s.codec_type === 'video')!;
  assert.deepEqual([video.width, video.height], [W, H]);
  const expected = (stoppedAt - file.BeginTimeStamp) / 1000;
  assert.ok(
    Math.abs(Number(info.format.duration) - expected) < expected * 0.1,
    `${info.format.duration} s of ${expected}`,
  );

  /** Which picture a half of the frame at `seconds` shows. */
  const halves = (seconds: number): string[] => {
    const rgb = spawnSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-ss',
        seconds.toFixed(2),
        '-i',
        full,
        '-frames:v',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-',
      ],
      { maxBuffer: 16 << 20 },
    ).stdout;
    assert.equal(rgb.length, W * H * 3);
    const mean = (x0: number, y0: number, w: number, h: number, c: number) => {
      let sum = 0;
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) sum += rgb[(y * W + x) * 3 + c]!;
      return sum / (w * h);
    };
    return [0, W / 2].map((x0) => {
      const q = (qx: number, qy: number) => mean(x0 + qx + 30, qy + 40, 100, 100, 1); // away from the centre lines
      const [tl, tr, bl, br] = [q(0, 0), q(W / 4, 0), q(0, H / 2), q(W / 4, H / 2)];
      if (tl > 170 && br > 170 && tr < 80 && bl < 80) return 'checkerboard';
      if (mean(x0, 0, W / 2, H, 1) > 120 && mean(x0, 0, W / 2, H, 0) < 60) return 'green';
      return 'other';
    });
  };
  const swap = (swappedAt - file.BeginTimeStamp) / 1000;
  const before = halves(swap - 1);
  const afterSwap = halves(swap + 1.5);
  console.log(`# mixed recording: ${file.Size} bytes, ${info.format.duration} s; before ${before}, after ${afterSwap}`);
  assert.deepEqual(before, ['checkerboard', 'green'], 'grid in join order');
  assert.deepEqual(afterSwap, ['green', 'checkerboard'], 'the custom layout from the moment it was set');
});
