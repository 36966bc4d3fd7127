/**
 * TOTP (RFC 6238: SHA-1, 30 s steps, 6 digits) through otplib, on an injected clock. A code is accepted within
 * ±1 step; the caller stores the step it matched and refuses that step and older ones afterwards (replay).
 */
import { authenticator } from 'otplib';
import QRCode from 'qrcode';

export const TOTP_STEP_MS = 30_000;
const ISSUER = 'Conclave';

/** What enrolment shows the operator once. */
export interface TotpEnrolment {
  secret: string;
  otpauthUrl: string;
  qrSvg: string;
}

/** A new base32 secret (160 bits). */
export function generateTotpSecret(): string {
  return authenticator.generateSecret(20);
}

/** The enrolment data of `secret` for `email`. */
export async function totpEnrolment(secret: string, email: string): Promise<TotpEnrolment> {
  const otpauthUrl = authenticator.keyuri(email, ISSUER, secret);
  const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', margin: 1 });
  return { secret, otpauthUrl, qrSvg };
}

/** The code of `secret` at time `at` (tests and the operator test client). */
export function totpCode(secret: string, at: number): string {
  return authenticator.clone({ epoch: at }).generate(secret);
}

/** The time step `code` matches at `now` (window ±1), or null. Malformed codes are null, never a throw. */
export function matchTotpStep(secret: string, code: string, now: number): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const delta = authenticator.clone({ epoch: now, window: 1 }).checkDelta(code, secret);
  if (delta === null) return null;
  return Math.floor(now / TOTP_STEP_MS) + delta;
}
