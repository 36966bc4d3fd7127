/** What the recording tests check in a file: ffprobe's streams, decoded frames, the published checkerboard. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { THUMBNAIL } from '../../packages/server/src/testing/media-tap.ts';

/** A 320×240 canvas camera (2×2 checkerboard with a moving dot) as `window.patternTrack`, for page.evaluate. */
export const CHECKERBOARD_CAMERA = `(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const g = canvas.getContext('2d');
    let tick = 0;
    const draw = () => {
      g.fillStyle = '#fff'; g.fillRect(0, 0, 320, 240);
      g.fillStyle = '#000'; g.fillRect(160, 0, 160, 120); g.fillRect(0, 120, 160, 120);
      g.fillStyle = '#888'; g.fillRect((tick++ * 4) % 300, 110, 20, 20);
    };
    draw();
    setInterval(draw, 66);
    window.patternTrack = canvas.captureStream(15).getVideoTracks()[0];
  })()`;

export function ffprobe(file: string): { codec_type: string; codec_name: string; nb_read_frames?: string }[] {
  const result = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_type,codec_name,nb_read_frames',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { streams: never[] }).streams;
}

/** Every video frame ffmpeg decodes from `file`, as grayscale thumbnails. */
export function decodeThumbnails(file: string): Buffer[] {
  const result = spawnSync(
    'ffmpeg',
    [
      '-v',
      'quiet',
      '-i',
      file,
      '-map',
      '0:v:0',
      '-fps_mode',
      'passthrough', // one thumbnail per stored frame, no duplicates to a constant rate
      '-vf',
      `scale=${THUMBNAIL.width}:${THUMBNAIL.height}:flags=area,format=gray`,
      '-f',
      'rawvideo',
      '-',
    ],
    { maxBuffer: 256 << 20 },
  );
  const raw = result.stdout ?? Buffer.alloc(0);
  const size = THUMBNAIL.width * THUMBNAIL.height;
  const frames: Buffer[] = [];
  for (let o = 0; o + size <= raw.length; o += size) frames.push(raw.subarray(o, o + size));
  return frames;
}

/** Whether a thumbnail shows the checkerboard: white, black / black, white quadrants. */
export function showsCheckerboard(frame: Buffer): boolean {
  const { width, height } = THUMBNAIL;
  const mean = (x0: number, y0: number) => {
    let sum = 0;
    let n = 0;
    for (let y = y0 + height / 8; y < y0 + (3 * height) / 8 - 1; y++)
      for (let x = x0 + width / 8; x < x0 + (3 * width) / 8; x++, n++) sum += frame[y * width + x] ?? 0;
    return sum / n;
  };
  const [tl, tr, bl, br] = [mean(0, 0), mean(width / 2, 0), mean(0, height / 2), mean(width / 2, height / 2)];
  return tl > 180 && br > 180 && tr < 75 && bl < 75;
}
