/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clearByteCount, e2eeCodecOf, requireE2eeCodec } from './codec-clear-bytes.ts';

describe('clear codec bytes', () => {
  it('VP8: 10 bytes on keyframes, 3 on delta frames, never more than the frame', () => {
    const keyframe = Uint8Array.of(0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa, 0xbb);
    const delta = Uint8Array.of(0x31, 0x05, 0x00, 0xaa, 0xbb);
    assert.equal(clearByteCount('vp8', keyframe), 10);
    assert.equal(clearByteCount('vp8', delta), 3);
    assert.equal(clearByteCount('vp8', Uint8Array.of(0x50, 0x01)), 2);
    assert.equal(clearByteCount('vp8', new Uint8Array(0)), 0);
  });

  it('Opus: the TOC byte', () => {
    assert.equal(clearByteCount('opus', Uint8Array.of(0x78, 1, 2, 3)), 1);
    assert.equal(clearByteCount('opus', new Uint8Array(0)), 0);
  });

  it('maps mime types and refuses codecs whose payload the packetizer or SFU parses', () => {
    assert.equal(e2eeCodecOf('video/VP8'), 'vp8');
    assert.equal(e2eeCodecOf('audio/opus'), 'opus');
    assert.equal(e2eeCodecOf('video/H264'), undefined);
    assert.throws(() => requireE2eeCodec('video/H264'), { code: 'E2EE_UNSUPPORTED_CODEC' });
  });
});
