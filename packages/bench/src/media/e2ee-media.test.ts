/**
 * The E2EE clips: depacketise → encrypt with the SDK's FrameCrypto → re-packetise. Every frame must decrypt back
 * to the original with the SDK's own receiver, and the packets must look like the plain ones (same timestamps,
 * send times and marker bits, VP8 descriptors, nothing over the size limit).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import type { Clip, ClipPacket } from './cbrt.ts';
import { decodeClip, encodeClip } from './cbrt.ts';
import { BENCH_E2EE_KEY, BENCH_E2EE_SUITE, encryptClip, loadSdkFrameCrypto } from './e2ee-media.ts';
import { depacketise, packetise, splitRtp, vp8DescriptorLength, type EncodedFrame } from './rtp-frames.ts';

const MAX = 1200;
/** ffmpeg's VP8 descriptor: X, S, PID 0; I; a 15-bit picture ID. */
const FFMPEG_DESCRIPTOR = [0x90, 0x80, 0x80, 0x00];

function rtpHeader(seq: number, ts: number, pt: number, marker: boolean): number[] {
  const b = Buffer.alloc(12);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ts, 4);
  b.writeUInt32BE(0x11223344, 8);
  return [...b];
}

function bytes(length: number): Uint8Array {
  return new Uint8Array(crypto.randomBytes(length)); // not a Buffer: deepEqual compares prototypes
}

function vp8Frame(length: number, key: boolean): Uint8Array {
  const frame = bytes(length);
  frame[0] = key ? 0x50 : 0x31; // frame tag: bit 0 (P) is 0 on keyframes
  if (key) frame.set([0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], 3);
  return frame;
}

/** Packetises `frames` as ffmpeg does (descriptor on each packet, S only on the first, marker on the last). */
function ffmpegVp8Clip(frames: Uint8Array[], descriptor = FFMPEG_DESCRIPTOR): Clip {
  const packets: ClipPacket[] = [];
  let seq = 65530; // wraps inside the clip
  frames.forEach((frame, i) => {
    const room = MAX - 12 - descriptor.length;
    for (let at = 0; at < frame.length; at += room) {
      const d = [...descriptor];
      if (at > 0) d[0] = d[0]! & ~0x10;
      const last = at + room >= frame.length;
      const data = Uint8Array.from([
        ...rtpHeader(seq, 1000 + i * 3000, 96, last),
        ...d,
        ...frame.subarray(at, at + room),
      ]);
      packets.push({ offsetUs: i * 33_333, data });
      seq = (seq + 1) & 0xffff;
    }
  });
  return { clockRate: 90000, loopUs: frames.length * 33_333, packets };
}

async function receiver(): Promise<{ decrypt: (data: Uint8Array, codec: string) => Promise<Uint8Array> }> {
  const FrameCrypto = await loadSdkFrameCrypto();
  const bob = new FrameCrypto(BENCH_E2EE_SUITE);
  await bob.apply({ type: 'setReceiverKey', participantId: 'pub0', ...BENCH_E2EE_KEY, step: 0n, ratchetBits: 0 });
  return {
    async decrypt(data, codec) {
      const result = await bob.decryptFrame('pub0', new Uint8Array(data).buffer, codec);
      assert.ok(result.ok, `decrypts (${result.ok ? '' : result.reason})`);
      return new Uint8Array(result.data);
    },
  };
}

describe('E2EE clips', () => {
  it('VP8: every frame decrypts to the original, packets stay within the limit and keep their timing', async () => {
    const room = MAX - 12 - FFMPEG_DESCRIPTOR.length;
    // A keyframe over several packets, one that fills a packet exactly (its SFrame overhead spills into a second),
    // small and one-byte-over delta frames.
    const originals = [vp8Frame(5000, true), vp8Frame(room, false), vp8Frame(40, false), vp8Frame(room + 1, false)];
    // Through the file format, as the bench reads clips: packets are then views into one Node Buffer.
    const plain = decodeClip(encodeClip(ffmpegVp8Clip(originals)));
    const before = encodeClip(plain);
    const { clip, frames, incompleteFrames } = await encryptClip(plain, 'vp8');
    assert.deepEqual(encodeClip(plain), before, 'the plain clip is left as it was');
    assert.equal(frames, originals.length);
    assert.equal(incompleteFrames, 0);

    for (const p of clip.packets) assert.ok(p.data.length <= MAX, `${p.data.length} B ≤ ${MAX} B`);
    assert.equal(clip.packets.length, plain.packets.length + 1, 'only the full frame needs one more packet');
    const { frames: encrypted } = depacketise(clip.packets, 'vp8');
    const bob = await receiver();
    for (const [i, frame] of encrypted.entries()) {
      const original = originals[i]!;
      assert.deepEqual(await bob.decrypt(frame.data, 'video/VP8'), original);
      const clearBytes = i === 0 ? 10 : 3;
      assert.deepEqual(frame.data.subarray(0, clearBytes), original.subarray(0, clearBytes), 'clear prefix');
      assert.equal(frame.offsetUs, i * 33_333, 'sent when the plain frame was');
      assert.deepEqual(frame.descriptor, Uint8Array.from(FFMPEG_DESCRIPTOR));
    }
    // RTP: numbered on without gaps, the frame's timestamp, marker on each frame's last packet only.
    const seqs = clip.packets.map((p) => Buffer.from(p.data).readUInt16BE(2));
    seqs.forEach((seq, i) => assert.equal(seq, (65530 + i) & 0xffff));
    const byFrame = new Map<number, ClipPacket[]>();
    for (const p of clip.packets) {
      const ts = Buffer.from(p.data).readUInt32BE(4);
      byFrame.set(ts, [...(byFrame.get(ts) ?? []), p]);
    }
    assert.deepEqual([...byFrame.keys()], [1000, 4000, 7000, 10000]);
    for (const packets of byFrame.values()) {
      const markers = packets.map((p) => splitRtp(p.data).marker);
      assert.deepEqual(markers, [...Array<boolean>(packets.length - 1).fill(false), true]);
      const starts = packets.map((p) => (splitRtp(p.data).payload[0]! & 0x10) !== 0);
      assert.deepEqual(starts, [true, ...Array<boolean>(packets.length - 1).fill(false)]);
    }
  });

  it('Opus: one packet per frame, header and marker as they came, empty (DTX) frames stay empty', async () => {
    const originals = [bytes(120), new Uint8Array(0), bytes(1)];
    const plain: Clip = {
      clockRate: 48000,
      loopUs: 60_000,
      packets: originals.map((frame, i) => ({
        offsetUs: i * 20_000,
        data: Uint8Array.from([...rtpHeader(10 + i, i * 960, 111, i !== 1), ...frame]),
      })),
    };
    const { clip } = await encryptClip(plain, 'opus');
    assert.equal(clip.packets.length, 3);
    const bob = await receiver();
    for (const [i, packet] of clip.packets.entries()) {
      const { header, payload } = splitRtp(packet.data);
      assert.deepEqual(header, plain.packets[i]!.data.subarray(0, 12), 'the RTP header is unchanged');
      assert.equal(packet.offsetUs, i * 20_000);
      if (originals[i]!.length === 0) assert.equal(payload.length, 0);
      else assert.deepEqual(await bob.decrypt(payload, 'audio/opus'), originals[i]);
    }
  });

  it('reads every descriptor form of RFC 7741 and refuses truncated ones', () => {
    assert.equal(vp8DescriptorLength(Uint8Array.of(0x10, 0xaa)), 1); // no extension
    assert.equal(vp8DescriptorLength(Uint8Array.of(0x90, 0x80, 0x05, 0xaa)), 3); // 7-bit picture ID
    assert.equal(vp8DescriptorLength(Uint8Array.of(0x90, 0xf0, 0x80, 0x01, 0x07, 0x40, 0xaa)), 6); // I(15) L T K
    assert.throws(() => vp8DescriptorLength(Uint8Array.of(0x90)), /truncated/);
    assert.throws(() => vp8DescriptorLength(Uint8Array.of(0x90, 0x80, 0x80, 0x00)), /truncated/, 'no payload');
    assert.throws(() => splitRtp(Uint8Array.of(0x80, 0x60, 0, 1)), /not an RTP packet/);
    assert.throws(() => splitRtp(Uint8Array.of(0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)), /extension truncated/);
  });

  it('leaves out and counts VP8 frames with a missing packet', () => {
    const plain = ffmpegVp8Clip([vp8Frame(3000, true), vp8Frame(3000, false), vp8Frame(50, false)]);
    plain.packets.splice(4, 1); // the second frame's middle packet
    assert.deepEqual(
      depacketise(plain.packets, 'vp8').frames.map((f) => f.data.length),
      [3000, 50],
    );
    assert.equal(depacketise(plain.packets, 'vp8').incomplete, 1);
    plain.packets.splice(0, 1); // and the keyframe's first packet
    assert.deepEqual(depacketise(plain.packets, 'vp8'), {
      frames: depacketise(plain.packets.slice(4), 'vp8').frames,
      incomplete: 2,
    });
  });

  it('re-packetises into packets no larger than asked, with the descriptor on each', () => {
    const frame: EncodedFrame = {
      offsetUs: 0,
      rtpHeader: Uint8Array.from(rtpHeader(1, 1, 96, false)),
      descriptor: Uint8Array.from(FFMPEG_DESCRIPTOR),
      data: bytes(1000),
    };
    const packets = packetise([frame], 'vp8', 200);
    assert.equal(packets.length, Math.ceil(1000 / (200 - 16)));
    for (const p of packets) assert.ok(p.data.length <= 200);
    assert.throws(() => packetise([frame], 'vp8', 16), /no room/);
  });
});
