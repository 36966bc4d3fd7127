/**
 * Renders a {@link CompositionPlan} with Debian's ffmpeg into one WebM (VP8 + Opus): a background of the layout's
 * colour at the output size and rate; each stream's IVF decoded once, placed on the file's clock (`-itsoffset`),
 * split into its branches, each trimmed to its stretch, scaled to its tile (stretch, crop or fit) and overlaid
 * back to front; every Opus track resampled onto the file's clock (gaps and late starts become silence) and mixed
 * with amix at unit gain. The filter graph goes to a script file (a long call can exceed the argument limit).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { CompositionPlan } from './composition.ts';
import type { MixOutputFormat } from './mix-params.ts';

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** The ffmpeg arguments and filter script for `plan`. */
export function composeCommand(
  plan: CompositionPlan,
  format: MixOutputFormat,
  background: string,
  scriptPath: string,
  output: string,
): { args: string[]; script: string } {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  const filters: string[] = [];
  const duration = seconds(plan.durationMs);
  let input = 0;
  let videoOut: string | undefined;
  if (plan.video && plan.durationMs > 0) {
    args.push(
      '-f',
      'lavfi',
      '-i',
      `color=c=${background}:s=${format.width}x${format.height}:r=${format.fps}:d=${duration}`,
    );
    input++;
    let current = '[0:v]';
    const layers: { z: number; order: number; label: string; x: string; y: string }[] = [];
    for (const v of plan.videos) {
      args.push('-itsoffset', seconds(v.offsetMs), '-i', v.path);
      const n = v.branches.length;
      const labels = v.branches.map((_, b) => `[v${input}b${b}]`);
      filters.push(`[${input}:v]${n > 1 ? `split=${n}${labels.join('')}` : `null${labels[0]}`}`);
      v.branches.forEach((branch, b) => {
        const { tile } = branch;
        const out = `[t${input}b${b}]`;
        const scale =
          tile.renderMode === 0
            ? `scale=${tile.width}:${tile.height}`
            : tile.renderMode === 1
              ? `scale=${tile.width}:${tile.height}:force_original_aspect_ratio=increase,crop=${tile.width}:${tile.height}`
              : `scale=${tile.width}:${tile.height}:force_original_aspect_ratio=decrease`;
        filters.push(
          `${labels[b]}trim=start=${seconds(branch.startMs)}:end=${seconds(branch.endMs)},${scale},setsar=1${out}`,
        );
        layers.push({
          z: tile.z,
          order: layers.length,
          label: out,
          // A fitted picture is centred in its tile; the background shows around it.
          x: tile.renderMode === 2 ? `${tile.x}+(${tile.width}-overlay_w)/2` : `${tile.x}`,
          y: tile.renderMode === 2 ? `${tile.y}+(${tile.height}-overlay_h)/2` : `${tile.y}`,
        });
      });
      input++;
    }
    layers.sort((a, b) => a.z - b.z || a.order - b.order);
    layers.forEach((layer, i) => {
      const next = `[o${i}]`;
      filters.push(`${current}${layer.label}overlay=x='${layer.x}':y='${layer.y}':eof_action=pass${next}`);
      current = next;
    });
    filters.push(`${current}format=yuv420p[vout]`);
    videoOut = '[vout]';
  }
  let audioOut: string | undefined;
  if (plan.audios.length > 0) {
    const layout = format.channels === 2 ? 'stereo' : 'mono';
    const labels: string[] = [];
    for (const a of plan.audios) {
      args.push('-itsoffset', seconds(a.offsetMs), '-i', a.path);
      const label = `[a${input}]`;
      filters.push(
        `[${input}:a]aresample=${format.sampleRate}:async=1:first_pts=0,` +
          `aformat=sample_rates=${format.sampleRate}:channel_layouts=${layout}${label}`,
      );
      labels.push(label);
      input++;
    }
    const mixed =
      labels.length > 1
        ? `${labels.join('')}amix=inputs=${labels.length}:duration=longest:dropout_transition=0:normalize=0,`
        : `${labels[0]}`;
    filters.push(`${mixed}${labels.length > 1 ? '' : 'anull,'}apad=whole_dur=${duration},atrim=end=${duration}[aout]`);
    audioOut = '[aout]';
  }
  if (!videoOut && !audioOut) throw new Error('nothing to compose');
  args.push('-filter_complex_script', scriptPath);
  if (videoOut)
    args.push(
      '-map',
      videoOut,
      '-c:v',
      'libvpx',
      '-b:v',
      String(format.videoBitrate),
      '-g',
      String(format.fps * format.gopSeconds),
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
    );
  if (audioOut)
    args.push('-map', audioOut, '-c:a', 'libopus', '-b:a', String(format.audioBitrate), '-ar', `${format.sampleRate}`);
  args.push('-t', duration, '-f', 'webm', output);
  return { args, script: filters.join(';\n') };
}

/** Runs ffmpeg for `plan` into `output` (written as `.partial`, then renamed). */
export async function composeWebm(options: {
  plan: CompositionPlan;
  format: MixOutputFormat;
  background: string;
  scriptPath: string;
  output: string;
  ffmpeg?: string;
}): Promise<void> {
  const partial = `${options.output}.partial`;
  const { args, script } = composeCommand(
    options.plan,
    options.format,
    options.background,
    options.scriptPath,
    partial,
  );
  fs.writeFileSync(options.scriptPath, script, { mode: 0o600 });
  const child = spawn(options.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  // Rendering takes about 0.3-1 CPU-second per second of file (bench:recorder-mix); four times the duration plus
  // ten minutes leaves room for a loaded machine and still ends a stuck process.
  const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000 + 4 * options.plan.durationMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`cannot run ffmpeg (apt-get install -y ffmpeg): ${err.message}`)));
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`ffmpeg mix failed (${code}): ${stderr.trim().slice(0, 500)}`);
    fs.renameSync(partial, options.output);
  } finally {
    clearTimeout(timer);
    fs.rmSync(partial, { force: true });
    fs.rmSync(options.scriptPath, { force: true });
  }
}
