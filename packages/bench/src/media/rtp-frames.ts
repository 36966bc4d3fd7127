/**
 * Encoded frames from RTP packets and back, for the two codecs the bench sends: Opus (one frame per packet) and
 * VP8 (a frame split over packets, each with a VP8 payload descriptor, RFC 7741 §4.2; the last one carries the
 * marker bit). Re-packetising splits a frame the way ffmpeg's RTP muxer does — fill each packet up to the size
 * limit, repeat the first packet's descriptor with the start bit cleared — so only the frames' bytes differ
 * between the plain and the E2EE clips.
 */
import type { ClipPacket } from './cbrt.ts';

export type RtpCodec = 'opus' | 'vp8';

/** One encoded frame and what its packets need to be rebuilt. */
export interface EncodedFrame {
  /** When the frame's packets are sent, µs from the clip's start. */
  offsetUs: number;
  /** RTP header of the frame's first packet (SSRC, timestamp, payload type, CSRCs and extension). */
  rtpHeader: Uint8Array;
  /** VP8 payload descriptor of the first packet; empty for Opus. */
  descriptor: Uint8Array;
  data: Uint8Array;
}

const RTP_VERSION = 2;
const RTP_FIXED_HEADER = 12;
const MARKER = 0x80;
const PADDING = 0x20;
/** VP8 descriptor: S, start of a VP8 partition; PID, partition index (a frame starts at S=1, PID=0). */
const VP8_START = 0x10;
const VP8_PID = 0x07;

/** Header and payload of one RTP packet (padding removed); throws on a malformed packet. */
export function splitRtp(packet: Uint8Array): { header: Uint8Array; payload: Uint8Array; marker: boolean } {
  if (packet.length < RTP_FIXED_HEADER || packet[0]! >> 6 !== RTP_VERSION) throw new Error('not an RTP packet');
  let headerLength = RTP_FIXED_HEADER + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) {
    if (packet.length < headerLength + 4) throw new Error('RTP header extension truncated');
    headerLength += 4 + 4 * ((packet[headerLength + 2]! << 8) | packet[headerLength + 3]!);
  }
  const padding = packet[0]! & PADDING ? packet[packet.length - 1]! : 0;
  if (headerLength + padding > packet.length) throw new Error('RTP packet shorter than its header and padding');
  return {
    header: packet.subarray(0, headerLength),
    payload: packet.subarray(headerLength, packet.length - padding),
    marker: (packet[1]! & MARKER) !== 0,
  };
}

/** Length of the VP8 payload descriptor at the start of `payload` (RFC 7741 §4.2); throws if truncated. */
export function vp8DescriptorLength(payload: Uint8Array): number {
  const first = payload[0];
  if (first === undefined) throw new Error('empty VP8 payload');
  let length = 1;
  if (first & 0x80) {
    const ext = payload[1];
    if (ext === undefined) throw new Error('VP8 descriptor truncated');
    length = 2;
    if (ext & 0x80) length += (payload[length] ?? 0) & 0x80 ? 2 : 1; // I: picture ID, 7 or 15 bits (M)
    if (ext & 0x40) length += 1; // L: TL0PICIDX
    if (ext & 0x30) length += 1; // T or K: TID/Y/KEYIDX
  }
  if (length >= payload.length) throw new Error('VP8 descriptor truncated');
  return length;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function sequenceNumber(packet: Uint8Array): number {
  return (packet[2]! << 8) | packet[3]!;
}

function timestamp(packet: Uint8Array): number {
  return ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
}

/**
 * The frames of a clip. A VP8 frame whose packets are not all there (a gap in sequence numbers, no start or
 * no marker) is left out and counted: the load only needs realistic frames, and none is decoded.
 */
export function depacketise(
  packets: readonly ClipPacket[],
  codec: RtpCodec,
): { frames: EncodedFrame[]; incomplete: number } {
  const frames: EncodedFrame[] = [];
  if (codec === 'opus') {
    for (const p of packets) {
      const { header, payload } = splitRtp(p.data);
      frames.push({ offsetUs: p.offsetUs, rtpHeader: header, descriptor: new Uint8Array(0), data: payload });
    }
    return { frames, incomplete: 0 };
  }
  let current:
    | { first: ClipPacket; header: Uint8Array; descriptor: Uint8Array; parts: Uint8Array[]; seq: number }
    | undefined;
  for (const p of packets) {
    const { header, payload, marker } = splitRtp(p.data);
    const descriptorLength = vp8DescriptorLength(payload);
    const seq = sequenceNumber(p.data);
    if ((payload[0]! & VP8_START) !== 0 && (payload[0]! & VP8_PID) === 0) {
      current = { first: p, header, descriptor: payload.subarray(0, descriptorLength), parts: [], seq: seq - 1 };
    }
    const continues =
      current !== undefined &&
      seq === ((current.seq + 1) & 0xffff) &&
      timestamp(p.data) === timestamp(current.first.data);
    if (!continues) {
      current = undefined; // a gap, or no start: the frame is left out
      continue;
    }
    current!.parts.push(payload.subarray(descriptorLength));
    current!.seq = seq;
    if (marker) {
      frames.push({
        offsetUs: current!.first.offsetUs,
        rtpHeader: current!.header,
        descriptor: current!.descriptor,
        data: concat(current!.parts),
      });
      current = undefined;
    }
  }
  // One VP8 frame per timestamp: every timestamp seen without a whole frame is a frame left out.
  const timestamps = new Set(packets.map((p) => timestamp(p.data)));
  const incomplete = timestamps.size - frames.length;
  return { frames, incomplete };
}

/**
 * RTP packets of `frames`, at most `maxPacketBytes` each, numbered on from the first frame's sequence number.
 * Opus: one packet per frame, the header as it came (its marker bit included). VP8: the frame's bytes in as
 * few packets as fit, the descriptor on each (start bit only on the first), the marker on the last.
 */
export function packetise(frames: readonly EncodedFrame[], codec: RtpCodec, maxPacketBytes: number): ClipPacket[] {
  const packets: ClipPacket[] = [];
  let seq = frames[0] ? sequenceNumber(frames[0].rtpHeader) : 0;
  const emit = (frame: EncodedFrame, descriptor: Uint8Array, chunk: Uint8Array, marker: boolean | undefined): void => {
    const data = new Uint8Array(frame.rtpHeader.length + descriptor.length + chunk.length);
    data.set(frame.rtpHeader, 0);
    data.set(descriptor, frame.rtpHeader.length);
    data.set(chunk, frame.rtpHeader.length + descriptor.length);
    data[0] = data[0]! & ~PADDING;
    if (marker !== undefined) data[1] = (data[1]! & ~MARKER) | (marker ? MARKER : 0);
    data[2] = (seq >> 8) & 0xff;
    data[3] = seq & 0xff;
    seq = (seq + 1) & 0xffff;
    if (data.length > maxPacketBytes) throw new Error(`an RTP packet of ${data.length} B exceeds ${maxPacketBytes} B`);
    packets.push({ offsetUs: frame.offsetUs, data });
  };
  for (const frame of frames) {
    if (codec === 'opus') {
      emit(frame, frame.descriptor, frame.data, undefined);
      continue;
    }
    const room = maxPacketBytes - frame.rtpHeader.length - frame.descriptor.length;
    if (room <= 0) throw new Error(`no room for VP8 payload in ${maxPacketBytes} B packets`);
    const later = Uint8Array.from(frame.descriptor); // a copy (a Buffer's `slice` would be a view)
    later[0] = later[0]! & ~VP8_START;
    for (let at = 0; at < frame.data.length || at === 0; at += room) {
      const chunk = frame.data.subarray(at, at + room);
      emit(frame, at === 0 ? frame.descriptor : later, chunk, at + room >= frame.data.length);
    }
  }
  return packets;
}
