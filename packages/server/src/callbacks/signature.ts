/** TRTC's callback signature: `Sign = base64(HMAC-SHA256(callbackKey, raw body))`. */
import crypto from 'node:crypto';

export function signCallback(callbackKey: string, rawBody: string): string {
  return crypto.createHmac('sha256', callbackKey).update(rawBody).digest('base64');
}

/** Receiver side (used by tests and documented for customers): constant-time check of the Sign header. */
export function verifyCallbackSignature(callbackKey: string, rawBody: string, sign: string): boolean {
  const expected = Buffer.from(signCallback(callbackKey, rawBody));
  const given = Buffer.from(sign);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
