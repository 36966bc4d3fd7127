/**
 * Envelope encryption for app secrets. Each app has its own random 256-bit data key; secrets are sealed with
 * AES-256-GCM under that key, and the data key is stored only wrapped (AES-256-GCM) under the master key from
 * configuration. Deleting the wrapped data key (crypto-shredding) makes every copy of the sealed secrets —
 * backups, replicas, a stolen database file — unreadable, even to someone holding the master key.
 */
import crypto from 'node:crypto';
import { ConclaveError } from '@conclave/protocol';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The configured master key and a short non-secret id that tells which master key wrapped a data key. */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

/** Parses a 32-byte master key given as 64 hex characters or base64. */
export function parseMasterKey(text: string): MasterKey {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new ConclaveError('MASTER_KEY_INVALID');
  const id = crypto.createHash('sha256').update('conclave/master-key-id/').update(key).digest('hex').slice(0, 16);
  return { id, key };
}

/** A fresh random data key. */
export function generateDataKey(): Buffer {
  return crypto.randomBytes(32);
}

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new ConclaveError('KEY_UNWRAP_FAILED');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new ConclaveError('KEY_UNWRAP_FAILED', undefined, { cause });
  }
}

// The AAD binds each ciphertext to its app and field, so a sealed value copied onto another app or column fails.
const dataKeyAad = (sdkAppId: number) => `conclave/data-key/${sdkAppId}`;
const fieldAad = (sdkAppId: number, field: string) => `conclave/field/${sdkAppId}/${field}`;

/** Wraps an app's data key under the master key. */
export function wrapDataKey(master: MasterKey, dataKey: Buffer, sdkAppId: number): Buffer {
  return seal(master.key, dataKey, dataKeyAad(sdkAppId));
}

/** Unwraps an app's data key; a wrong master key or tampered bytes give KEY_UNWRAP_FAILED. */
export function unwrapDataKey(master: MasterKey, wrapped: Buffer, sdkAppId: number): Buffer {
  return open(master.key, wrapped, dataKeyAad(sdkAppId));
}

/** Seals one secret field of an app. */
export function sealField(dataKey: Buffer, sdkAppId: number, field: string, value: string): Buffer {
  return seal(dataKey, Buffer.from(value, 'utf8'), fieldAad(sdkAppId, field));
}

/** Opens one secret field of an app. */
export function openField(dataKey: Buffer, sdkAppId: number, field: string, sealed: Buffer): string {
  return open(dataKey, sealed, fieldAad(sdkAppId, field)).toString('utf8');
}
