/**
 * Operator account and session tests run by the store contract (storage/contract.ts) on SQLite and PostgreSQL,
 * each on a fresh store with a clock the test moves.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { ConclaveError } from '@conclave/protocol';
import type { ErrorCode } from '@conclave/protocol';
import type { RegionStores } from '../storage/regions.ts';
import { LOCK_MS, MAX_FAILED_ATTEMPTS, OperatorAccounts } from './accounts.ts';
import { OperatorSessions } from './sessions.ts';
import { TOTP_STEP_MS, totpCode } from './totp.ts';

interface Fresh {
  stores: RegionStores;
  clock: { t: number };
}

async function rejects(fn: () => Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(fn, (err: unknown) => err instanceof ConclaveError && err.code === code);
}

const PASSWORD = 'correct horse battery';

/** Registers the operator tests of the store contract. */
export function operatorsContract(fresh: () => Promise<Fresh>): void {
  async function setup() {
    const f = await fresh();
    const masterKey = crypto.randomBytes(32);
    const store = f.stores.control.store;
    const now = () => f.clock.t;
    const accounts = new OperatorAccounts({ store, masterKey, now });
    const sessions = new OperatorSessions({ store, masterKey, idleMs: 30 * 60_000, maxMs: 12 * 3_600_000, now });
    return { ...f, accounts, sessions, store };
  }

  /** An operator with TOTP enrolled at the current clock; returns its secret and recovery codes. */
  async function enrolled(s: Awaited<ReturnType<typeof setup>>, email = 'Ops@Example.com') {
    const op = await s.accounts.create({ email, role: 'support', password: PASSWORD });
    const { secret } = await s.accounts.beginTotpEnrolment(op.id);
    const codes = await s.accounts.completeTotpEnrolment(op.id, totpCode(secret, s.clock.t));
    // Well past the enrolment code's step, so the window around the new time is all unused.
    s.clock.t += 3 * TOTP_STEP_MS;
    return { op, secret, codes };
  }

  test('operators: create, list, email unique case-insensitively, password hashed, update', async () => {
    const s = await setup();
    const op = await s.accounts.create({ email: ' Alice@Example.COM ', role: 'admin', password: PASSWORD });
    assert.equal(op.email, 'alice@example.com');
    assert.equal(op.totpEnrolled, false);
    await rejects(
      () => s.accounts.create({ email: 'ALICE@example.com', role: 'support', password: PASSWORD }),
      'OPERATOR_EMAIL_TAKEN',
    );
    await rejects(
      () => s.accounts.create({ email: 'bob@example.com', role: 'support', password: 'short' }),
      'OPERATOR_INVALID',
    );
    const row = await s.store.db.selectFrom('operators').selectAll().executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^\$argon2id\$/);
    assert.ok(!row.password_hash.includes(PASSWORD));
    assert.equal((await s.accounts.checkPassword('alice@EXAMPLE.com', PASSWORD)).id, op.id);
    await rejects(
      () => s.accounts.checkPassword('alice@example.com', 'wrong password!'),
      'OPERATOR_CREDENTIALS_INVALID',
    );
    await rejects(() => s.accounts.checkPassword('nobody@example.com', PASSWORD), 'OPERATOR_CREDENTIALS_INVALID');
    const changed = await s.accounts.update(op.id, { role: 'auditor', status: 'disabled' });
    assert.deepEqual([changed.role, changed.status], ['auditor', 'disabled']);
    await rejects(() => s.accounts.checkPassword('alice@example.com', PASSWORD), 'OPERATOR_CREDENTIALS_INVALID');
    assert.equal((await s.accounts.list()).length, 1);
    await rejects(() => s.accounts.get('op_nope'), 'OPERATOR_NOT_FOUND');
  });

  test('operators: TOTP secret sealed; ±1 step accepted, ±2 refused; a used step is refused (replay)', async () => {
    const s = await setup();
    const { op, secret } = await enrolled(s);
    const row = await s.store.db.selectFrom('operators').selectAll().executeTakeFirstOrThrow();
    assert.ok(row.totp_secret_sealed !== null && !row.totp_secret_sealed.toString('latin1').includes(secret));
    const t = s.clock.t;
    await rejects(() => s.accounts.checkTotp(op.id, totpCode(secret, t + 2 * TOTP_STEP_MS)), 'OPERATOR_TOTP_INVALID');
    await rejects(() => s.accounts.checkTotp(op.id, totpCode(secret, t - 2 * TOTP_STEP_MS)), 'OPERATOR_TOTP_INVALID');
    await s.accounts.checkTotp(op.id, totpCode(secret, t - TOTP_STEP_MS + 1));
    await rejects(() => s.accounts.checkTotp(op.id, totpCode(secret, t - TOTP_STEP_MS + 1)), 'OPERATOR_TOTP_REPLAYED');
    await s.accounts.signedIn(op.id); // a completed sign-in resets the failure count (the password alone does not)
    await s.accounts.checkTotp(op.id, totpCode(secret, t + TOTP_STEP_MS));
    // The step after the newest accepted one is gone too, even though it is still inside the window.
    await rejects(() => s.accounts.checkTotp(op.id, totpCode(secret, t)), 'OPERATOR_TOTP_REPLAYED');
    await rejects(() => s.accounts.checkTotp(op.id, 'abcdef'), 'OPERATOR_TOTP_INVALID');
  });

  test('operators: 5 failures lock for 15 minutes (even the right code), then it unlocks', async () => {
    const s = await setup();
    const { op, secret } = await enrolled(s);
    for (let i = 1; i < MAX_FAILED_ATTEMPTS; i++)
      await rejects(() => s.accounts.checkTotp(op.id, '000000'), 'OPERATOR_TOTP_INVALID');
    await rejects(() => s.accounts.checkTotp(op.id, '000000'), 'OPERATOR_LOCKED');
    await rejects(() => s.accounts.checkTotp(op.id, totpCode(secret, s.clock.t)), 'OPERATOR_LOCKED');
    await rejects(() => s.accounts.checkPassword(op.email, PASSWORD), 'OPERATOR_LOCKED');
    s.clock.t += LOCK_MS - 1000;
    await rejects(() => s.accounts.checkPassword(op.email, PASSWORD), 'OPERATOR_LOCKED');
    s.clock.t += 1000;
    await s.accounts.checkPassword(op.email, PASSWORD);
    await s.accounts.checkTotp(op.id, totpCode(secret, s.clock.t));
    // Wrong passwords count as well.
    for (let i = 1; i < MAX_FAILED_ATTEMPTS; i++)
      await rejects(() => s.accounts.checkPassword(op.email, 'not the password'), 'OPERATOR_CREDENTIALS_INVALID');
    await rejects(() => s.accounts.checkPassword(op.email, 'not the password'), 'OPERATOR_LOCKED');
  });

  test('operators: 10 recovery codes, hashed, each works once', async () => {
    const s = await setup();
    const { op, codes } = await enrolled(s);
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    const stored = await s.store.db.selectFrom('operator_recovery_codes').select('code_hash').execute();
    assert.ok(stored.every((r) => !codes.includes(r.code_hash)));
    const first = codes[0] as string;
    await s.accounts.useRecoveryCode(op.id, first.toUpperCase());
    await rejects(() => s.accounts.useRecoveryCode(op.id, first), 'OPERATOR_RECOVERY_CODE_INVALID');
    await rejects(() => s.accounts.useRecoveryCode(op.id, 'aaaaa-aaaaa'), 'OPERATOR_RECOVERY_CODE_INVALID');
    assert.equal(await s.accounts.remainingRecoveryCodes(op.id), 9);
  });

  test('sessions: token hashed, pending → signed in, idle and absolute expiry, end, end everywhere', async () => {
    const s = await setup();
    const { op } = await enrolled(s);
    const { token, session } = await s.sessions.createPending(op.id);
    const row = await s.store.db.selectFrom('operator_sessions').selectAll().executeTakeFirstOrThrow();
    assert.notEqual(row.token_hash, token);
    assert.equal((await s.sessions.resolve(token))?.state, 'pending');
    await s.sessions.promote(session.id);
    assert.equal((await s.sessions.resolve(token))?.state, 'signed_in');
    const wrongLast = token.endsWith('A') ? 'B' : 'A';
    assert.equal(await s.sessions.resolve(`${token.slice(0, -1)}${wrongLast}`), undefined);
    // Idle: a request every 29 minutes keeps it alive, 30 minutes of silence end it.
    for (let i = 0; i < 4; i++) {
      s.clock.t += 29 * 60_000;
      assert.ok(await s.sessions.resolve(token), `alive after ${i + 1} × 29 min`);
    }
    s.clock.t += 30 * 60_000;
    assert.equal(await s.sessions.resolve(token), undefined);
    // Absolute: active all along, still ends at 12 hours.
    const b = await s.sessions.createPending(op.id);
    await s.sessions.promote(b.session.id);
    for (let elapsed = 0; elapsed + 20 * 60_000 < 12 * 3_600_000; elapsed += 20 * 60_000) {
      s.clock.t += 20 * 60_000;
      assert.ok(await s.sessions.resolve(b.token));
    }
    s.clock.t += 20 * 60_000;
    assert.equal(await s.sessions.resolve(b.token), undefined);
    // End one, end all.
    const c = await s.sessions.createPending(op.id);
    const d = await s.sessions.createPending(op.id);
    await s.sessions.end(c.session.id);
    assert.equal(await s.sessions.resolve(c.token), undefined);
    assert.ok(await s.sessions.resolve(d.token));
    const e = await s.sessions.createPending(op.id);
    assert.equal(await s.sessions.endAll(op.id), 2);
    assert.equal(await s.sessions.resolve(d.token), undefined);
    assert.equal(await s.sessions.resolve(e.token), undefined);
  });
}
