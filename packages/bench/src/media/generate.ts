/**
 * Pre-encoded media, made once with ffmpeg: VP8 at three sizes (the simulcast layers; the largest is the
 * non-simulcast stream) and Opus. ffmpeg's own RTP packetiser sends each stream to a loopback socket; the
 * packets are kept in a clip file (cbrt.ts) that the media peer replays, paced by the RTP timestamps and looped.
 * On request the same clips are also made E2EE-encrypted (e2ee-media.ts), cached beside the plain ones.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { benchCacheDir } from '../native/build.ts';
import { readClip, writeClip, type Clip } from './cbrt.ts';
import { e2eeMediaVersion, encryptClip, MAX_RTP_PACKET_BYTES } from './e2ee-media.ts';
import type { RtpCodec } from './rtp-frames.ts';

export type MediaSlot = 'audio' | 'videoHigh' | 'videoMid' | 'videoLow';

/** Plain media, or the same media as an E2EE client sends it. */
export type MediaVariant = 'plain' | 'e2ee';

const SLOT_NUMBERS: Record<MediaSlot, number> = { audio: 0, videoHigh: 1, videoMid: 2, videoLow: 3 };

/** The media peer's slot number of a clip: the plain clips in 0–3, their E2EE variants in 4–7. */
export function mediaSlotNumber(slot: MediaSlot, variant: MediaVariant): number {
  return SLOT_NUMBERS[slot] + (variant === 'e2ee' ? 4 : 0);
}

/** Clip files by slot: always the plain ones, the E2EE ones when asked for. */
export interface MediaSet {
  plain: Record<MediaSlot, string>;
  e2ee?: Record<MediaSlot, string>;
}

interface EncodeSpec {
  codec: RtpCodec;
  clockRate: number;
  frameUs: number;
  ffmpegArgs: string[];
}

const CLIP_SECONDS = 10;

const SPECS: Record<MediaSlot, EncodeSpec> = {
  audio: {
    codec: 'opus',
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
    codec: 'vp8',
    clockRate: 90000,
    frameUs: 33_333,
    ffmpegArgs: [
      ...['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`],
      // A keyframe every second: a new subscriber waits at most that long for a decodable picture.
      ...['-c:v', 'libvpx', '-b:v', bitrate, '-g', '30', '-deadline', 'realtime', '-cpu-used', '8'],
    ],
  };
}

const SLOTS = Object.keys(SPECS) as MediaSlot[];

function filesIn(dir: string): Record<MediaSlot, string> {
  return Object.fromEntries(SLOTS.map((s) => [s, path.join(dir, `${s}.cbrt`)])) as Record<MediaSlot, string>;
}

/** Paths of the media files, generating any that are missing (the E2EE variants only when `e2ee` is set). */
export async function ensureMedia(options: { e2ee?: boolean; dir?: string } = {}): Promise<MediaSet> {
  const dir = options.dir ?? path.join(benchCacheDir(), 'media-v1');
  fs.mkdirSync(dir, { recursive: true });
  const plain = filesIn(dir);
  await Promise.all(SLOTS.filter((s) => !fs.existsSync(plain[s])).map((s) => encode(SPECS[s], plain[s])));
  if (options.e2ee !== true) return { plain };
  // Keyed on the E2EE code and the plain clips: a change to either makes new E2EE clips.
  const e2eeName = `e2ee-${e2eeMediaVersion(SLOTS.map((s) => plain[s]))}`;
  const e2eeDir = path.join(dir, e2eeName);
  for (const stale of fs.readdirSync(dir).filter((name) => name.startsWith('e2ee-') && name !== e2eeName)) {
    fs.rmSync(path.join(dir, stale), { recursive: true, force: true });
  }
  fs.mkdirSync(e2eeDir, { recursive: true });
  const e2ee = filesIn(e2eeDir);
  for (const slot of SLOTS.filter((s) => !fs.existsSync(e2ee[s]))) {
    const { clip } = await encryptClip(readClip(plain[slot]), SPECS[slot].codec);
    writeClip(e2ee[slot], clip);
  }
  return { plain, e2ee };
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
    ...['-t', String(CLIP_SECONDS), '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=${MAX_RTP_PACKET_BYTES}`],
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
  writeClip(file, clipOf(packets, spec));
}

/** Send times from the RTP timestamps, relative to the first packet; one loop lasts up to the last frame's end. */
function clipOf(packets: Buffer[], spec: EncodeSpec): Clip {
  const ts0 = packets[0]!.readUInt32BE(4);
  const offsets = packets.map((p) => Math.round(((p.readUInt32BE(4) - ts0) >>> 0) * (1e6 / spec.clockRate)));
  return {
    clockRate: spec.clockRate,
    loopUs: (offsets.at(-1) ?? 0) + spec.frameUs,
    packets: packets.map((data, i) => ({ offsetUs: offsets[i]!, data })),
  };
}
