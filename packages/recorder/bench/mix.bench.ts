// Mixed recording (RecordMode 2): CPU per recorded stream, in two parts: capturing while the call runs (this
// process: IVF/Ogg writes, no decoding) and rendering when the file closes (the ffmpeg child: decode, scale,
// overlay, VP8 + Opus encode). Streams are 640×480 VP8 at 15 fps with Opus, made by ffmpeg; the layout is the grid.
// Run: npm run bench:recorder-mix   (BENCH_SECONDS=20 BENCH_STREAMS=1,2,4,9 to change the defaults)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MixedRecording } from '../src/mix/mixed-recording.ts';
import { ivfFrames, oggOpusPackets } from '../src/testing/media-files.ts';
import { mixOutputFormat, parseMixLayout } from '../src/mix/mix-params.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);
const COUNTS = (process.env['BENCH_STREAMS'] ?? '1,2,4,9').split(',').map(Number);
const OUTPUTS = [
  {
    name: 'TRTC default 360x640 550 kbps',
    VideoParams: { Width: 360, Height: 640, Fps: 15, BitRate: 550_000, Gop: 10 },
  },
  { name: '1280x720 1.5 Mbps', VideoParams: { Width: 1280, Height: 720, Fps: 15, BitRate: 1_500_000, Gop: 10 } },
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-mix-bench-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
}

// Source media, once: VP8 frames from an IVF, Opus packets from an Ogg.
const ivf = path.join(dir, 'src.ivf');
run([
  '-f',
  'lavfi',
  '-i',
  'testsrc=size=640x480:rate=15',
  '-t',
  String(SECONDS),
  '-c:v',
  'libvpx',
  '-b:v',
  '800k',
  ivf,
]);
const ogg = path.join(dir, 'src.ogg');
run(['-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', String(SECONDS), '-c:a', 'libopus', ogg]);
const video = ivfFrames(fs.readFileSync(ivf));
const audio = oggOpusPackets(fs.readFileSync(ogg));

// ffmpeg through a shell that reports its children's CPU time (`times`), since Node does not.
const timesFile = path.join(dir, 'times.txt');
const wrapper = path.join(dir, 'ffmpeg-timed.sh');
fs.writeFileSync(wrapper, `#!/bin/sh\nffmpeg "$@"\nrc=$?\ntimes > "${timesFile}"\nexit $rc\n`, { mode: 0o700 });
const childCpuSeconds = (): number => {
  const line = fs.readFileSync(timesFile, 'utf8').trim().split('\n')[1] ?? '';
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
};

console.log(
  `mixed recording, ${SECONDS} s of 640x480 VP8 15 fps + Opus per stream, grid layout, ${os.cpus().length} cores`,
);
for (const output of OUTPUTS) {
  for (const n of COUNTS) {
    const workDir = fs.mkdtempSync(path.join(dir, 'work-'));
    let size = 0;
    const mix = new MixedRecording({
      workDir,
      layout: parseMixLayout({ MixLayoutMode: 3 }),
      format: mixOutputFormat({ VideoParams: output.VideoParams }),
      audio: true,
      video: true,
      outputPath: (at) => path.join(dir, `out_${at}.webm`),
      onFile: (f) => {
        size = f.Size;
        fs.rmSync(path.join(dir, f.FileName));
      },
      onWarning: (code, message) => console.error(code, message),
      ffmpeg: wrapper,
    });
    const base = Date.now();
    const events: [number, () => void][] = [];
    for (let u = 0; u < n; u++) {
      for (const v of video)
        events.push([
          v.pts / 90,
          () => mix.writeVideo(`u${u}`, 0, 10 + u, v.pts, v.data, v.keyframe, base + v.pts / 90),
        ]);
      audio.forEach((p, i) =>
        events.push([i * 20, () => mix.writeAudio(`u${u}`, 0, 100 + u, i * 960, p, base + i * 20)]),
      );
    }
    events.sort((a, b) => a[0] - b[0]);
    const cpu0 = process.cpuUsage();
    for (const [, write] of events) write();
    const capture = process.cpuUsage(cpu0);
    const wall0 = Date.now();
    await mix.close(base + SECONDS * 1000);
    const renderWall = (Date.now() - wall0) / 1000;
    const render = childCpuSeconds();
    const captureMs = (capture.user + capture.system) / 1000;
    console.log(
      `${output.name.padEnd(30)} ${String(n).padStart(2)} streams: capture ${(captureMs / SECONDS / n).toFixed(2)} ms CPU ` +
        `per stream-second; render ${((render * 1000) / SECONDS / n).toFixed(0)} ms CPU per stream-second ` +
        `(${((render * 1000) / SECONDS).toFixed(0)} ms per second of file), ${(SECONDS / renderWall).toFixed(1)}x ` +
        `real time, ${(size / 1024).toFixed(0)} KiB`,
    );
  }
}
