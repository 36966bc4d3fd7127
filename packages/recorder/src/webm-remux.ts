/**
 * Turns a segment's IVF (VP8) and Ogg (Opus) into one WebM with Debian's ffmpeg, copying the streams (no
 * re-encode). Each input's start offset (`-itsoffset`) puts audio and video on the segment's common clock. The
 * output is written as `<name>.partial` and renamed, so a reader never sees half a file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface RemuxInput {
  path: string;
  /** Seconds from the segment's start to this input's first frame. */
  offsetSeconds: number;
}

/** Longest an ffmpeg remux may run (a day-long segment copies in well under this). */
const REMUX_TIMEOUT_MS = 10 * 60_000;

export async function remuxToWebm(inputs: RemuxInput[], output: string, ffmpeg = 'ffmpeg'): Promise<void> {
  if (inputs.length === 0) throw new Error('nothing to remux');
  const partial = `${output}.partial`;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  for (const input of inputs) args.push('-itsoffset', input.offsetSeconds.toFixed(3), '-i', input.path);
  inputs.forEach((_, i) => args.push('-map', `${i}`));
  args.push('-c', 'copy', '-f', 'webm', partial);
  const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), REMUX_TIMEOUT_MS);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`cannot run ffmpeg (apt-get install -y ffmpeg): ${err.message}`)));
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`ffmpeg remux failed (${code}): ${stderr.trim().slice(0, 500)}`);
    fs.renameSync(partial, output);
  } finally {
    clearTimeout(timer);
    fs.rmSync(partial, { force: true });
  }
}
