/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../bytes.ts';
import { aeadDecrypt, aeadEncrypt } from './aead.ts';
import { cipherSuite } from './cipher-suites.ts';
import { importAeadKey } from './key-derivation.ts';
import { rfc9605Vectors } from './test-vectors/vectors.ts';

describe('AES-CTR + HMAC AEAD: RFC 9605 Appendix C.2', () => {
  for (const vector of rfc9605Vectors.aes_ctr_hmac) {
    it(`cipher suite ${vector.cipher_suite}`, async () => {
      const suite = cipherSuite(Number(vector.cipher_suite));
      const key = fromHex(vector.key);
      assert.equal(toHex(key.subarray(0, suite.nka)), vector.enc_key);
      assert.equal(toHex(key.subarray(suite.nka)), vector.auth_key);
      const imported = await importAeadKey(suite, 0n, key, new Uint8Array(suite.nn));
      const nonce = fromHex(vector.nonce);
      const aad = fromHex(vector.aad);
      const ct = await aeadEncrypt(imported, nonce, aad, fromHex(vector.pt));
      assert.equal(toHex(ct), vector.ct);
      const pt = await aeadDecrypt(imported, nonce, aad, fromHex(vector.ct));
      assert.equal(pt === undefined ? undefined : toHex(pt), vector.pt);
    });
  }

  it('rejects a flipped tag bit, a flipped AAD bit and a short ciphertext', async () => {
    const vector = rfc9605Vectors.aes_ctr_hmac[0];
    assert.ok(vector);
    const suite = cipherSuite(0x0001);
    const imported = await importAeadKey(suite, 0n, fromHex(vector.key), new Uint8Array(12));
    const nonce = fromHex(vector.nonce);
    const ct = fromHex(vector.ct);
    const badTag = ct.slice();
    badTag[badTag.length - 1] = (badTag[badTag.length - 1] ?? 0) ^ 1;
    assert.equal(await aeadDecrypt(imported, nonce, fromHex(vector.aad), badTag), undefined);
    const badAad = fromHex(vector.aad);
    badAad[0] = (badAad[0] ?? 0) ^ 1;
    assert.equal(await aeadDecrypt(imported, nonce, badAad, ct), undefined);
    assert.equal(await aeadDecrypt(imported, nonce, fromHex(vector.aad), ct.subarray(0, 5)), undefined);
  });
});
