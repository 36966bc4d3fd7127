/**
 * The AEADs of the SFrame cipher suites: AES-GCM straight from WebCrypto, and RFC 9605 §4.5.1's
 * AES-CTR + truncated HMAC (encrypt-then-MAC) built from WebCrypto AES-CTR and HMAC.
 */
import { bufferSource, concatBytes, constantTimeEqual, encodeBigEndian } from '../bytes.ts';
import type { SFrameKey } from './key-derivation.ts';

/** AEAD.Encrypt(key, nonce, aad, pt) → ciphertext ‖ tag. */
export async function aeadEncrypt(
  key: SFrameKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const { suite } = key;
  if (key.authKey === undefined) {
    const params = {
      name: 'AES-GCM',
      iv: bufferSource(nonce),
      additionalData: bufferSource(aad),
      tagLength: suite.nt * 8,
    };
    return new Uint8Array(await crypto.subtle.encrypt(params, key.encKey, bufferSource(plaintext)));
  }
  const ct = new Uint8Array(await crypto.subtle.encrypt(ctrParams(nonce), key.encKey, bufferSource(plaintext)));
  const tag = await computeTag(key.authKey, suite.nt, nonce, aad, ct);
  return concatBytes(ct, tag);
}

/** AEAD.Decrypt(key, nonce, aad, ct) → plaintext, or `undefined` when authentication fails. */
export async function aeadDecrypt(
  key: SFrameKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array | undefined> {
  const { suite } = key;
  if (ciphertext.length < suite.nt) return undefined;
  if (key.authKey === undefined) {
    const params = {
      name: 'AES-GCM',
      iv: bufferSource(nonce),
      additionalData: bufferSource(aad),
      tagLength: suite.nt * 8,
    };
    try {
      return new Uint8Array(await crypto.subtle.decrypt(params, key.encKey, bufferSource(ciphertext)));
    } catch {
      return undefined; // OperationError: the tag does not match.
    }
  }
  const inner = ciphertext.subarray(0, ciphertext.length - suite.nt);
  const tag = ciphertext.subarray(ciphertext.length - suite.nt);
  const expected = await computeTag(key.authKey, suite.nt, nonce, aad, inner);
  if (!constantTimeEqual(tag, expected)) return undefined;
  return new Uint8Array(await crypto.subtle.decrypt(ctrParams(nonce), key.encKey, bufferSource(inner)));
}

function ctrParams(nonce: Uint8Array): AesCtrParams {
  // initial_counter = nonce ‖ 0x00000000; the low 32 bits count blocks.
  return { name: 'AES-CTR', counter: bufferSource(concatBytes(nonce, new Uint8Array(4))), length: 32 };
}

async function computeTag(
  authKey: CryptoKey,
  nt: number,
  nonce: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Promise<Uint8Array> {
  const authData = concatBytes(
    encodeBigEndian(BigInt(aad.length), 8),
    encodeBigEndian(BigInt(ct.length), 8),
    encodeBigEndian(BigInt(nt), 8),
    nonce,
    aad,
    ct,
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', authKey, bufferSource(authData)));
  return mac.subarray(0, nt);
}
