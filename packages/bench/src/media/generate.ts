/**
 * Pre-encoded media, made once with ffmpeg: VP8 at three sizes (the simulcast layers; the largest is the
 * non-simulcast stream) and Opus. ffmpeg's own RTP packetiser sends each stream to a loopback socket; the
 * packets are kept in a small file ("CBRT": count, loop length, clock rate, then offset/length/bytes per packet)
 * that the media peer replays, paced by the RTP timestamps and looped.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { benchCacheDir } from '../native/build.ts';

export type MediaSlot = 'audio' | 'videoHigh' | 'videoMid' | 'videoLow';

export const MEDIA_SLOTS: Record<MediaSlot, number> = { audio: 0, videoHigh: 1, videoMid: 2, videoLow: 3 };

interface EncodeSpec {
  clockRate: number;
  frameUs: number;
  ffmpegArgs: string[];
}

const CLIP_SECONDS = 10;

const SPECS: Record<MediaSlot, EncodeSpec> = {
  audio: {
    clockRate: 48000,
    frameUs: 20_000,
    ffmpegArgs: ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-c:a', 'libopus', '-b:a', '32k'],
  },
  videoHigh: video(640, 480, '800k'),
  videoMid: video(320, 240, '300k'),
  videoLow: video(160, 120, '100k'),
};

function video(width: number, height: number, bitrate: string): EncodeSpec {
  return {
    clockRate: 90000,
    frameUs: 33_333,
    ffmpegArgs: [
      ...['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`],
      // A keyframe every second: a new subscriber waits at most that long for a decodable picture.
      ...['-c:v', 'libvpx', '-b:v', bitrate, '-g', '30', '-deadline', 'realtime', '-cpu-used', '8'],
    ],
  };
}

/** Paths of the media files, generating any that are missing. */
export async function ensureMedia(dir = path.join(benchCacheDir(), 'media-v1')): Promise<Record<MediaSlot, string>> {
  fs.mkdirSync(dir, { recursive: true });
  const slots = Object.keys(SPECS) as MediaSlot[];
  const files = Object.fromEntries(slots.map((s) => [s, path.join(dir, `${s}.cbrt`)])) as Record<MediaSlot, string>;
  await Promise.all(slots.filter((s) => !fs.existsSync(files[s])).map((s) => encode(SPECS[s], files[s])));
  return files;
}

async function encode(spec: EncodeSpec, file: string): Promise<void> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const packets: Buffer[] = [];
  socket.on('message', (msg) => {
    if (msg.length >= 12 && !(msg[1]! >= 200 && msg[1]! <= 204)) packets.push(msg); // RTP, not RTCP
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-readrate', '20'],
    ...spec.ffmpegArgs,
    ...['-t', String(CLIP_SECONDS), '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`],
  ];
  const stderr: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.on('error', (e) => reject(new Error(`ffmpeg is needed to make the bench media: ${e.message}`)));
    child.on('close', resolve);
  });
  await new Promise((r) => setTimeout(r, 200));
  socket.close();
  if (code !== 0 || packets.length === 0) throw new Error(`ffmpeg failed (${code}): ${Buffer.concat(stderr)}`);
  fs.writeFileSync(`${file}.tmp`, serialise(packets, spec));
  fs.renameSync(`${file}.tmp`, file);
}

function serialise(packets: Buffer[], spec: EncodeSpec): Buffer {
  const ts0 = packets[0]!.readUInt32BE(4);
  const offsets = packets.map((p) => Math.round(((p.readUInt32BE(4) - ts0) >>> 0) * (1e6 / spec.clockRate)));
  const loopUs = (offsets.at(-1) ?? 0) + spec.frameUs;
  const header = Buffer.alloc(16);
  header.write('CBRT', 0);
  header.writeUInt32LE(packets.length, 4);
  header.writeUInt32LE(loopUs, 8);
  header.writeUInt32LE(spec.clockRate, 12);
  const parts: Buffer[] = [header];
  packets.forEach((p, i) => {
    const head = Buffer.alloc(6);
    head.writeUInt32LE(offsets[i]!, 0);
    head.writeUInt16LE(p.length, 4);
    parts.push(head, p);
  });
  return Buffer.concat(parts);
}
