/**
 * UserSig (TLSSigAPIv2) generation and verification, byte-compatible with Tencent's generators (trtc.md §1).
 *
 * Clock-skew policy:
 * - A token is rejected with USERSIG_EXPIRED when `floor(now / 1000) > TLS.time + TLS.expire`, exactly as
 *   Tencent's verifiers do: whole seconds, no grace period. A token is therefore accepted up to 999 ms past
 *   `expiresAt`.
 * - A token whose `TLS.time` lies more than 60 s after `floor(now / 1000)` is rejected with
 *   USERSIG_NOT_YET_VALID. The 60 s tolerate an issuer whose clock runs ahead of ours; anything further is a
 *   mis-set clock or a token minted to outlive its stated lifetime.
 * - `TLS.expire` above 315,360,000 s (10 years) makes the token USERSIG_MALFORMED: no legitimate issuer
 *   needs more, and the bound keeps `time + expire` far from the limits of exact integer arithmetic.
 * - `now` (milliseconds since the epoch) is injectable; it defaults to `Date.now()`.
 *
 * Verification checks, in this order, each failure with its own code:
 * 1. malformed (USERSIG_MALFORMED): more than 4096 characters, bad outer encoding, not zlib, inflated size
 *    above 8 KiB, trailing bytes, not JSON, unknown or duplicated fields, any field of the wrong type;
 * 2. TLS.sdkappid differs from the expected app (USERSIG_APP_MISMATCH);
 * 3. TLS.identifier differs from the claimed userId (USERSIG_USER_MISMATCH);
 * 4. HMAC mismatch, compared in constant time (USERSIG_BAD_SIGNATURE);
 * 5. issued too far in the future (USERSIG_NOT_YET_VALID), then expired (USERSIG_EXPIRED);
 * 6. userbuf presence differs from `expectUserbuf` (USERSIG_USERBUF_MISMATCH).
 * App and user come first because anyone holding a token can read them anyway (it is only compressed).
 * The signature is checked before any time-based rule so that a forger learns nothing from the clock
 * checks; it is checked after app/user because those select which key and which user a server trusts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { ConclaveError } from '@conclave/protocol';
import { validateSdkAppId, validateUserId } from './identifiers.ts';

/** Longest token accepted, checked before any decoding (real UserSigs are 150–600 characters). */
export const MAX_USERSIG_CHARS = 4096;
/** Largest inflated JSON accepted; inflation stops there, so a zip bomb never allocates more. */
export const MAX_INFLATED_BYTES = 8 * 1024;
/** Longest lifetime a token may state: 10 years of 365 days. */
export const MAX_EXPIRE_SECONDS = 315_360_000;
/** How far in the future `TLS.time` may lie before the token is USERSIG_NOT_YET_VALID. */
export const MAX_FUTURE_SKEW_SECONDS = 60;
/** Largest userbuf {@link generateUserSig} signs; keeps every token we issue under {@link MAX_USERSIG_CHARS}. */
export const MAX_USERBUF_BYTES = 1024;

/** Input of {@link generateUserSig}. */
export interface GenerateUserSigOptions {
  sdkAppId: number;
  userId: string;
  /** The app's secret key; used as UTF-8 bytes for HMAC-SHA256. */
  secretKey: string;
  /** Lifetime in seconds, 0..{@link MAX_EXPIRE_SECONDS}. */
  expireSeconds: number;
  /** Opaque bytes signed into the token (a PrivateMapKey record, for instance). */
  userbuf?: Uint8Array;
  /** Issuing time in ms since the epoch; defaults to `Date.now()`. */
  now?: number;
}

/** Input of {@link verifyUserSig}. */
export interface VerifyUserSigOptions {
  /** The SDKAppID the token must be issued for. */
  sdkAppId: number;
  /** The userId the client claims; the token must be issued for it. */
  userId: string;
  secretKey: string;
  /** ms since the epoch; defaults to `Date.now()`. */
  now?: number;
  /**
   * `true`: a userbuf is required; `false`: a userbuf is forbidden; `undefined`: either is accepted
   * (Tencent's plain UserSig verification ignores a userbuf).
   */
  expectUserbuf?: boolean;
}

/** The claims of a token that passed {@link verifyUserSig}. */
export interface VerifiedUserSig {
  sdkAppId: number;
  userId: string;
  /** `TLS.time`, seconds since the epoch. */
  issuedAt: number;
  /** `TLS.expire`, seconds. */
  expireSeconds: number;
  /** `(TLS.time + TLS.expire) * 1000`, ms since the epoch (see the clock-skew policy above). */
  expiresAt: number;
  /** The signed userbuf, when the token carries one. */
  userbuf?: Uint8Array;
}

/** The fields of a decoded token, types already checked. */
interface UserSigDocument {
  identifier: string;
  sdkAppId: number;
  time: number;
  expire: number;
  /** Standard base64, exactly as signed. */
  userbuf: string | undefined;
  userbufBytes: Buffer | undefined;
  /** The 32 HMAC bytes. */
  sig: Buffer;
}

const OUTER_ALPHABET = /^[A-Za-z0-9*\-_]+$/;
const KNOWN_FIELDS = new Set([
  'TLS.ver',
  'TLS.identifier',
  'TLS.sdkappid',
  'TLS.time',
  'TLS.expire',
  'TLS.userbuf',
  'TLS.sig',
]);
const MAX_IDENTIFIER_CHARS = 256;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Issues a UserSig; with `userbuf` it signs those bytes too (how a PrivateMapKey is built). */
export function generateUserSig(options: GenerateUserSigOptions): string {
  const { secretKey, userbuf } = options;
  validateSecretKey(secretKey);
  const sdkAppId = validateSdkAppId(options.sdkAppId);
  const userId = validateUserId(options.userId);
  const expire = validateExpireSeconds(options.expireSeconds);
  if (userbuf !== undefined && userbuf.length > MAX_USERBUF_BYTES) throw new ConclaveError('INVALID_USERBUF');
  const time = Math.floor((options.now ?? Date.now()) / 1000);
  const userbufBase64 = userbuf === undefined ? undefined : Buffer.from(userbuf).toString('base64');
  const sig = hmac(secretKey, userId, sdkAppId, time, expire, userbufBase64).toString('base64');
  // Field order of Tencent's Node generator; verifiers parse JSON and never depend on it.
  const doc: Record<string, string | number> = {
    'TLS.ver': '2.0',
    'TLS.identifier': userId,
    'TLS.sdkappid': sdkAppId,
    'TLS.time': time,
    'TLS.expire': expire,
  };
  if (userbufBase64 !== undefined) doc['TLS.userbuf'] = userbufBase64;
  doc['TLS.sig'] = sig;
  const base64 = deflateSync(Buffer.from(JSON.stringify(doc), 'utf8')).toString('base64');
  return base64.replace(/[+/=]/g, (c) => (c === '+' ? '*' : c === '/' ? '-' : '_'));
}

/**
 * Verifies a UserSig for the claimed app and user. Throws a {@link ConclaveError} with the code of the first
 * failed check (see the order above); never anything else, whatever the input.
 */
export function verifyUserSig(token: string, options: VerifyUserSigOptions): VerifiedUserSig {
  const { secretKey, expectUserbuf } = options;
  validateSecretKey(secretKey);
  const doc = decodeUserSig(token);
  if (doc.sdkAppId !== options.sdkAppId) throw new ConclaveError('USERSIG_APP_MISMATCH');
  if (doc.identifier !== options.userId) throw new ConclaveError('USERSIG_USER_MISMATCH');
  const expected = hmac(secretKey, doc.identifier, doc.sdkAppId, doc.time, doc.expire, doc.userbuf);
  if (!timingSafeEqual(expected, doc.sig)) throw new ConclaveError('USERSIG_BAD_SIGNATURE');

  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const expiresAtSeconds = doc.time + doc.expire;
  if (doc.time > nowSeconds + MAX_FUTURE_SKEW_SECONDS) {
    throw new ConclaveError('USERSIG_NOT_YET_VALID', undefined, { details: { issuedAt: doc.time } });
  }
  if (nowSeconds > expiresAtSeconds) {
    throw new ConclaveError('USERSIG_EXPIRED', undefined, { details: { expiresAt: expiresAtSeconds * 1000 } });
  }
  if (expectUserbuf !== undefined && expectUserbuf !== (doc.userbuf !== undefined)) {
    throw new ConclaveError(
      'USERSIG_USERBUF_MISMATCH',
      expectUserbuf ? 'The token carries no userbuf' : 'The token carries an unexpected userbuf',
    );
  }

  const verified: VerifiedUserSig = {
    sdkAppId: doc.sdkAppId,
    userId: doc.identifier,
    issuedAt: doc.time,
    expireSeconds: doc.expire,
    expiresAt: expiresAtSeconds * 1000,
  };
  // A copy, so the result never shares Buffer's pooled memory.
  if (doc.userbufBytes !== undefined) verified.userbuf = new Uint8Array(doc.userbufBytes);
  return verified;
}

function hmac(
  secretKey: string,
  identifier: string,
  sdkAppId: number,
  time: number,
  expire: number,
  userbuf: string | undefined,
): Buffer {
  let content = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  if (userbuf !== undefined) content += `TLS.userbuf:${userbuf}\n`;
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(content, 'utf8').digest();
}

/** Undoes the outer encoding and checks every field's type. Throws USERSIG_MALFORMED. */
function decodeUserSig(token: string): UserSigDocument {
  // Size first: nothing below runs on an oversized input.
  if (
    typeof token !== 'string' ||
    token.length === 0 ||
    token.length > MAX_USERSIG_CHARS ||
    !OUTER_ALPHABET.test(token)
  ) {
    throw malformed('bad outer encoding');
  }
  const base64 = token.replace(/[*\-_]/g, (c) => (c === '*' ? '+' : c === '-' ? '/' : '='));
  const compressed = decodeCanonicalBase64(base64);
  if (compressed === undefined) throw malformed('bad outer encoding');
  const json = inflateBounded(compressed);

  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // No cause: JSON.parse quotes the input in its message, and token content must not reach logs.
    throw malformed('not JSON');
  }
  return checkDocument(parsed, json);
}

function inflateBounded(compressed: Buffer): string {
  // Node's zlib error path costs ~30 µs; the RFC 1950 header check turns most garbage away for free.
  if (!hasZlibHeader(compressed)) throw malformed('not zlib, or inflates beyond the limit');
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // `info: true` reports how much input zlib consumed, which reveals bytes after the end of the stream.
    // The typings do not model it, hence the cast.
    result = inflateSync(compressed, { maxOutputLength: MAX_INFLATED_BYTES, info: true }) as unknown as typeof result;
  } catch {
    throw malformed('not zlib, or inflates beyond the limit');
  }
  if (result.engine.bytesWritten !== compressed.length) throw malformed('trailing bytes after the zlib stream');
  try {
    return utf8.decode(result.buffer);
  } catch {
    throw malformed('not UTF-8');
  }
}

/** RFC 1950: CM 8 (deflate), window ≤ 32 KiB, no preset dictionary, header checksum divisible by 31. */
function hasZlibHeader(bytes: Buffer): boolean {
  const cmf = bytes[0];
  const flg = bytes[1];
  if (cmf === undefined || flg === undefined) return false;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (flg & 0x20) === 0 && (cmf * 256 + flg) % 31 === 0;
}

function checkDocument(parsed: unknown, json: string): UserSigDocument {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed('not a JSON object');
  const fields = parsed as Record<string, unknown>;
  const keys = Object.keys(fields);
  for (const key of keys) {
    if (!KNOWN_FIELDS.has(key)) throw malformed('unknown field');
    const value = fields[key];
    if (typeof value !== 'string' && typeof value !== 'number') throw malformed('field of the wrong type');
  }
  const ver = fields['TLS.ver'];
  const identifier = fields['TLS.identifier'];
  const sdkAppId = fields['TLS.sdkappid'];
  const time = fields['TLS.time'];
  const expire = fields['TLS.expire'];
  const userbuf = fields['TLS.userbuf'];
  const sig = fields['TLS.sig'];
  if (ver !== '2.0') throw malformed('TLS.ver is not "2.0"');
  // The signed content is line-based: a newline inside the identifier would make it ambiguous.
  if (
    typeof identifier !== 'string' ||
    identifier.length === 0 ||
    identifier.length > MAX_IDENTIFIER_CHARS ||
    identifier.includes('\n')
  ) {
    throw malformed('bad TLS.identifier');
  }
  if (!isNonNegativeSafeInteger(sdkAppId)) throw malformed('bad TLS.sdkappid');
  if (!isNonNegativeSafeInteger(time)) throw malformed('bad TLS.time');
  if (!isNonNegativeSafeInteger(expire) || expire > MAX_EXPIRE_SECONDS) throw malformed('bad TLS.expire');
  const userbufText = typeof userbuf === 'string' ? userbuf : undefined;
  const userbufBytes = userbufText === undefined ? undefined : decodeCanonicalBase64(userbufText);
  if (userbuf !== undefined && userbufBytes === undefined) throw malformed('bad TLS.userbuf');
  const sigBytes = typeof sig === 'string' ? decodeCanonicalBase64(sig) : undefined;
  if (sigBytes?.length !== 32) throw malformed('bad TLS.sig');
  // JSON.parse keeps the last of duplicated keys; another verifier might keep the first. Refuse both.
  if (countTopLevelMembers(json) !== keys.length) throw malformed('duplicated field');
  return { identifier, sdkAppId, time, expire, userbuf: userbufText, userbufBytes, sig: sigBytes };
}

/**
 * Counts the members of a non-empty JSON object whose values are all strings or numbers: commas outside
 * strings separate members. Only called on text JSON.parse accepted.
 */
function countTopLevelMembers(json: string): number {
  let commas = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x2c) commas++;
  }
  return commas + 1;
}

/**
 * Decodes standard base64 only when `text` is its canonical form (padding present, no stray characters, zero
 * pad bits); Buffer's own decoder silently skips garbage, so the round trip is the strict check.
 */
function decodeCanonicalBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function validateSecretKey(secretKey: unknown): void {
  if (typeof secretKey !== 'string' || secretKey.length === 0) throw new ConclaveError('INVALID_SECRET_KEY');
}

/** A lifetime in seconds: an integer 0..{@link MAX_EXPIRE_SECONDS}. Throws INVALID_EXPIRE. */
export function validateExpireSeconds(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_EXPIRE_SECONDS) {
    throw new ConclaveError('INVALID_EXPIRE');
  }
  return value;
}

function malformed(reason: string): ConclaveError {
  // The reason names the failed check only; the token itself never appears in the error.
  return new ConclaveError('USERSIG_MALFORMED', `The UserSig is malformed: ${reason}`);
}
