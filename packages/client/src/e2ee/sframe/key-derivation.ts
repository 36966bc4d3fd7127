/**
 * SFrame key and salt derivation (RFC 9605 §4.4.2) and the nonce (§4.4.3). Keys are imported into
 * non-extractable WebCrypto keys once per KID, so per-frame work is only the AEAD itself.
 */
import { bufferSource, concatBytes, encodeBigEndian, utf8 } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import { hkdfExpand, hkdfExtract } from '../hkdf.ts';
import type { CipherSuite } from './cipher-suites.ts';

/** The raw outputs of `derive_key_salt` (kept only for known-answer tests; frames use {@link SFrameKey}). */
export interface DerivedKeySalt {
  readonly secret: Uint8Array;
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
}

/** A KID's ready-to-use keys. */
export interface SFrameKey {
  readonly suite: CipherSuite;
  readonly kid: bigint;
  /** `sframe_salt`, XORed with CTR to make each nonce. */
  readonly salt: Uint8Array;
  /** AES-GCM key, or for ctr-hmac suites the AES-CTR `enc_key`. */
  readonly encKey: CryptoKey;
  /** The HMAC `auth_key` of ctr-hmac suites; undefined for GCM. */
  readonly authKey: CryptoKey | undefined;
}

function label(prefix: string, kid: bigint, suite: CipherSuite): Uint8Array {
  return concatBytes(utf8(prefix), encodeBigEndian(kid, 8), encodeBigEndian(BigInt(suite.id), 2));
}

/** Label bytes of §4.4.2 (exported for the known-answer tests). */
export function keySaltLabels(suite: CipherSuite, kid: bigint): { keyLabel: Uint8Array; saltLabel: Uint8Array } {
  return {
    keyLabel: label('SFrame 1.0 Secret key ', kid, suite),
    saltLabel: label('SFrame 1.0 Secret salt ', kid, suite),
  };
}

/** `derive_key_salt(KID, base_key)` of RFC 9605 §4.4.2. */
export async function deriveKeySalt(suite: CipherSuite, kid: bigint, baseKey: Uint8Array): Promise<DerivedKeySalt> {
  if (baseKey.length === 0) throw new E2eeError('SFRAME_BAD_KEY', 'empty base key');
  const { keyLabel, saltLabel } = keySaltLabels(suite, kid);
  const secret = await hkdfExtract(suite.hash, new Uint8Array(0), baseKey);
  const key = await hkdfExpand(suite.hash, secret, keyLabel, suite.nk);
  const salt = await hkdfExpand(suite.hash, secret, saltLabel, suite.nn);
  return { secret, key, salt };
}

/** Derives and imports the keys for one KID from its base key. */
export async function importSFrameKey(suite: CipherSuite, kid: bigint, baseKey: Uint8Array): Promise<SFrameKey> {
  const { key, salt } = await deriveKeySalt(suite, kid, baseKey);
  return importAeadKey(suite, kid, key, salt);
}

/** Imports an already derived `sframe_key` and `sframe_salt` (also used by the AEAD known-answer tests). */
export async function importAeadKey(
  suite: CipherSuite,
  kid: bigint,
  key: Uint8Array,
  salt: Uint8Array,
): Promise<SFrameKey> {
  if (key.length !== suite.nk || salt.length !== suite.nn) throw new E2eeError('SFRAME_BAD_KEY', 'key or salt length');
  if (suite.aead === 'gcm') {
    const encKey = await crypto.subtle.importKey('raw', bufferSource(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
    return { suite, kid, salt, encKey, authKey: undefined };
  }
  // §4.5.1 derive_subkeys: enc_key = key[..Nka], auth_key = key[Nka..].
  const encKey = await crypto.subtle.importKey('raw', bufferSource(key.subarray(0, suite.nka)), 'AES-CTR', false, [
    'encrypt',
    'decrypt',
  ]);
  const authKey = await crypto.subtle.importKey(
    'raw',
    bufferSource(key.subarray(suite.nka)),
    { name: 'HMAC', hash: suite.hash },
    false,
    ['sign'],
  );
  return { suite, kid, salt, encKey, authKey };
}

/** nonce = sframe_salt XOR CTR, CTR right-aligned as an Nn-byte big-endian integer. */
export function frameNonce(salt: Uint8Array, ctr: bigint): Uint8Array {
  const ctrBytes = encodeBigEndian(ctr, salt.length);
  const nonce = new Uint8Array(salt.length);
  for (let i = 0; i < salt.length; i++) nonce[i] = (salt[i] ?? 0) ^ (ctrBytes[i] ?? 0);
  return nonce;
}
