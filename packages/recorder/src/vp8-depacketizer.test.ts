import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseRtp, buildRtp, type RtpPacket } from './rtp.ts';
import {
  isVp8Keyframe,
  MAX_VP8_FRAME_BYTES,
  parseVp8Descriptor,
  Vp8Depacketizer,
  vp8KeyframeSize,
} from './vp8-depacketizer.ts';

/** A VP8 "frame": a frame tag with the P bit (0 = keyframe) then arbitrary bytes. */
function frame(keyframe: boolean, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([keyframe ? 0x10 : 0x11, 0x02, 0x00]), body]);
}

type DescriptorShape = 'minimal' | 'pictureId7' | 'pictureId15' | 'full';

/** RFC 7741 packetization of one frame into payloads of at most `mtu` bytes of frame data. */
function packetize(data: Buffer, mtu: number, shape: DescriptorShape, pictureId: number): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += mtu) {
    const start = offset === 0 ? 0x10 : 0;
    let descriptor: number[];
    if (shape === 'minimal') descriptor = [start];
    else if (shape === 'pictureId7') descriptor = [0x80 | start, 0x80, pictureId & 0x7f];
    else if (shape === 'pictureId15')
      descriptor = [0x80 | start, 0x80, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff];
    else descriptor = [0x80 | start, 0xf0, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff, 7, 0x20];
    out.push(Buffer.concat([Buffer.from(descriptor), data.subarray(offset, offset + mtu)]));
  }
  return out;
}

function packets(frames: Buffer[], mtu: number, shape: DescriptorShape, firstSeq = 65530): RtpPacket[][] {
  let seq = firstSeq;
  return frames.map((f, i) => {
    const payloads = packetize(f, mtu, shape, i);
    return payloads.map(
      (payload, j) =>
        parseRtp(
          buildRtp({
            payloadType: 96,
            sequenceNumber: seq++ & 0xffff,
            timestamp: (4294960000 + i * 3000) >>> 0, // wraps the 32-bit timestamp on the way
            ssrc: 1234,
            marker: j === payloads.length - 1,
            payload,
          }),
        )!,
    );
  });
}

const frameArb = fc.record({
  keyframe: fc.boolean(),
  body: fc.uint8Array({ minLength: 0, maxLength: 3000 }),
});

describe('VP8 payload descriptor (RFC 7741 §4.2)', () => {
  it('parses the real shapes Chromium sends', () => {
    // X=1 S=1 PID=0; I=1 L=0 T=0 K=0; M=1, 15-bit PictureID 0x0123
    assert.deepEqual(parseVp8Descriptor(Buffer.from([0x90, 0x80, 0x81, 0x23, 0x10])), {
      start: true,
      partition: 0,
      headerBytes: 4,
    });
    // X=1, I/L/T/K all set: PictureID (2 bytes), TL0PICIDX, TID/Y/KEYIDX
    assert.equal(parseVp8Descriptor(Buffer.from([0x80, 0xf0, 0x80, 0x01, 0x05, 0x40, 0xaa]))?.headerBytes, 6);
    assert.deepEqual(parseVp8Descriptor(Buffer.from([0x00, 0x01])), { start: false, partition: 0, headerBytes: 1 });
  });

  it('refuses a descriptor that runs past the payload, without throwing', () => {
    for (const bytes of [[], [0x80], [0x80, 0x80], [0x80, 0x80, 0x80], [0x80, 0xf0, 0x80, 0x01, 0x05]])
      assert.equal(parseVp8Descriptor(Buffer.from(bytes)), undefined, JSON.stringify(bytes));
  });

  it('reads a keyframe size and tells keyframes from delta frames', () => {
    const key = Buffer.from([0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]);
    assert.ok(isVp8Keyframe(key));
    assert.deepEqual(vp8KeyframeSize(key), { width: 320, height: 240 });
    assert.equal(vp8KeyframeSize(Buffer.from([0x51, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 1, 0xf0, 0])), undefined);
    assert.equal(vp8KeyframeSize(Buffer.from([0x50, 0, 0, 0x00, 0x01, 0x2a, 0x40, 1, 0xf0, 0])), undefined);
  });
});

describe('Vp8Depacketizer', () => {
  it('property: packetized frames come back byte for byte, from the first keyframe on, in any packet order within a picture', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 1200 }),
        fc.constantFrom<DescriptorShape>('minimal', 'pictureId7', 'pictureId15', 'full'),
        fc.boolean(),
        (specs, mtu, shape, shuffle) => {
          const frames = specs.map((s) => frame(s.keyframe, s.body));
          const d = new Vp8Depacketizer();
          const out: Buffer[] = [];
          for (const picture of packets(frames, mtu, shape)) {
            const order = shuffle ? [...picture].reverse() : picture;
            for (const p of order) out.push(...d.push(p).map((f) => f.data));
          }
          const firstKey = specs.findIndex((s) => s.keyframe);
          const expected = firstKey < 0 ? [] : frames.slice(firstKey);
          assert.deepEqual(out, expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('drops a picture with a lost packet and everything after it until the next keyframe', () => {
    const frames = [
      frame(true, Buffer.alloc(3000, 1)),
      frame(false, Buffer.alloc(3000, 2)),
      frame(false, Buffer.alloc(10, 3)),
      frame(true, Buffer.alloc(10, 4)),
    ];
    const pictures = packets(frames, 1000, 'pictureId15');
    pictures[1]!.splice(1, 1); // lose the middle packet of the second frame
    const d = new Vp8Depacketizer();
    const out: Buffer[] = [];
    for (const picture of pictures) for (const p of picture) out.push(...d.push(p).map((f) => f.data));
    assert.deepEqual(out, [frames[0], frames[3]]);
    assert.equal(d.needKeyframe, false);
  });

  it('asks for a keyframe until one arrives', () => {
    const d = new Vp8Depacketizer();
    assert.equal(d.needKeyframe, true);
    for (const p of packets([frame(false, Buffer.alloc(5))], 100, 'minimal')[0]!) d.push(p);
    assert.equal(d.needKeyframe, true);
  });

  it('bounds a frame: a picture larger than the limit is dropped, not buffered', () => {
    const d = new Vp8Depacketizer();
    const chunk = Buffer.alloc(1200, 7);
    let seq = 0;
    const count = Math.ceil(MAX_VP8_FRAME_BYTES / chunk.length) + 2;
    for (let i = 0; i < count; i++) {
      const payload = Buffer.concat([Buffer.from([i === 0 ? 0x10 : 0x00]), i === 0 ? frame(true, chunk) : chunk]);
      const p = parseRtp(
        buildRtp({ payloadType: 96, sequenceNumber: seq++, timestamp: 1, ssrc: 1, marker: i === count - 1, payload }),
      )!;
      assert.deepEqual(d.push(p), []);
    }
    assert.ok(d.dropped >= 1);
  });

  it('ignores duplicates and empty or malformed payloads', () => {
    const d = new Vp8Depacketizer();
    const [[p]] = packets([frame(true, Buffer.alloc(4))], 100, 'full') as [[RtpPacket]];
    assert.equal(d.push({ ...p, payload: Buffer.alloc(0) }).length, 0);
    assert.equal(d.push({ ...p, payload: Buffer.from([0x80]) }).length, 0);
    assert.equal(d.push(p).length, 1);
    assert.equal(d.push(p).length, 0, 'a repeat of an emitted picture is not emitted twice');
  });
});
