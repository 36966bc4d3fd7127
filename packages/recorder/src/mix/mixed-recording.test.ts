/**
 * Mixed recording against real media: VP8 and Opus made by Debian's ffmpeg (testsrc, smptebars, sine) are fed
 * frame by frame into MixedRecording on a simulated clock (users join, leave, the layout changes mid-file); the
 * rendered WebM is probed (streams, size, duration) and frames decoded to RGB show each tile's picture where the
 * layout puts it and the background elsewhere. The layout geometry of every mode is checked on its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Recorder } from '../recorder.ts';
import { LocalDirectoryStorage, type StoredFile } from '../storage.ts';
import { layoutTiles, type LayoutEntry } from './layout.ts';
import { mixOutputFormat, parseMixLayout } from './mix-params.ts';
import { ivfFrames, oggOpusPackets } from '../testing/media-files.ts';
import { MixedRecording } from './mixed-recording.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-mix-test-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function ffmpeg(args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

/** VP8 frames (pts in 1/90000 s) of a lavfi source, encoded by libvpx. */
function vp8Frames(source: string, seconds: number): { pts: number; data: Buffer; keyframe: boolean }[] {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.ivf`);
  ffmpeg(['-f', 'lavfi', '-i', source, '-t', String(seconds), '-c:v', 'libvpx', '-g', '30', '-f', 'ivf', file]);
  return ivfFrames(fs.readFileSync(file));
}

/** 20 ms Opus packets of a sine, from an Ogg that ffmpeg's libopus wrote. */
function opusPackets(frequency: number, seconds: number): Buffer[] {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.ogg`);
  ffmpeg(['-f', 'lavfi', '-i', `sine=f=${frequency}:r=48000`, '-t', String(seconds), '-c:a', 'libopus', file]);
  return oggOpusPackets(fs.readFileSync(file));
}

interface Feed {
  userId: string;
  mediaId: 0 | 1;
  /** Seconds on the simulated clock when the stream starts. */
  at: number;
  video?: { pts: number; data: Buffer; keyframe: boolean }[];
  audio?: Buffer[];
}

/** Every media event of the feeds in time order: [wall ms offset, write]. */
function schedule(mix: MixedRecording, base: number, feeds: Feed[]): [number, () => void][] {
  const events: [number, () => void][] = [];
  feeds.forEach((f, n) => {
    for (const v of f.video ?? []) {
      const t = f.at * 1000 + v.pts / 90;
      events.push([t, () => mix.writeVideo(f.userId, f.mediaId, 100 + n, v.pts, v.data, v.keyframe, base + t)]);
    }
    (f.audio ?? []).forEach((p, i) => {
      const t = f.at * 1000 + i * 20;
      events.push([t, () => mix.writeAudio(f.userId, f.mediaId, 200 + n, i * 960, p, base + t)]);
    });
  });
  return events.sort((a, b) => a[0] - b[0]);
}

function probe(file: string) {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height:format=duration', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
    format: { duration: string };
  };
}

/** The frame at `seconds` as RGB, and the mean brightness of a rectangle of it. */
function frameAt(file: string, seconds: number, width: number, height: number) {
  const rgb = ffmpeg([
    '-ss',
    String(seconds),
    '-i',
    file,
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  assert.equal(rgb.length, width * height * 3);
  return (x: number, y: number, w: number, h: number): number => {
    let sum = 0;
    for (let j = y; j < y + h; j++)
      for (let i = x; i < x + w; i++) {
        const p = (j * width + i) * 3;
        sum += (rgb[p]! + rgb[p + 1]! + rgb[p + 2]!) / 3;
      }
    return sum / (w * h);
  };
}

describe('mixed recording renders real VP8 and Opus', () => {
  it('grid, then a custom layout from ModifyCloudRecording; users join and leave; voices mixed', async () => {
    const W = 640;
    const H = 360;
    const workDir = fs.mkdtempSync(path.join(dir, 'work-'));
    const files: StoredFile[] = [];
    const warnings: string[] = [];
    const mix = new MixedRecording({
      workDir,
      layout: parseMixLayout({ MixLayoutMode: 3 }),
      format: mixOutputFormat({
        VideoParams: { Width: W, Height: H, Fps: 15, BitRate: 500_000, Gop: 2 },
        AudioParams: { SampleRate: 1, Channel: 2, BitRate: 64_000 },
      }),
      audio: true,
      video: true,
      outputPath: (at) => path.join(dir, `mix_${at}.webm`),
      onFile: (f) => files.push(f),
      onWarning: (code, message) => warnings.push(`${code}: ${message}`),
    });
    const base = 1_700_000_000_000;
    // A: testsrc for 6 s from t=0; B: colour bars from t=2 until it leaves at t=5.
    const events = schedule(mix, base, [
      {
        userId: 'alice',
        mediaId: 0,
        at: 0,
        video: vp8Frames('testsrc=size=320x240:rate=15', 6),
        audio: opusPackets(440, 6),
      },
      {
        userId: 'bob',
        mediaId: 0,
        at: 2,
        video: vp8Frames('smptebars=size=320x240:rate=15', 3),
        audio: opusPackets(880, 3),
      },
    ]);
    const custom = parseMixLayout({
      MixLayoutMode: 4,
      BackGroundColor: '#000000',
      MixLayoutList: [
        { UserId: 'alice', Top: 0, Left: 0, Width: 320, Height: 180 },
        { UserId: 'bob', Top: 180, Left: 320, Width: 320, Height: 180, RenderMode: 0 },
      ],
    });
    let modified = false;
    let left = false;
    for (const [t, write] of events) {
      if (!modified && t >= 3500) {
        mix.modifyLayout(custom, base + 3500);
        modified = true;
      }
      if (!left && t >= 5000) {
        mix.userLeft('bob', base + 5000);
        left = true;
      }
      write();
    }
    await mix.close(base + 6000);
    assert.deepEqual(warnings, []);
    assert.equal(files.length, 1);
    const file = path.join(dir, files[0]!.FileName);
    assert.equal(files[0]!.TrackType, 'audio_video');
    assert.equal(files[0]!.BeginTimeStamp, base);
    const p = probe(file);
    assert.deepEqual(p.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:opus', 'video:vp8']);
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    assert.deepEqual([v.width, v.height], [W, H]);
    assert.ok(Math.abs(Number(p.format.duration) - 6) < 0.6, `duration ${p.format.duration}`);
    assert.deepEqual(fs.readdirSync(workDir), [], 'the captures are removed');

    const lit = 40; // testsrc and colour bars average far above this; the black background is near 0
    // t=1: alice alone fills the grid.
    let m = frameAt(file, 1, W, H);
    assert.ok(m(0, 0, W, H) > lit && m(W / 2, 0, W / 2, H) > lit, 'alice fills the canvas');
    // t=3: two cells, each showing its user (bars: the top two thirds are bright columns).
    m = frameAt(file, 3, W, H);
    assert.ok(m(0, 0, W / 2, H) > lit, 'alice left');
    assert.ok(m(W / 2, 0, W / 2, (H * 2) / 3) > lit, 'bob right');
    // t=4.2: the custom layout: alice top left, bob bottom right, the background elsewhere.
    m = frameAt(file, 4.2, W, H);
    assert.ok(m(0, 0, 320, 180) > lit, 'alice top left');
    assert.ok(m(320, 180, 320, 100) > lit, 'bob bottom right');
    assert.ok(m(330, 10, 300, 160) < 8, 'background top right');
    assert.ok(m(10, 190, 300, 160) < 8, 'background bottom left');
    // t=5.5: bob left: his tile is gone.
    m = frameAt(file, 5.5, W, H);
    assert.ok(m(0, 0, 320, 180) > lit, 'alice still top left');
    assert.ok(m(320, 180, 320, 180) < 8, "bob's tile is empty");

    // Both voices are in the mix while both talk: 440 Hz and 880 Hz around t=3.
    const pcm = ffmpeg(['-ss', '2.5', '-t', '1', '-i', file, '-map', '0:a', '-ac', '1', '-f', 's16le', '-']);
    const power = (f: number) => {
      let re = 0;
      let im = 0;
      for (let i = 0; i < pcm.length / 2; i++) {
        const s = pcm.readInt16LE(i * 2);
        re += s * Math.cos((2 * Math.PI * f * i) / 48000);
        im += s * Math.sin((2 * Math.PI * f * i) / 48000);
      }
      return Math.hypot(re, im) / (pcm.length / 2);
    };
    assert.ok(power(440) > 10 * power(660), `440 Hz in the mix (${power(440)} vs ${power(660)})`);
    assert.ok(power(880) > 10 * power(660), `880 Hz in the mix (${power(880)} vs ${power(660)})`);
  });

  it('screen share layout with a sub stream, and an audio-only task', async () => {
    const W = 640;
    const H = 360;
    const files: StoredFile[] = [];
    const make = (video: boolean) =>
      new MixedRecording({
        workDir: fs.mkdtempSync(path.join(dir, 'work-')),
        layout: parseMixLayout({ MixLayoutMode: 2, BackGroundColor: '#000000' }),
        format: mixOutputFormat({ VideoParams: { Width: W, Height: H, Fps: 10, BitRate: 300_000, Gop: 2 } }),
        audio: true,
        video,
        outputPath: (at) => path.join(dir, `share_${video}_${at}.webm`),
        onFile: (f) => files.push(f),
        onWarning: (code, message) => assert.fail(`${code}: ${message}`),
      });
    const base = 1_700_000_100_000;
    const feeds: Feed[] = [
      {
        userId: 'carol',
        mediaId: 0,
        at: 0,
        video: vp8Frames('testsrc=size=320x240:rate=10', 3),
        audio: opusPackets(440, 3),
      },
      { userId: 'carol', mediaId: 1, at: 0, video: vp8Frames('smptebars=size=640x360:rate=10', 3) },
    ];
    const mix = make(true);
    for (const [, write] of schedule(mix, base, feeds)) write();
    await mix.close(base + 3000);
    const audioOnly = make(false);
    for (const [, write] of schedule(audioOnly, base, feeds)) write();
    await audioOnly.close(base + 3000);
    assert.equal(files.length, 2);
    const [av, a] = files;
    assert.equal(av!.TrackType, 'audio_video');
    assert.equal(a!.TrackType, 'audio');
    assert.deepEqual(
      probe(path.join(dir, a!.FileName)).streams.map((s) => s.codec_type),
      ['audio'],
    );
    // The screen share fills the left; carol's camera is the small tile at the top right.
    const m = frameAt(path.join(dir, av!.FileName), 1.5, W, H);
    const sh = H / 8;
    const sw = (sh * W) / H;
    assert.ok(m(0, 0, W - sw, (H * 2) / 3) > 40, 'screen share large');
    assert.ok(m(W - sw, 0, sw, sh) > 40, 'camera small, top right');
    assert.ok(m(W - sw, sh + 2, sw, H - sh - 2) < 8, 'background below it');
  });
});

describe('mixed recording slices (MaxMediaFileDuration)', () => {
  it('a rollover closes one file and the next frames start another, each with its own duration', async () => {
    const files: StoredFile[] = [];
    const workDir = fs.mkdtempSync(path.join(dir, 'work-'));
    const mix = new MixedRecording({
      workDir,
      layout: parseMixLayout(undefined),
      format: mixOutputFormat({ VideoParams: { Width: 160, Height: 90, Fps: 10, BitRate: 100_000, Gop: 1 } }),
      audio: true,
      video: true,
      outputPath: (at) => path.join(dir, `slice_${at}.webm`),
      onFile: (f) => files.push(f),
      onWarning: (code, message) => assert.fail(`${code}: ${message}`),
    });
    const base = 1_700_000_200_000;
    const feed: Feed = {
      userId: 'dave',
      mediaId: 0,
      at: 0,
      video: vp8Frames('testsrc=size=160x120:rate=10', 4),
      audio: opusPackets(440, 4),
    };
    let rolled = false;
    for (const [t, write] of schedule(mix, base, [feed])) {
      if (!rolled && t >= 2000) {
        mix.rollover(base + 2000);
        rolled = true;
      }
      write();
    }
    await mix.close(base + 4000);
    assert.equal(files.length, 2);
    // The two renders run concurrently: whichever finishes first is reported first.
    assert.deepEqual(
      files.map((f) => f.BeginTimeStamp - base).sort((a, b) => a - b),
      [0, 2000],
    );
    for (const f of files) {
      const p = probe(path.join(dir, f.FileName));
      assert.equal(p.streams.length, 2);
      assert.ok(Math.abs(Number(p.format.duration) - 2) < 0.2, `${f.FileName}: ${p.format.duration} s`);
      const m = frameAt(path.join(dir, f.FileName), 1, 160, 90);
      assert.ok(m(0, 0, 160, 90) > 40, `${f.FileName} shows the picture`);
    }
    assert.deepEqual(fs.readdirSync(workDir), []);
  });
});

describe('layout geometry (TRTC MixLayoutMode 1-4)', () => {
  const canvas = { width: 1280, height: 720 };
  const users = (n: number, sub = false): LayoutEntry[] =>
    Array.from({ length: n }, (_, i) => ({ userId: `u${i}`, mediaId: sub && i === n - 1 ? 1 : 0, hasVideo: true }));
  const within = (t: { x: number; y: number; width: number; height: number }) =>
    t.x >= 0 && t.y >= 0 && t.x + t.width <= canvas.width && t.y + t.height <= canvas.height;

  it('grid: equal cells that never overlap, up to 25', () => {
    for (const n of [1, 2, 3, 4, 5, 9, 10, 25, 30]) {
      const tiles = layoutTiles(parseMixLayout({ MixLayoutMode: 3 }), canvas, users(n));
      assert.equal(tiles.length, Math.min(n, 25));
      assert.ok(tiles.every(within));
      assert.equal(new Set(tiles.map((t) => `${t.width}x${t.height}`)).size, 1, `n=${n}: one cell size`);
      for (const a of tiles)
        for (const b of tiles)
          if (a !== b)
            assert.ok(
              a.x + a.width <= b.x + 1 ||
                b.x + b.width <= a.x + 1 ||
                a.y + a.height <= b.y + 1 ||
                b.y + b.height <= a.y + 1,
              `n=${n}: cells overlap`,
            );
    }
    const two = layoutTiles(parseMixLayout({ MixLayoutMode: 3 }), canvas, users(2));
    assert.deepEqual(
      two.map((t) => [t.x, t.y, t.width, t.height]),
      [
        [0, 0, 640, 720],
        [640, 0, 640, 720],
      ],
    );
  });

  it('float: the first (or named) user full screen, others small along the bottom, in front', () => {
    let tiles = layoutTiles(parseMixLayout({ MixLayoutMode: 1 }), canvas, users(3));
    assert.deepEqual([tiles[0]!.userId, tiles[0]!.width, tiles[0]!.height, tiles[0]!.z], ['u0', 1280, 720, 0]);
    assert.ok(tiles.slice(1).every((t) => t.z === 1 && t.width < 1280 / 4 && t.y + t.height > 600 && within(t)));
    tiles = layoutTiles(parseMixLayout({ MixLayoutMode: 1, MaxResolutionUserId: 'u2' }), canvas, users(3));
    assert.equal(tiles[0]!.userId, 'u2');
    // An audio-only user takes a place unless PureAudioDisableLayout.
    const withAudioOnly = [...users(2), { userId: 'mute', mediaId: 0 as const, hasVideo: false }];
    assert.equal(layoutTiles(parseMixLayout({ MixLayoutMode: 1 }), canvas, withAudioOnly).length, 3);
    assert.equal(
      layoutTiles(parseMixLayout({ MixLayoutMode: 1, PureAudioDisableLayout: true }), canvas, withAudioOnly).length,
      2,
    );
  });

  it('screen share: the share large, the others in columns of eight; align right; no share → background', () => {
    const entries = users(11, true); // u10 shares its screen
    let tiles = layoutTiles(parseMixLayout({ MixLayoutMode: 2 }), canvas, entries);
    const big = tiles[0]!;
    assert.deepEqual([big.userId, big.mediaId, big.x, big.y], ['u10', 1, 0, 0]);
    assert.equal(tiles.length, 11);
    assert.ok(
      tiles.slice(1).every((t) => t.x >= big.width && within(t)),
      'smalls right of the large picture',
    );
    tiles = layoutTiles(parseMixLayout({ MixLayoutMode: 2, MaxResolutionUserAlign: 1 }), canvas, entries);
    assert.ok(tiles[0]!.x > 0 && tiles.slice(1).every((t) => t.x < tiles[0]!.x), 'aligned right');
    tiles = layoutTiles(parseMixLayout({ MixLayoutMode: 2 }), canvas, users(3));
    assert.ok(
      tiles.every((t) => t.width < 200),
      'nothing large without a share or MaxResolutionUserId',
    );
  });

  it('custom: named tiles, unnamed ones filled in join order, clamped to the canvas, zero size = audio only', () => {
    const tiles = layoutTiles(
      parseMixLayout({
        MixLayoutMode: 4,
        MixLayoutList: [
          { Top: 0, Left: 0, Width: 640, Height: 360 },
          { UserId: 'u0', Top: 360, Left: 640, Width: 1000, Height: 1000, ImageLayer: 2 },
          { UserId: 'u2', Top: 0, Left: 0, Width: 0, Height: 0 },
        ],
      }),
      canvas,
      users(3),
    );
    assert.deepEqual(
      tiles.map((t) => [t.userId, t.x, t.y, t.width, t.height, t.z]),
      [
        ['u1', 0, 0, 640, 360, 0],
        ['u0', 640, 360, 640, 360, 2],
      ],
    );
    assert.throws(() => parseMixLayout({ MixLayoutMode: 4 }), /MixLayoutList/);
    assert.throws(() => parseMixLayout({ MixLayoutMode: 5 } as never));
  });
});

describe('Recorder in mixed mode (no room needed)', () => {
  const options = (recordParams: { RecordMode: 1 | 2 }, mix?: { layout?: never }) => ({
    serverUrl: 'https://127.0.0.1:1',
    sdkAppId: 1400000001,
    room: { roomId: 1 },
    userId: 'rec',
    userSig: 'x',
    privateMapKey: 'x',
    storage: new LocalDirectoryStorage(path.join(dir, 'recorder-store')),
    recordParams,
    ...(mix ? { mix } : {}),
  });

  it('modifyMixLayout: RECORDING_NOT_MIXED in RecordMode 1, invalid layouts refused, valid ones kept', () => {
    assert.throws(() => new Recorder(options({ RecordMode: 1 })).modifyMixLayout({ MixLayoutMode: 3 }), {
      code: 'RECORDING_NOT_MIXED',
    });
    const mixed = new Recorder(options({ RecordMode: 2 }));
    assert.throws(() => mixed.modifyMixLayout({ MixLayoutMode: 4 }), /MixLayoutList/);
    mixed.modifyMixLayout({ MixLayoutMode: 1, MaxResolutionUserId: 'alice' });
    assert.throws(() => new Recorder(options({ RecordMode: 2 }, { layout: { MixLayoutMode: 9 } as never })));
  });
});
