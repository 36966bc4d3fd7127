/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from './bytes.ts';
import { FrameCrypto } from './frame-transform.ts';
import { decodeHeader } from './sframe/header.ts';

const vp8Keyframe = Uint8Array.of(0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 1, 2, 3, 4, 5, 6);
const vp8Delta = Uint8Array.of(0x31, 0x05, 0x00, 9, 8, 7, 6, 5);

async function pair(): Promise<{ alice: FrameCrypto; bob: FrameCrypto }> {
  const baseKey = randomBytes(32);
  const alice = new FrameCrypto();
  await alice.apply({ type: 'setSenderKey', kid: 4n, baseKey });
  const bob = new FrameCrypto();
  await bob.apply({ type: 'setReceiverKey', participantId: 'alice', kid: 4n, baseKey, step: 0n, ratchetBits: 0 });
  return { alice, bob };
}

describe('frame transform', () => {
  it('keeps the VP8 keyframe header and delta frame tag in clear, and restores the frame', async () => {
    const { alice, bob } = await pair();
    for (const [frame, clear] of [
      [vp8Keyframe, 10],
      [vp8Delta, 3],
    ] as const) {
      const sent = await alice.encryptFrame(frame.slice().buffer, 'video/VP8', clear === 10);
      assert.ok(sent.ok);
      const bytes = new Uint8Array(sent.data);
      assert.deepEqual(bytes.subarray(0, clear), frame.subarray(0, clear));
      assert.equal(decodeHeader(bytes.subarray(clear)).kid, 4n);
      const received = await bob.decryptFrame('alice', sent.data, 'vp8');
      assert.ok(received.ok);
      assert.deepEqual(new Uint8Array(received.data), frame);
    }
  });

  it('passes empty frames (Opus DTX) through, and every Opus frame length round-trips', async () => {
    // Found in Chromium: empty audio frames once went out as SFrame without a TOC byte, and the receiver,
    // finding the TOC from the first byte, failed to authenticate them.
    const { alice, bob } = await pair();
    for (const length of [0, 1, 2, 40]) {
      const frame = randomBytes(length);
      const sent = await alice.encryptFrame(frame.slice().buffer, 'audio/opus');
      assert.ok(sent.ok, `length ${length}`);
      assert.equal(sent.data.byteLength === 0, length === 0, 'only an empty frame stays empty');
      const received = await bob.decryptFrame('alice', sent.data, 'opus');
      assert.ok(received.ok, `length ${length}`);
      assert.deepEqual(new Uint8Array(received.data), frame);
    }
  });

  it('does not send a VP8 frame too short for its clear prefix', async () => {
    const { alice } = await pair();
    const truncatedKeyframe = vp8Keyframe.slice(0, 6);
    const sent = await alice.encryptFrame(truncatedKeyframe.buffer, 'vp8');
    assert.deepEqual(sent, { ok: false, reason: 'too-short' });
  });

  it('drops a frame whose clear bytes were changed (they are authenticated)', async () => {
    const { alice, bob } = await pair();
    const sent = await alice.encryptFrame(vp8Keyframe.slice().buffer, 'vp8');
    assert.ok(sent.ok);
    const tampered = new Uint8Array(sent.data);
    tampered[6] = (tampered[6] ?? 0) ^ 0x01; // the width
    assert.deepEqual(await bob.decryptFrame('alice', tampered.buffer, 'vp8'), { ok: false, reason: 'auth-failed' });
  });

  it('drops instead of sending unencrypted: no key, or a codec it cannot encrypt', async () => {
    const crypto = new FrameCrypto();
    assert.deepEqual(await crypto.encryptFrame(vp8Delta.slice().buffer, 'vp8'), { ok: false, reason: 'no-key' });
    await crypto.apply({ type: 'setSenderKey', kid: 1n, baseKey: randomBytes(32) });
    assert.deepEqual(await crypto.encryptFrame(vp8Delta.slice().buffer, 'video/H264'), {
      ok: false,
      reason: 'unsupported-codec',
    });
    assert.deepEqual(crypto.takeDropStats(), { '': { 'no-key': 1, 'unsupported-codec': 1 } });
    assert.deepEqual(crypto.takeDropStats(), {});
  });

  it('counts drops per participant and reason', async () => {
    const { bob } = await pair();
    await bob.decryptFrame('alice', new Uint8Array([0x78, 0x08]).buffer, 'opus');
    await bob.decryptFrame('mallory', new Uint8Array([0x78, 0x11, 1, 2]).buffer, 'opus');
    assert.deepEqual(bob.takeDropStats(), { alice: { malformed: 1 }, mallory: { 'unknown-kid': 1 } });
  });

  it('never restarts the counter of a KID that is installed again', async () => {
    const baseKey = randomBytes(32);
    const crypto = new FrameCrypto();
    await crypto.apply({ type: 'setSenderKey', kid: 7n, baseKey });
    const ctrOf = async (): Promise<bigint> => {
      const sent = await crypto.encryptFrame(vp8Delta.slice().buffer, 'vp8');
      assert.ok(sent.ok);
      return decodeHeader(new Uint8Array(sent.data).subarray(3)).ctr;
    };
    assert.equal(await ctrOf(), 0n);
    assert.equal(await ctrOf(), 1n);
    await crypto.apply({ type: 'setSenderKey', kid: 8n, baseKey: randomBytes(32) });
    assert.equal(await ctrOf(), 0n);
    await crypto.apply({ type: 'setSenderKey', kid: 7n, baseKey });
    assert.equal(await ctrOf(), 2n);
  });
});
