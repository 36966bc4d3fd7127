/**
 * VP8 RTP depacketization (RFC 7741): strips each packet's payload descriptor and joins the packets of one
 * picture (same RTP timestamp, contiguous sequence numbers, from the partition-0 start to the marker bit) into
 * a frame. A frame with a gap is dropped and the depacketizer waits for the next keyframe, asking for one
 * (`needKeyframe`). Frame size and packets per frame are bounded.
 */
import { seqDelta, type RtpPacket } from './rtp.ts';

/** Largest VP8 frame accepted (a 1080p keyframe is well under 1 MiB). */
export const MAX_VP8_FRAME_BYTES = 4 * 1024 * 1024;
/** Most packets one frame may span. */
export const MAX_VP8_PACKETS_PER_FRAME = 4096;

/** A complete VP8 frame. In an E2EE room the bytes after the clear prefix are still SFrame ciphertext. */
export interface Vp8Frame {
  timestamp: number;
  keyframe: boolean;
  data: Buffer;
}

/** The parsed payload descriptor of one packet. */
export interface Vp8Descriptor {
  /** S: the first packet of a partition. */
  start: boolean;
  /** PID: the partition index. */
  partition: number;
  /** Offset of the VP8 payload after the descriptor. */
  headerBytes: number;
}

/** Parses the RFC 7741 §4.2 payload descriptor, or `undefined` when it runs past the payload. */
export function parseVp8Descriptor(payload: Buffer): Vp8Descriptor | undefined {
  const b0 = payload[0];
  if (b0 === undefined) return undefined;
  let offset = 1;
  if (b0 & 0x80) {
    const b1 = payload[offset++];
    if (b1 === undefined) return undefined;
    if (b1 & 0x80) {
      const pid = payload[offset++];
      if (pid === undefined) return undefined;
      if (pid & 0x80) offset++; // 15-bit PictureID
    }
    if (b1 & 0x40) offset++; // TL0PICIDX
    if (b1 & 0x30) offset++; // TID/Y/KEYIDX
  }
  if (offset > payload.length) return undefined;
  return { start: (b0 & 0x10) !== 0, partition: b0 & 0x07, headerBytes: offset };
}

/** Whether the VP8 frame (its first bytes, the frame tag) is a keyframe: P bit 0 (RFC 6386 §9.1). */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length >= 3 && (frame[0]! & 0x01) === 0;
}

/** A VP8 keyframe's size (RFC 6386 §9.1: after the tag and start code, 14-bit width and height). */
export function vp8KeyframeSize(frame: Uint8Array): { width: number; height: number } | undefined {
  if (frame.length < 10 || !isVp8Keyframe(frame)) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  const width = (frame[6]! | (frame[7]! << 8)) & 0x3fff;
  const height = (frame[8]! | (frame[9]! << 8)) & 0x3fff;
  return width > 0 && height > 0 ? { width, height } : undefined;
}

interface Pending {
  timestamp: number;
  packets: Map<number, Buffer>;
  /** Sequence number of the partition-0 start packet, once seen. */
  first: number | undefined;
  /** Sequence number of the marker packet, once seen. */
  last: number | undefined;
  bytes: number;
}

/** How many incomplete pictures wait for reordered packets before the oldest is given up. */
const MAX_PENDING_PICTURES = 3;

export class Vp8Depacketizer {
  readonly #pending: Pending[] = [];
  #waitForKeyframe = true;
  /** Timestamp of the newest frame emitted, so a late picture is not emitted out of order. */
  #lastEmitted: number | undefined;
  /** Frames dropped for gaps, bounds or undecodable descriptors. */
  dropped = 0;

  /** True until a keyframe has been emitted, and again after a loss: ask the sender for a keyframe. */
  get needKeyframe(): boolean {
    return this.#waitForKeyframe;
  }

  /** Adds one packet; returns the frames it completed (in order). */
  push(packet: RtpPacket): Vp8Frame[] {
    const descriptor = parseVp8Descriptor(packet.payload);
    if (!descriptor) return [];
    if (this.#lastEmitted !== undefined && ((packet.timestamp - this.#lastEmitted) | 0) <= 0) return [];
    let picture = this.#pending.find((p) => p.timestamp === packet.timestamp);
    if (!picture) {
      picture = { timestamp: packet.timestamp, packets: new Map(), first: undefined, last: undefined, bytes: 0 };
      this.#pending.push(picture);
      this.#pending.sort((a, b) => (a.timestamp - b.timestamp) | 0);
      while (this.#pending.length > MAX_PENDING_PICTURES) this.#giveUp(this.#pending.shift()!);
    }
    if (picture.packets.has(packet.sequenceNumber)) return [];
    const body = packet.payload.subarray(descriptor.headerBytes);
    picture.bytes += body.length;
    if (picture.bytes > MAX_VP8_FRAME_BYTES || picture.packets.size >= MAX_VP8_PACKETS_PER_FRAME) {
      this.#pending.splice(this.#pending.indexOf(picture), 1);
      this.#giveUp(picture);
      return [];
    }
    picture.packets.set(packet.sequenceNumber, body);
    if (descriptor.start && descriptor.partition === 0) picture.first = packet.sequenceNumber;
    if (packet.marker) picture.last = packet.sequenceNumber;
    return this.#drain();
  }

  /** Emits complete pictures from the oldest on; an incomplete older picture blocks only until given up. */
  #drain(): Vp8Frame[] {
    const out: Vp8Frame[] = [];
    for (;;) {
      const index = this.#pending.findIndex((p) => complete(p));
      if (index < 0) return out;
      // Older incomplete pictures can no longer be emitted in order: they are lost.
      for (const lost of this.#pending.splice(0, index)) this.#giveUp(lost);
      const picture = this.#pending.shift()!;
      const data = assemble(picture);
      this.#lastEmitted = picture.timestamp;
      const keyframe = isVp8Keyframe(data);
      if (this.#waitForKeyframe && !keyframe) {
        this.dropped++;
        continue;
      }
      this.#waitForKeyframe = false;
      out.push({ timestamp: picture.timestamp, keyframe, data });
    }
  }

  #giveUp(_picture: Pending): void {
    this.dropped++;
    this.#waitForKeyframe = true;
  }
}

function complete(p: Pending): boolean {
  if (p.first === undefined || p.last === undefined) return false;
  const span = seqDelta(p.first, p.last);
  return span >= 0 && span + 1 === p.packets.size;
}

function assemble(p: Pending): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0, seq = p.first!; i < p.packets.size; i++, seq = (seq + 1) & 0xffff) parts.push(p.packets.get(seq)!);
  return Buffer.concat(parts);
}
