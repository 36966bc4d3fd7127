/**
 * The media peer's clip file ("CBRT"): u32 packet count, u32 loop length (µs), u32 clock rate, then per packet
 * u32 offset (µs from the clip's start), u16 length and the RTP packet. All integers little-endian. The peer
 * (native/bench-peer.c) replays the packets at their offsets and loops the clip.
 */
import fs from 'node:fs';

const MAGIC = 'CBRT';
const HEADER_BYTES = 16;
const PACKET_HEADER_BYTES = 6;

/** One RTP packet of a clip and when, from the clip's start, it is sent. */
export interface ClipPacket {
  offsetUs: number;
  data: Uint8Array;
}

/** A pre-packetised stream, as the media peer replays it. */
export interface Clip {
  clockRate: number;
  /** Length of one loop: the last packet's offset plus one frame. */
  loopUs: number;
  packets: ClipPacket[];
}

export function encodeClip(clip: Clip): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0);
  header.writeUInt32LE(clip.packets.length, 4);
  header.writeUInt32LE(clip.loopUs, 8);
  header.writeUInt32LE(clip.clockRate, 12);
  const parts: Uint8Array[] = [header];
  for (const p of clip.packets) {
    const head = Buffer.alloc(PACKET_HEADER_BYTES);
    head.writeUInt32LE(p.offsetUs, 0);
    head.writeUInt16LE(p.data.length, 4);
    parts.push(head, p.data);
  }
  return Buffer.concat(parts);
}

/** Parses a clip file's bytes; throws on anything truncated or not a clip. */
export function decodeClip(bytes: Buffer): Clip {
  if (bytes.length < HEADER_BYTES || bytes.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a CBRT clip');
  const count = bytes.readUInt32LE(4);
  const packets: ClipPacket[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + PACKET_HEADER_BYTES > bytes.length) throw new Error(`CBRT clip truncated at packet ${i}`);
    const offsetUs = bytes.readUInt32LE(at);
    const length = bytes.readUInt16LE(at + 4);
    at += PACKET_HEADER_BYTES;
    if (at + length > bytes.length) throw new Error(`CBRT clip truncated in packet ${i}`);
    packets.push({ offsetUs, data: bytes.subarray(at, at + length) });
    at += length;
  }
  return { clockRate: bytes.readUInt32LE(12), loopUs: bytes.readUInt32LE(8), packets };
}

export function readClip(file: string): Clip {
  return decodeClip(fs.readFileSync(file));
}

/** Writes atomically (temporary file, then rename), so a crashed run never leaves half a clip in the cache. */
export function writeClip(file: string, clip: Clip): void {
  fs.writeFileSync(`${file}.tmp`, encodeClip(clip));
  fs.renameSync(`${file}.tmp`, file);
}

/** Sizes and rates of a clip, for the report: what one stream puts on the wire before SRTP. */
export interface ClipStats {
  packets: number;
  packetsPerS: number;
  /** Mean and largest RTP packet, header included, bytes. */
  meanPacketBytes: number;
  maxPacketBytes: number;
  /** RTP bytes per second × 8 / 1000. */
  kbps: number;
}

export function clipStats(clip: Clip): ClipStats {
  const bytes = clip.packets.reduce((sum, p) => sum + p.data.length, 0);
  const seconds = clip.loopUs / 1e6;
  return {
    packets: clip.packets.length,
    packetsPerS: clip.packets.length / seconds,
    meanPacketBytes: clip.packets.length > 0 ? bytes / clip.packets.length : 0,
    maxPacketBytes: Math.max(0, ...clip.packets.map((p) => p.data.length)),
    kbps: (bytes * 8) / seconds / 1000,
  };
}
