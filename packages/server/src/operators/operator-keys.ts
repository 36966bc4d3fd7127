/**
 * The keys of the operator plane, each derived from the master key with HKDF under its own label (so one can
 * never be used as another): the TOTP sealing key, the CSRF key and the recovery-code hashing key. Plus the
 * random tokens and the hashes of them that are all the store keeps.
 */
import crypto from 'node:crypto';

/** Keys derived from the master key. */
export interface OperatorKeys {
  /** Seals TOTP secrets (AES-256-GCM via apps/envelope.ts sealField). */
  readonly totp: Buffer;
  /** HMAC key of CSRF tokens: csrf = HMAC(csrf, session id). */
  readonly csrf: Buffer;
  /** HMAC key of stored recovery codes. */
  readonly recovery: Buffer;
}

function derive(masterKey: Buffer, label: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), `conclave/operators/${label}`, 32));
}

/** Derives the operator keys from the 32-byte master key. */
export function deriveOperatorKeys(masterKey: Buffer): OperatorKeys {
  return { totp: derive(masterKey, 'totp'), csrf: derive(masterKey, 'csrf'), recovery: derive(masterKey, 'recovery') };
}

/** A random URL-safe token of `bytes` random bytes. */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/** Hex SHA-256 of a session token: what the store keeps instead of the token. */
export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Keyed hex HMAC-SHA-256. */
export function hmacHex(key: Buffer, value: string): string {
  return crypto.createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/** Constant-time equality of two strings (hashed first so lengths never leak or throw). */
export function safeEqual(a: string, b: string): boolean {
  const da = crypto.createHash('sha256').update(a, 'utf8').digest();
  const db = crypto.createHash('sha256').update(b, 'utf8').digest();
  return crypto.timingSafeEqual(da, db);
}
