import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.ts';
import { matchTotpStep, TOTP_STEP_MS, totpCode, totpEnrolment, generateTotpSecret } from './totp.ts';

test('argon2id: hash is a PHC string with fresh salt; verify accepts the password only; garbage never throws', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword(a, 'correct horse battery'), true);
  assert.equal(await verifyPassword(a, 'correct horse batterY'), false);
  assert.equal(await verifyPassword('not a hash', 'x'), false);
});

test('TOTP: RFC 6238 vector, ±1 step accepted with the step it matched, ±2 refused, malformed null', async () => {
  // RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ), T = 59 s.
  const rfc = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(totpCode(rfc, 59_000), '287082');
  const secret = generateTotpSecret();
  const now = 1_800_000_000_000;
  const step = Math.floor(now / TOTP_STEP_MS);
  for (const d of [-1, 0, 1])
    assert.equal(matchTotpStep(secret, totpCode(secret, now + d * TOTP_STEP_MS), now), step + d);
  for (const d of [-2, 2]) assert.equal(matchTotpStep(secret, totpCode(secret, now + d * TOTP_STEP_MS), now), null);
  for (const bad of ['', '12345', '1234567', 'abcdef', '12 456']) assert.equal(matchTotpStep(secret, bad, now), null);
  const enrolment = await totpEnrolment(secret, 'a@b.example');
  assert.match(enrolment.otpauthUrl, /^otpauth:\/\/totp\/Conclave:a%40b\.example\?secret=[A-Z2-7]+&period=30&digits=6/);
  assert.match(enrolment.qrSvg, /^<svg/);
});
