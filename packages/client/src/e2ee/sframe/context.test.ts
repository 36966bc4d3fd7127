/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, randomBytes, toHex, utf8 } from '../bytes.ts';
import { composeKid, ratchetBaseKey } from '../ratchet.ts';
import { cipherSuite, CipherSuiteId, DEFAULT_CIPHER_SUITE } from './cipher-suites.ts';
import { encryptWithCounter, SFrameReceiver, SFrameSender } from './context.ts';
import { decodeHeader } from './header.ts';
import { deriveKeySalt, frameNonce, importSFrameKey, keySaltLabels } from './key-derivation.ts';
import { rfc9605Vectors } from './test-vectors/vectors.ts';

describe('SFrame encryption: RFC 9605 Appendix C.3', () => {
  for (const vector of rfc9605Vectors.sframe) {
    it(`cipher suite ${vector.cipher_suite}`, async () => {
      const suite = cipherSuite(Number(vector.cipher_suite));
      const kid = BigInt(vector.kid);
      const ctr = BigInt(vector.ctr);
      const baseKey = fromHex(vector.base_key);
      const labels = keySaltLabels(suite, kid);
      assert.equal(toHex(labels.keyLabel), vector.sframe_key_label);
      assert.equal(toHex(labels.saltLabel), vector.sframe_salt_label);
      const derived = await deriveKeySalt(suite, kid, baseKey);
      assert.equal(toHex(derived.secret), vector.sframe_secret);
      assert.equal(toHex(derived.key), vector.sframe_key);
      assert.equal(toHex(derived.salt), vector.sframe_salt);
      assert.equal(toHex(frameNonce(derived.salt, ctr)), vector.nonce);

      const key = await importSFrameKey(suite, kid, baseKey);
      const metadata = fromHex(vector.metadata);
      const ct = await encryptWithCounter(key, ctr, metadata, fromHex(vector.pt));
      assert.equal(toHex(ct), vector.ct);

      const receiver = new SFrameReceiver(suite);
      await receiver.addKey(kid, baseKey);
      const result = await receiver.decrypt(fromHex(vector.ct), metadata);
      assert.ok(result.ok);
      assert.equal(toHex(result.plaintext), vector.pt);
      const header = fromHex(vector.ct).subarray(0, decodeHeader(fromHex(vector.ct)).length);
      assert.equal(toHex(header) + vector.metadata, vector.aad);
    });
  }
});

describe('SFrame contexts', () => {
  const suites = [
    CipherSuiteId.AES_128_GCM_SHA256_128,
    CipherSuiteId.AES_128_CTR_HMAC_SHA256_80,
    CipherSuiteId.AES_256_GCM_SHA512_128,
  ];
  for (const id of suites) {
    it(`round-trips with suite 0x000${id} and never repeats a counter`, async () => {
      const suite = cipherSuite(id);
      const baseKey = randomBytes(32);
      const sender = await SFrameSender.create(suite, 9n, baseKey);
      const receiver = new SFrameReceiver(suite);
      await receiver.addKey(9n, baseKey);
      const frames = await Promise.all([1, 2, 3].map((n) => sender.encrypt(utf8(`frame ${n}`), Uint8Array.of(n))));
      assert.deepEqual(
        frames.map((f) => decodeHeader(f).ctr),
        [0n, 1n, 2n],
      );
      for (const [i, frame] of frames.entries()) {
        const result = await receiver.decrypt(frame, Uint8Array.of(i + 1));
        assert.ok(result.ok);
        assert.equal(new TextDecoder().decode(result.plaintext), `frame ${i + 1}`);
      }
    });
  }

  it('drops frames: unknown KID, wrong key, garbage', async () => {
    const suite = cipherSuite(DEFAULT_CIPHER_SUITE);
    const baseKey = randomBytes(32);
    const sender = await SFrameSender.create(suite, 1n, baseKey);
    const frame = await sender.encrypt(utf8('hello'), utf8('vp8'));
    const stranger = new SFrameReceiver(suite);
    assert.deepEqual(await stranger.decrypt(frame, utf8('vp8')), { ok: false, reason: 'unknown-kid' });
    await stranger.addKey(1n, randomBytes(32));
    assert.deepEqual(await stranger.decrypt(frame, utf8('vp8')), { ok: false, reason: 'auth-failed' });

    const receiver = new SFrameReceiver(suite);
    await receiver.addKey(1n, baseKey);
    assert.equal((await receiver.decrypt(frame, utf8('vp8'))).ok, true);
    assert.deepEqual(await receiver.decrypt(new Uint8Array(0)), { ok: false, reason: 'malformed' });
    assert.deepEqual(await receiver.decrypt(Uint8Array.of(0x08)), { ok: false, reason: 'malformed' });
  });

  it('authenticates metadata and header', async () => {
    const suite = cipherSuite(DEFAULT_CIPHER_SUITE);
    const baseKey = randomBytes(32);
    const sender = await SFrameSender.create(suite, 3n, baseKey, 100n);
    const receiver = new SFrameReceiver(suite);
    await receiver.addKey(3n, baseKey);
    const frame = await sender.encrypt(utf8('payload'), utf8('meta'));
    // Tampered copies first: once the genuine frame is accepted, its CTR is refused as a replay.
    assert.deepEqual(await receiver.decrypt(frame, utf8('mete')), { ok: false, reason: 'auth-failed' });
    const body = frame.slice();
    body[body.length - 3] = (body[body.length - 3] ?? 0) ^ 0x10;
    assert.deepEqual(await receiver.decrypt(body, utf8('meta')), { ok: false, reason: 'auth-failed' });
    assert.equal((await receiver.decrypt(frame, utf8('meta'))).ok, true);
  });

  it('ratchets forward to a higher step, within bounds, and only commits on success', async () => {
    const suite = cipherSuite(DEFAULT_CIPHER_SUITE);
    const base0 = randomBytes(32);
    const base2 = await ratchetBaseKey(suite, await ratchetBaseKey(suite, base0));
    const receiver = new SFrameReceiver(suite, { ratchetBits: 8, maxRatchetSteps: 4 });
    await receiver.addKey(composeKid(5n, 0n, 8), base0);

    const sender2 = await SFrameSender.create(suite, composeKid(5n, 2n, 8), base2);
    const ok = await receiver.decrypt(await sender2.encrypt(utf8('two steps on')));
    assert.ok(ok.ok);
    assert.ok(receiver.kids.includes(composeKid(5n, 2n, 8)));

    // A forged frame claiming step 3 (right key shape, wrong key) fails and leaves no key behind.
    const forged = await SFrameSender.create(suite, composeKid(5n, 3n, 8), randomBytes(32));
    assert.deepEqual(await receiver.decrypt(await forged.encrypt(utf8('x'))), { ok: false, reason: 'auth-failed' });
    assert.ok(!receiver.kids.includes(composeKid(5n, 3n, 8)));

    // Too far ahead (7 > 4 steps) is an unknown KID, not a long ratchet.
    const far = await SFrameSender.create(suite, composeKid(5n, 9n, 8), randomBytes(32));
    assert.deepEqual(await receiver.decrypt(await far.encrypt(utf8('x'))), { ok: false, reason: 'unknown-kid' });
    // Another generation is never reached by ratcheting.
    const otherGeneration = await SFrameSender.create(suite, composeKid(6n, 0n, 8), base0);
    assert.deepEqual(await receiver.decrypt(await otherGeneration.encrypt(utf8('x'))), {
      ok: false,
      reason: 'unknown-kid',
    });
  });
});

describe('SFrame replay protection', () => {
  const suite = cipherSuite(DEFAULT_CIPHER_SUITE);

  it('a frame re-sent by the SFU is refused the second time, also after the key is installed again', async () => {
    const baseKey = randomBytes(32);
    const sender = await SFrameSender.create(suite, 4n, baseKey);
    const receiver = new SFrameReceiver(suite);
    await receiver.addKey(4n, baseKey);
    const frame = await sender.encrypt(utf8('hello'));
    assert.equal((await receiver.decrypt(frame)).ok, true);
    assert.deepEqual(await receiver.decrypt(frame), { ok: false, reason: 'replay' });
    // A replayed key message re-installs the same KID: the window must survive it.
    await receiver.addKey(4n, baseKey);
    assert.deepEqual(await receiver.decrypt(frame), { ok: false, reason: 'replay' });
  });

  it('two copies of a frame racing on a new (ratcheted) KID: one is accepted', async () => {
    const base0 = randomBytes(32);
    const base1 = await ratchetBaseKey(suite, base0);
    const receiver = new SFrameReceiver(suite, { ratchetBits: 8 });
    await receiver.addKey(composeKid(1n, 0n, 8), base0);
    const sender = await SFrameSender.create(suite, composeKid(1n, 1n, 8), base1);
    const frame = await sender.encrypt(utf8('x'));
    const results = await Promise.all([receiver.decrypt(frame), receiver.decrypt(frame)]);
    // Which copy wins depends on when each decrypt finishes; exactly one may.
    assert.deepEqual(results.map((r) => r.ok).sort(), [false, true]);
    assert.deepEqual(
      results.find((r) => !r.ok),
      { ok: false, reason: 'replay' },
    );
  });

  it('forged frames do not move the window', async () => {
    const baseKey = randomBytes(32);
    const receiver = new SFrameReceiver(suite, { replayWindowSize: 64 });
    await receiver.addKey(7n, baseKey);
    const sender = await SFrameSender.create(suite, 7n, baseKey);
    const first = await sender.encrypt(utf8('first'));
    const forger = await SFrameSender.create(suite, 7n, randomBytes(32), 1000n);
    assert.deepEqual(await receiver.decrypt(await forger.encrypt(utf8('x'))), { ok: false, reason: 'auth-failed' });
    assert.equal((await receiver.decrypt(first)).ok, true, 'CTR 0 is still inside the window');
  });

  it('audio, three simulcast layers and a layer switch share one CTR space without false refusals', async () => {
    const baseKey = randomBytes(32);
    const sender = await SFrameSender.create(suite, 2n, baseKey);
    const receiver = new SFrameReceiver(suite);
    await receiver.addKey(2n, baseKey);
    // The encoder interleaves audio and every layer through one sender; the SFU forwards audio and one layer.
    const delivered: { stream: string; frame: Uint8Array }[] = [];
    for (let tick = 0; tick < 300; tick++) {
      for (const stream of ['audio', 'layer0', 'layer1', 'layer2']) {
        const frame = await sender.encrypt(utf8(`${stream} ${tick}`));
        const layer = tick < 150 ? 'layer0' : 'layer2'; // switch from the low to the high layer
        if (stream === 'audio' || stream === layer) delivered.push({ stream, frame });
      }
    }
    // Video reaches the transform late (jitter buffer, NACK): deliver all audio first, then the video.
    const audio = delivered.filter((d) => d.stream === 'audio');
    const video = delivered.filter((d) => d.stream !== 'audio');
    for (const { frame } of [...audio, ...video]) assert.equal((await receiver.decrypt(frame)).ok, true);
    for (const { frame } of delivered.slice(0, 20)) assert.equal((await receiver.decrypt(frame)).ok, false);
  });
});
