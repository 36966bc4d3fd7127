/**
 * The slice of HPKE (RFC 9180) the managed mode needs, on WebCrypto: DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, AES-128-GCM, single-shot seal/open (sequence number 0), in mode_base and mode_auth.
 * mode_auth is what key messages use: the sender's static key takes part in the KEM, so only the holder
 * of a participant's private key can make a key message that opens as coming from them (base mode alone
 * would let the relaying server hand out sender keys of its own making).
 * Swap for `@hpke/core` if it becomes a dependency; the wire format is the same (enc ‖ ciphertext).
 */
import { bufferSource, concatBytes, utf8 } from '../bytes.ts';
import { hkdfExpand, hkdfExtract } from '../hkdf.ts';

const KEM_ID = 0x0020;
const KDF_ID = 0x0001;
const AEAD_ID = 0x0001;
const N_SECRET = 32;
const N_ENC = 32;
const N_K = 16;
const N_N = 12;
/** AES-GCM tag length. */
export const HPKE_TAG_LENGTH = 16;
/** Length of `enc`, the encapsulated ephemeral public key that prefixes every sealed message. */
export const HPKE_ENC_LENGTH = N_ENC;

const KEM_SUITE_ID = concatBytes(utf8('KEM'), u16(KEM_ID));
const HPKE_SUITE_ID = concatBytes(utf8('HPKE'), u16(KEM_ID), u16(KDF_ID), u16(AEAD_ID));
const MODE_BASE = 0x00;
const MODE_AUTH = 0x02;

/** An X25519 key pair whose raw 32-byte public key is at hand. */
export interface X25519KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: Uint8Array;
}

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

function labeledExtract(suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Promise<Uint8Array> {
  return hkdfExtract('SHA-256', salt, concatBytes(utf8('HPKE-v1'), suiteId, utf8(label), ikm));
}

function labeledExpand(
  suiteId: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return hkdfExpand('SHA-256', prk, concatBytes(u16(length), utf8('HPKE-v1'), suiteId, utf8(label), info), length);
}

/** A fresh X25519 key pair (the private key is not extractable). */
export async function generateX25519KeyPair(): Promise<X25519KeyPair> {
  const pair = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  return {
    privateKey: pair.privateKey,
    publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)),
  };
}

/** Imports a raw X25519 key pair (tests with published vectors). */
export async function importX25519KeyPair(privateKey: Uint8Array, publicKey: Uint8Array): Promise<X25519KeyPair> {
  const b64url = (bytes: Uint8Array): string =>
    btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const jwk = { kty: 'OKP', crv: 'X25519', d: b64url(privateKey), x: b64url(publicKey) };
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'X25519' }, false, ['deriveBits']);
  return { privateKey: key, publicKey: publicKey.slice() };
}

async function dh(privateKey: CryptoKey, publicKey: Uint8Array): Promise<Uint8Array> {
  const peer = await crypto.subtle.importKey('raw', bufferSource(publicKey), { name: 'X25519' }, false, []);
  const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: 'X25519', public: peer }, privateKey, 256));
  // RFC 9180 §7.1.4: an all-zero X25519 output (a small-order public key) must be rejected.
  if (shared.every((byte) => byte === 0)) throw new Error('X25519 produced the all-zero value');
  return shared;
}

async function extractAndExpand(dhValue: Uint8Array, kemContext: Uint8Array): Promise<Uint8Array> {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, new Uint8Array(0), 'eae_prk', dhValue);
  return labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, N_SECRET);
}

/** KeySchedule of §5.1 without PSK; returns the AEAD key and base nonce. */
async function keySchedule(
  mode: number,
  sharedSecret: Uint8Array,
  info: Uint8Array,
): Promise<{ key: Uint8Array; nonce: Uint8Array }> {
  const empty = new Uint8Array(0);
  const pskIdHash = await labeledExtract(HPKE_SUITE_ID, empty, 'psk_id_hash', empty);
  const infoHash = await labeledExtract(HPKE_SUITE_ID, empty, 'info_hash', info);
  const context = concatBytes(Uint8Array.of(mode), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE_ID, sharedSecret, 'secret', empty);
  return {
    key: await labeledExpand(HPKE_SUITE_ID, secret, 'key', context, N_K),
    nonce: await labeledExpand(HPKE_SUITE_ID, secret, 'base_nonce', context, N_N),
  };
}

async function aesGcm(
  direction: 'encrypt' | 'decrypt',
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey('raw', bufferSource(key), 'AES-GCM', false, [direction]);
  const params = { name: 'AES-GCM', iv: bufferSource(nonce), additionalData: bufferSource(aad) };
  const out =
    direction === 'encrypt'
      ? await crypto.subtle.encrypt(params, cryptoKey, bufferSource(data))
      : await crypto.subtle.decrypt(params, cryptoKey, bufferSource(data));
  return new Uint8Array(out);
}

/** Options of {@link hpkeSeal}. */
export interface SealOptions {
  /** mode_auth: the sender's static key pair. Omitted: mode_base. */
  readonly sender?: X25519KeyPair;
  /** A fixed ephemeral key pair (known-answer tests only). */
  readonly ephemeral?: X25519KeyPair;
}

/** SealBase / SealAuth to `recipientPublicKey`: returns enc ‖ ciphertext. */
export async function hpkeSeal(
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  options: SealOptions = {},
): Promise<Uint8Array> {
  const ephemeral = options.ephemeral ?? (await generateX25519KeyPair());
  const enc = ephemeral.publicKey;
  let dhValue = await dh(ephemeral.privateKey, recipientPublicKey);
  let kemContext = concatBytes(enc, recipientPublicKey);
  if (options.sender !== undefined) {
    dhValue = concatBytes(dhValue, await dh(options.sender.privateKey, recipientPublicKey));
    kemContext = concatBytes(kemContext, options.sender.publicKey);
  }
  const mode = options.sender === undefined ? MODE_BASE : MODE_AUTH;
  const { key, nonce } = await keySchedule(mode, await extractAndExpand(dhValue, kemContext), info);
  return concatBytes(enc, await aesGcm('encrypt', key, nonce, aad, plaintext));
}

/**
 * OpenBase / OpenAuth of `enc ‖ ciphertext` with the recipient's key pair (and, for mode_auth, the
 * sender's public key). Returns `undefined` if it does not open; never throws for bad input.
 */
export async function hpkeOpen(
  recipient: X25519KeyPair,
  info: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  senderPublicKey?: Uint8Array,
): Promise<Uint8Array | undefined> {
  if (sealed.length < N_ENC + HPKE_TAG_LENGTH) return undefined;
  const enc = sealed.subarray(0, N_ENC);
  try {
    let dhValue = await dh(recipient.privateKey, enc);
    let kemContext = concatBytes(enc, recipient.publicKey);
    if (senderPublicKey !== undefined) {
      dhValue = concatBytes(dhValue, await dh(recipient.privateKey, senderPublicKey));
      kemContext = concatBytes(kemContext, senderPublicKey);
    }
    const mode = senderPublicKey === undefined ? MODE_BASE : MODE_AUTH;
    const { key, nonce } = await keySchedule(mode, await extractAndExpand(dhValue, kemContext), info);
    return await aesGcm('decrypt', key, nonce, aad, sealed.subarray(N_ENC));
  } catch {
    return undefined; // a bad point, a wrong key or a failed tag all look the same to the caller
  }
}
