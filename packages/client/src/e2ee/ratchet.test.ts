/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from './bytes.ts';
import { hkdfExpand, hkdfExtract } from './hkdf.ts';
import { composeKid, ratchetBaseKey, splitKid, stepsAhead } from './ratchet.ts';
import { cipherSuite, CipherSuiteId } from './sframe/cipher-suites.ts';

describe('sender-key ratchet (RFC 9605 §5.1)', () => {
  it('base_key[i+1] = HKDF-Expand(HKDF-Extract("", base_key[i]), "SFrame 1.0 Ratchet", Nh)', async () => {
    for (const id of [CipherSuiteId.AES_128_GCM_SHA256_128, CipherSuiteId.AES_256_GCM_SHA512_128]) {
      const suite = cipherSuite(id);
      const base = fromHex('000102030405060708090a0b0c0d0e0f');
      const prk = await hkdfExtract(suite.hash, new Uint8Array(0), base);
      const expected = await hkdfExpand(suite.hash, prk, new TextEncoder().encode('SFrame 1.0 Ratchet'), suite.nh);
      const next = await ratchetBaseKey(suite, base);
      assert.equal(next.length, suite.nh);
      assert.equal(toHex(next), toHex(expected));
    }
  });

  it('HKDF matches RFC 5869 test case 1', async () => {
    const prk = await hkdfExtract('SHA-256', fromHex('000102030405060708090a0b0c'), fromHex('0b'.repeat(22)));
    assert.equal(toHex(prk), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    const okm = await hkdfExpand('SHA-256', prk, fromHex('f0f1f2f3f4f5f6f7f8f9'), 42);
    assert.equal(toHex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('KID = (generation << R) + step mod 2^R, and receivers look ahead a bounded window', () => {
    assert.equal(composeKid(3n, 5n, 8), 0x305n);
    assert.equal(composeKid(3n, 0x105n, 8), 0x305n);
    assert.deepEqual(splitKid(0x305n, 8), { generation: 3n, stepLowBits: 5n });
    assert.equal(stepsAhead(5n, 7n, 8, 16), 2);
    assert.equal(stepsAhead(0xfen, 0x01n, 8, 16), 3); // wraps around the low bits
    assert.equal(stepsAhead(5n, 5n, 8, 16), 0);
    assert.equal(stepsAhead(5n, 4n, 8, 16), 0); // older
    assert.equal(stepsAhead(5n, 30n, 8, 16), 0); // too far
  });
});
