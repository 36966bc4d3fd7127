/**
 * HKDF (RFC 5869) split into Extract and Expand, over WebCrypto HMAC. WebCrypto's own HKDF only offers
 * the two steps fused, and SFrame, its ratchet and HPKE all need them apart.
 */
import { bufferSource, concatBytes } from './bytes.ts';

/** The hash functions the e2ee code uses. */
export type HashName = 'SHA-256' | 'SHA-512';

/** Output length in bytes of a hash. */
export function hashLength(hash: HashName): number {
  return hash === 'SHA-256' ? 32 : 64;
}

/** HMAC(key, data) with the given hash. */
export async function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  // An empty HMAC key is legal (HKDF-Extract with salt "" uses HashLen zero bytes per RFC 5869, which HMAC
  // pads to the same block), but WebCrypto refuses zero-length keys, so use the equivalent zero block.
  const keyBytes = key.length === 0 ? new Uint8Array(hashLength(hash)) : key;
  const cryptoKey = await crypto.subtle.importKey('raw', bufferSource(keyBytes), { name: 'HMAC', hash }, false, [
    'sign',
  ]);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, bufferSource(data)));
}

/** HKDF-Extract(salt, ikm) → PRK. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return hmac(hash, salt, ikm);
}

/** HKDF-Expand(prk, info, length). */
export async function hkdfExpand(
  hash: HashName,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const hashLen = hashLength(hash);
  if (length > 255 * hashLen) throw new RangeError('HKDF-Expand length too large');
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++) {
    previous = await hmac(hash, prk, concatBytes(previous, info, Uint8Array.of(i)));
    out.set(previous.subarray(0, Math.min(hashLen, length - offset)), offset);
    offset += hashLen;
  }
  return out;
}
