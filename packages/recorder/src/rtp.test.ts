import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildPli, buildRtp, isRtcp, MAX_RTP_PACKET_BYTES, parseRtp, TimestampUnwrapper } from './rtp.ts';
import { MAX_OPUS_PACKET_BYTES, OpusDepacketizer, opusPacketSamples } from './opus-depacketizer.ts';

describe('RTP parsing', () => {
  it('reads header fields, skips CSRCs and the header extension, strips padding', () => {
    const packet = Buffer.from([
      0xb1,
      0xe0,
      0x12,
      0x34,
      0,
      0,
      0x03,
      0xe8,
      0xde,
      0xad,
      0xbe,
      0xef, // V=2 P X CC=1, M, PT=96
      0,
      0,
      0,
      1, // CSRC
      0xbe,
      0xde,
      0,
      1,
      0x10,
      0xff,
      0,
      0, // one-byte header extension, one word
      0xaa,
      0xbb,
      0,
      0,
      3, // payload aa bb, then 3 bytes of padding
    ]);
    const rtp = parseRtp(packet)!;
    assert.equal(rtp.payloadType, 96);
    assert.equal(rtp.marker, true);
    assert.equal(rtp.sequenceNumber, 0x1234);
    assert.equal(rtp.timestamp, 1000);
    assert.equal(rtp.ssrc, 0xdeadbeef);
    assert.deepEqual([...rtp.payload], [0xaa, 0xbb]);
  });

  it('property: never throws on arbitrary bytes, and refuses oversized datagrams', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void parseRtp(Buffer.from(bytes))));
    assert.equal(parseRtp(Buffer.alloc(MAX_RTP_PACKET_BYTES + 1, 0x80)), undefined);
    assert.equal(parseRtp(Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), undefined, 'version 1');
  });

  it('tells RTCP from RTP', () => {
    assert.ok(isRtcp(buildPli(1, 2)));
    assert.ok(
      !isRtcp(
        buildRtp({
          payloadType: 111,
          sequenceNumber: 1,
          timestamp: 1,
          ssrc: 1,
          marker: false,
          payload: Buffer.alloc(4),
        }),
      ),
    );
  });

  it('property: the unwrapper follows a timestamp sequence across 32-bit wraparound', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 200 }),
        (start, steps) => {
          const u = new TimestampUnwrapper();
          let expected = start;
          assert.equal(u.unwrap(start), start);
          for (const step of steps) {
            expected += step;
            assert.equal(u.unwrap(expected % 2 ** 32), expected);
          }
        },
      ),
    );
  });

  it('a late packet does not move the unwrapper back', () => {
    const u = new TimestampUnwrapper();
    u.unwrap(2 ** 32 - 100);
    assert.equal(u.unwrap(50), 2 ** 32 + 50);
    assert.equal(u.unwrap(2 ** 32 - 10), 2 ** 32 - 10);
    assert.equal(u.unwrap(60), 2 ** 32 + 60);
  });
});

describe('Opus depacketizer', () => {
  const packet = (seq: number, size = 40) => ({
    payloadType: 111,
    sequenceNumber: seq,
    timestamp: seq * 960,
    ssrc: 5,
    marker: false,
    payload: Buffer.alloc(size, 0xf8),
  });

  it('passes packets on, drops duplicates, late and oversized ones', () => {
    const d = new OpusDepacketizer();
    assert.ok(d.push(packet(65535)));
    assert.ok(d.push(packet(0)), 'across the sequence wrap');
    assert.equal(d.push(packet(0)), undefined);
    assert.equal(d.push(packet(65534)), undefined);
    assert.equal(d.push(packet(1, MAX_OPUS_PACKET_BYTES + 1)), undefined);
    assert.equal(d.dropped, 3);
  });

  it('reads packet durations from the TOC byte (RFC 6716 §3.1)', () => {
    assert.equal(opusPacketSamples(Buffer.from([0xf8])), 960); // config 31 (CELT FB 20 ms), code 0
    assert.equal(opusPacketSamples(Buffer.from([0x18])), 2880); // config 3: SILK NB 60 ms
    assert.equal(opusPacketSamples(Buffer.from([0xf9])), 1920); // code 1: two frames
    assert.equal(opusPacketSamples(Buffer.from([0x83, 0x03])), 360); // config 16 (2.5 ms), code 3, three frames
    assert.equal(opusPacketSamples(Buffer.from([0x83])), 0, 'code 3 without its count byte');
    assert.equal(opusPacketSamples(Buffer.alloc(0)), 0);
  });
});
