/**
 * Test and bench support: the frames of files ffmpeg wrote, to feed the recorder as if they had arrived over RTP.
 * Trusted input only (files made by ffmpeg in the same run); the recorder's own readers are bounded.
 */

/** One VP8 frame with its presentation time in 1/90000 s. */
export interface Vp8Frame {
  pts: number;
  data: Buffer;
  keyframe: boolean;
}

/** The VP8 frames of an IVF file. */
export function ivfFrames(raw: Buffer): Vp8Frame[] {
  const den = raw.readUInt32LE(16);
  const num = raw.readUInt32LE(20);
  const frames: Vp8Frame[] = [];
  for (let o = raw.readUInt16LE(6); o + 12 <= raw.length; ) {
    const size = raw.readUInt32LE(o);
    const pts = Number(raw.readBigUInt64LE(o + 4));
    const data = raw.subarray(o + 12, o + 12 + size);
    frames.push({ pts: Math.round((pts * num * 90000) / den), data, keyframe: (data[0]! & 1) === 0 });
    o += 12 + size;
  }
  return frames;
}

/** The Opus packets of an Ogg file, without its OpusHead and OpusTags. */
export function oggOpusPackets(raw: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let pending: Buffer[] = [];
  for (let o = 0; o < raw.length; ) {
    const segments = raw[o + 26]!;
    let body = o + 27 + segments;
    for (let i = 0; i < segments; i++) {
      const l = raw[o + 27 + i]!;
      pending.push(raw.subarray(body, body + l));
      body += l;
      if (l < 255) {
        packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    o = body;
  }
  return packets.slice(2);
}
