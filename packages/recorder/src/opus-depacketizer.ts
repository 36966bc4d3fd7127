/**
 * Opus over RTP (RFC 7587): one Opus packet per RTP payload. This only bounds the size and drops duplicates and
 * packets older than the last one taken (no reordering buffer: at 20 ms per packet a late one is simply lost).
 * The duration of a packet comes from its TOC byte (RFC 6716 §3.1), which stays in clear under SFrame.
 */
import { seqDelta, type RtpPacket } from './rtp.ts';

/**
 * Largest Opus payload accepted: RFC 6716 caps a frame at 1275 bytes and a packet at 120 ms; a 60 ms code-3
 * packet of three maximal frames plus SFrame's header and tag stays under this.
 */
export const MAX_OPUS_PACKET_BYTES = 4000;

export interface OpusFrame {
  timestamp: number;
  data: Buffer;
}

export class OpusDepacketizer {
  #lastSeq: number | undefined;
  dropped = 0;

  push(packet: RtpPacket): OpusFrame | undefined {
    if (packet.payload.length > MAX_OPUS_PACKET_BYTES) {
      this.dropped++;
      return undefined;
    }
    if (this.#lastSeq !== undefined && seqDelta(this.#lastSeq, packet.sequenceNumber) <= 0) {
      this.dropped++;
      return undefined;
    }
    this.#lastSeq = packet.sequenceNumber;
    return { timestamp: packet.timestamp, data: packet.payload };
  }
}

/** Frame sizes of the 32 TOC configurations, in 48 kHz samples (RFC 6716 §3.1, table 2). */
const CONFIG_SAMPLES = [
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 480, 960, 120, 240, 480, 960, 120, 240,
  480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
];

/** Samples (at 48 kHz) in one Opus packet, from its TOC byte and frame count; 0 when malformed or empty. */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const perFrame = CONFIG_SAMPLES[toc >> 3]!;
  const code = toc & 0x03;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 3) {
    const count = packet[1];
    if (count === undefined) return 0;
    frames = count & 0x3f;
  } else frames = 2;
  const samples = perFrame * frames;
  return samples <= 5760 ? samples : 0; // ≤ 120 ms
}
