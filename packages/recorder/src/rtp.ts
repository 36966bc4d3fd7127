/**
 * RTP and the little RTCP the recorder sends (RFC 3550, RFC 4585). Every packet comes from a socket: parsing is
 * bounded and returns `undefined` for anything malformed, never throws.
 */

/** Largest UDP datagram accepted (an Ethernet MTU; the SFU sends ≤ ~1200-byte packets). */
export const MAX_RTP_PACKET_BYTES = 1500;

/** The fields of one RTP packet the recorder uses. */
export interface RtpPacket {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
}

/** Whether a datagram is RTCP rather than RTP (RFC 5761 §4: payload types 192–223 with the marker bit folded in). */
export function isRtcp(packet: Buffer): boolean {
  const pt = packet[1];
  return packet.length >= 8 && pt !== undefined && pt >= 192 && pt <= 223;
}

/** Parses an RTP packet: fixed header, CSRCs, header extension, padding. */
export function parseRtp(packet: Buffer): RtpPacket | undefined {
  if (packet.length < 12 || packet.length > MAX_RTP_PACKET_BYTES) return undefined;
  const first = packet[0]!;
  if (first >> 6 !== 2) return undefined;
  let offset = 12 + (first & 0x0f) * 4;
  if (first & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (first & 0x20) {
    const padding = packet[packet.length - 1]!;
    if (padding === 0) return undefined;
    end -= padding;
  }
  if (offset > end) return undefined;
  const second = packet[1]!;
  return {
    payloadType: second & 0x7f,
    marker: (second & 0x80) !== 0,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payload: packet.subarray(offset, end),
  };
}

/** Builds an RTP packet (tests and fixtures). */
export function buildRtp(p: Omit<RtpPacket, 'payload'> & { payload: Uint8Array }): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  header.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(p.timestamp >>> 0, 4);
  header.writeUInt32BE(p.ssrc >>> 0, 8);
  return Buffer.concat([header, p.payload]);
}

/** An RTCP Picture Loss Indication (RFC 4585 §6.3.1) asking `mediaSsrc`'s sender for a keyframe. */
export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const packet = Buffer.alloc(12);
  packet[0] = 0x81; // V=2, FMT=1
  packet[1] = 206; // PSFB
  packet.writeUInt16BE(2, 2); // length in 32-bit words minus one
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  packet.writeUInt32BE(mediaSsrc >>> 0, 8);
  return packet;
}

/** An empty RTCP Receiver Report: the first packet, which tells the SFU's comedia transport where to send. */
export function buildEmptyReceiverReport(senderSsrc: number): Buffer {
  const packet = Buffer.alloc(8);
  packet[0] = 0x80;
  packet[1] = 201; // RR
  packet.writeUInt16BE(1, 2);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  return packet;
}

/** Signed distance from `a` to `b` in 16-bit sequence space. */
export function seqDelta(a: number, b: number): number {
  return ((b - a + 0x8000) & 0xffff) - 0x8000;
}

/** Extends 32-bit RTP timestamps to a 53-bit count across wraparound; a late packet does not move it back. */
export class TimestampUnwrapper {
  #last: number | undefined;
  #lastUnwrapped = 0;

  unwrap(timestamp: number): number {
    if (this.#last === undefined) {
      this.#last = timestamp >>> 0;
      this.#lastUnwrapped = this.#last;
      return this.#lastUnwrapped;
    }
    const delta = ((timestamp >>> 0) - this.#last) | 0; // signed 32-bit distance
    const value = this.#lastUnwrapped + delta;
    if (delta > 0) {
      this.#last = timestamp >>> 0;
      this.#lastUnwrapped = value;
    }
    return value;
  }
}
