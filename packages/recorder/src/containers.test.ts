/**
 * The container writers against an independent reader (Ogg pages parsed back, CRC checked) and against ffmpeg
 * itself: a real VP8 stream (encoded here by ffmpeg's libvpx) rewritten through IvfWriter, Opus packets through
 * OggOpusWriter, both remuxed into WebM, probed by ffprobe.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { IvfWriter } from './ivf-writer.ts';
import { oggCrc, OggOpusWriter, oggPage } from './ogg-opus-writer.ts';
import { LocalDirectoryStorage, safeNamePart } from './storage.ts';
import { vp8KeyframeSize } from './vp8-depacketizer.ts';
import { remuxToWebm } from './webm-remux.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-recorder-test-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Reads Ogg pages back: checks capture pattern and CRC, rebuilds packets from the lacing. */
function readOgg(bytes: Buffer): { granule: bigint; flags: number; packets: Buffer[] }[] {
  const pages = [];
  let offset = 0;
  while (offset < bytes.length) {
    assert.equal(bytes.toString('ascii', offset, offset + 4), 'OggS');
    const segments = bytes[offset + 26]!;
    const lacing = [...bytes.subarray(offset + 27, offset + 27 + segments)];
    const bodyLength = lacing.reduce((a, b) => a + b, 0);
    const page = Buffer.from(bytes.subarray(offset, offset + 27 + segments + bodyLength));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    assert.equal(oggCrc(page), crc, 'page CRC');
    const packets: Buffer[] = [];
    let body = 27 + segments;
    let current: Buffer[] = [];
    for (const l of lacing) {
      current.push(page.subarray(body, body + l));
      body += l;
      if (l < 255) {
        packets.push(Buffer.concat(current));
        current = [];
      }
    }
    pages.push({ granule: page.readBigInt64LE(6), flags: page[5]!, packets });
    offset += page.length;
  }
  return pages;
}

function ffprobe(file: string) {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_name,nb_read_frames,width,height:format=duration',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    streams: { codec_name: string; nb_read_frames: string; width?: number; height?: number }[];
    format: { duration: string };
  };
}

describe('Ogg Opus writer', () => {
  it("has the check value of Ogg's CRC-32 (poly 0x04c11db7, init 0, not reflected, no final xor)", () => {
    assert.equal(oggCrc(Buffer.from('123456789')), 0x89a1897f);
  });

  it('property: every packet comes back from the pages intact and in order, granules never go back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 1300 }), { minLength: 0, maxLength: 120 }),
        (packets) => {
          const file = path.join(dir, `p-${Math.random().toString(36).slice(2)}.ogg`);
          const w = new OggOpusWriter(file);
          packets.forEach((p, i) => w.write(p, (i + 1) * 960));
          w.close();
          const pages = readOgg(fs.readFileSync(file));
          fs.rmSync(file);
          assert.equal(pages[0]!.flags & 0x02, 0x02, 'BOS on the first page');
          assert.equal(pages.at(-1)!.flags & 0x04, 0x04, 'EOS on the last page');
          assert.equal(pages[0]!.packets[0]!.toString('ascii', 0, 8), 'OpusHead');
          assert.equal(pages[1]!.packets[0]!.toString('ascii', 0, 8), 'OpusTags');
          const audio = pages.slice(2).flatMap((p) => p.packets);
          assert.deepEqual(
            audio.map((b) => Buffer.from(b).toString('hex')),
            packets.map((p) => Buffer.from(p).toString('hex')),
          );
          for (let i = 1; i < pages.length; i++) assert.ok(pages[i]!.granule >= pages[i - 1]!.granule);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a page with more than 255 lacing values', () => {
    assert.throws(
      () => oggPage({ packets: [Buffer.alloc(255 * 255)], granule: 0n, serial: 1, sequence: 0 }),
      RangeError,
    );
  });
});

describe('IVF writer and WebM remux (ffmpeg reads what we write)', () => {
  it('rewrites a real VP8 stream and an Opus stream into one WebM with both tracks', async () => {
    // A real VP8 stream: 30 frames of testsrc at 160x120, from Debian's ffmpeg (libvpx).
    const source = path.join(dir, 'source.ivf');
    const enc = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=15',
      '-frames:v',
      '30',
      '-c:v',
      'libvpx',
      '-f',
      'ivf',
      source,
    ]);
    assert.equal(enc.status, 0, enc.stderr?.toString());
    const raw = fs.readFileSync(source);
    const ivf = path.join(dir, 'video.ivf');
    const w = new IvfWriter(ivf);
    let offset = raw.readUInt16LE(6);
    let n = 0;
    while (offset + 12 <= raw.length) {
      const size = raw.readUInt32LE(offset);
      const data = raw.subarray(offset + 12, offset + 12 + size);
      if (n === 0) assert.deepEqual(vp8KeyframeSize(data), { width: 160, height: 120 });
      w.write(n * 6000, data, vp8KeyframeSize(data));
      offset += 12 + size;
      n++;
    }
    w.close();
    assert.equal(n, 30);
    const probeIvf = ffprobe(ivf);
    assert.equal(probeIvf.streams[0]?.codec_name, 'vp8');
    assert.equal(Number(probeIvf.streams[0]?.nb_read_frames), 30);
    assert.equal(probeIvf.streams[0]?.width, 160);

    // Two seconds of Opus: 100 TOC-only packets (config 31, 20 ms) — valid, decoded as silence.
    const ogg = path.join(dir, 'audio.ogg');
    const o = new OggOpusWriter(ogg);
    for (let i = 0; i < 100; i++) o.write(Buffer.from([0xf8]), (i + 1) * 960);
    o.close();
    const probeOgg = ffprobe(ogg);
    assert.equal(probeOgg.streams[0]?.codec_name, 'opus');
    assert.ok(Math.abs(Number(probeOgg.format.duration) - 2) < 0.1, `duration ${probeOgg.format.duration}`);

    const webm = path.join(dir, 'out.webm');
    await remuxToWebm(
      [
        { path: ivf, offsetSeconds: 0 },
        { path: ogg, offsetSeconds: 0.2 },
      ],
      webm,
    );
    const probe = ffprobe(webm);
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['opus', 'vp8']);
    assert.equal(Number(probe.streams.find((s) => s.codec_name === 'vp8')?.nb_read_frames), 30);
    assert.ok(!fs.existsSync(`${webm}.partial`));
  });

  it('a failed remux leaves no output and no partial file', async () => {
    const bogus = path.join(dir, 'bogus.ivf');
    fs.writeFileSync(bogus, 'not a video');
    const out = path.join(dir, 'bogus.webm');
    await assert.rejects(remuxToWebm([{ path: bogus, offsetSeconds: 0 }], out), /ffmpeg remux failed/);
    assert.ok(!fs.existsSync(out) && !fs.existsSync(`${out}.partial`));
  });
});

describe('local directory storage', () => {
  it('names files from sanitised parts only and keeps work folders inside the storage', () => {
    const storage = new LocalDirectoryStorage(path.join(dir, 'store'), { fileNamePrefix: '../evil' });
    const file = storage.finalPath(['task', '../../etc', 'user/x'], 'webm');
    assert.equal(path.dirname(file), storage.directory);
    assert.equal(path.basename(file), '___evil_task_______etc_user_x.webm');
    assert.equal(safeNamePart(''), '_');
    const work = storage.workDirectory('t1');
    assert.equal(path.dirname(work), storage.directory);
    storage.removeWorkDirectory(work);
    assert.deepEqual(fs.readdirSync(storage.directory), []);
    assert.throws(() => storage.removeWorkDirectory(dir));
  });
});
