/**
 * The opaque key messages of the managed mode. The server relays them between two participants without
 * parsing; only the recipient can open one, and (HPKE mode_auth) only if it really comes from the sender.
 *
 * Wire format, version 1:
 *   u8 version (1) ‖ u8 type (1 = sender key) ‖ HPKE enc (32) ‖ HPKE ciphertext
 * Sealed plaintext of a sender key:
 *   u8 ratchetBits ‖ u64 kid ‖ u64 step ‖ u8 keyLength ‖ key
 * HPKE info binds the message to the suite, the sender and the recipient; the AAD is the 2-byte prefix.
 */
import { concatBytes, decodeBigEndian, encodeBigEndian, utf8 } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import type { CipherSuiteId } from '../sframe/cipher-suites.ts';
import { HPKE_ENC_LENGTH, HPKE_TAG_LENGTH, hpkeOpen, hpkeSeal, type X25519KeyPair } from './hpke.ts';

/** The only version so far. */
export const KEY_MESSAGE_VERSION = 1;
/** Message types. */
export const KeyMessageType = { SenderKey: 1 } as const;
/** The largest base key a message carries (an Nh of SHA-512). */
export const MAX_SENDER_KEY_LENGTH = 64;
const PLAINTEXT_FIXED = 1 + 8 + 8 + 1;
/** The largest valid key message, in bytes; the server may cap relayed blobs at this (or a bit more). */
export const MAX_KEY_MESSAGE_LENGTH = 2 + HPKE_ENC_LENGTH + PLAINTEXT_FIXED + MAX_SENDER_KEY_LENGTH + HPKE_TAG_LENGTH;
const MIN_KEY_MESSAGE_LENGTH = 2 + HPKE_ENC_LENGTH + PLAINTEXT_FIXED + 1 + HPKE_TAG_LENGTH;

/** A sender key as one participant hands it to another. Secret: never log it. */
export interface SenderKeyGrant {
  readonly kid: bigint;
  readonly step: bigint;
  readonly ratchetBits: number;
  readonly baseKey: Uint8Array;
}

/** The parsed outer layer of a key message. */
export interface KeyMessageEnvelope {
  readonly version: number;
  readonly type: number;
  readonly sealed: Uint8Array;
}

function info(suite: CipherSuiteId, senderId: string, recipientId: string): Uint8Array {
  const sender = utf8(senderId);
  const recipient = utf8(recipientId);
  if (sender.length > 255 || recipient.length > 255) throw new E2eeError('E2EE_KEY_MESSAGE_MALFORMED', 'id too long');
  return concatBytes(
    utf8('Conclave E2EE sender key v1'),
    encodeBigEndian(BigInt(suite), 2),
    Uint8Array.of(sender.length),
    sender,
    Uint8Array.of(recipient.length),
    recipient,
  );
}

/**
 * Parses the outer layer. Throws only `E2EE_KEY_MESSAGE_MALFORMED` (wrong size, version or type);
 * it reads nothing secret, so this is the part the property tests hammer.
 */
export function decodeKeyMessage(blob: Uint8Array): KeyMessageEnvelope {
  if (blob.length < MIN_KEY_MESSAGE_LENGTH || blob.length > MAX_KEY_MESSAGE_LENGTH) {
    throw new E2eeError('E2EE_KEY_MESSAGE_MALFORMED', `length ${blob.length}`);
  }
  const version = blob[0] ?? 0;
  const type = blob[1] ?? 0;
  if (version !== KEY_MESSAGE_VERSION) throw new E2eeError('E2EE_KEY_MESSAGE_MALFORMED', `version ${version}`);
  if (type !== KeyMessageType.SenderKey) throw new E2eeError('E2EE_KEY_MESSAGE_MALFORMED', `type ${type}`);
  return { version, type, sealed: blob.subarray(2) };
}

/** Parses a sender-key plaintext; throws only `E2EE_KEY_MESSAGE_MALFORMED`. */
export function decodeSenderKeyPlaintext(plaintext: Uint8Array): SenderKeyGrant {
  const ratchetBits = plaintext[0] ?? 0;
  const keyLength = plaintext[PLAINTEXT_FIXED - 1] ?? 0;
  if (plaintext.length !== PLAINTEXT_FIXED + keyLength || keyLength === 0 || keyLength > MAX_SENDER_KEY_LENGTH) {
    throw new E2eeError('E2EE_KEY_MESSAGE_MALFORMED', 'sender key length');
  }
  if (ratchetBits > 32) throw new E2eeError('E2EE_KEY_MESSAGE_MALFORMED', 'ratchet bits');
  return {
    ratchetBits,
    kid: decodeBigEndian(plaintext.subarray(1, 9)),
    step: decodeBigEndian(plaintext.subarray(9, 17)),
    baseKey: plaintext.slice(PLAINTEXT_FIXED),
  };
}

/** Seals `grant` from `sender` to `recipientPublicKey`. */
export async function sealSenderKey(
  grant: SenderKeyGrant,
  suite: CipherSuiteId,
  sender: { readonly id: string; readonly keyPair: X25519KeyPair },
  recipient: { readonly id: string; readonly publicKey: Uint8Array },
): Promise<Uint8Array> {
  if (grant.baseKey.length === 0 || grant.baseKey.length > MAX_SENDER_KEY_LENGTH) {
    throw new E2eeError('SFRAME_BAD_KEY', 'sender key length');
  }
  const prefix = Uint8Array.of(KEY_MESSAGE_VERSION, KeyMessageType.SenderKey);
  const plaintext = concatBytes(
    Uint8Array.of(grant.ratchetBits),
    encodeBigEndian(grant.kid, 8),
    encodeBigEndian(grant.step, 8),
    Uint8Array.of(grant.baseKey.length),
    grant.baseKey,
  );
  const sealed = await hpkeSeal(recipient.publicKey, info(suite, sender.id, recipient.id), prefix, plaintext, {
    sender: sender.keyPair,
  });
  return concatBytes(prefix, sealed);
}

/**
 * Opens a key message addressed to `recipient` that claims to come from `sender`. Throws only
 * {@link E2eeError}: `E2EE_KEY_MESSAGE_MALFORMED` or `E2EE_KEY_MESSAGE_UNREADABLE` (not for us, not from
 * that sender, or tampered with).
 */
export async function openSenderKey(
  blob: Uint8Array,
  suite: CipherSuiteId,
  sender: { readonly id: string; readonly publicKey: Uint8Array },
  recipient: { readonly id: string; readonly keyPair: X25519KeyPair },
): Promise<SenderKeyGrant> {
  const envelope = decodeKeyMessage(blob);
  const plaintext = await hpkeOpen(
    recipient.keyPair,
    info(suite, sender.id, recipient.id),
    blob.subarray(0, 2),
    envelope.sealed,
    sender.publicKey,
  );
  if (plaintext === undefined) throw new E2eeError('E2EE_KEY_MESSAGE_UNREADABLE');
  return decodeSenderKeyPlaintext(plaintext);
}
