/**
 * Operator accounts over the control store: creation, listing, role and status changes, and the sign-in checks —
 * password, TOTP (with replay protection), recovery codes — with lock-out after repeated failures.
 * Sessions are sessions.ts's; WebAuthn is webauthn.ts's. Every failure and lock-out is reported as a ConclaveError
 * with a stable code; the routes audit them.
 */
import crypto from 'node:crypto';
import { ConclaveError } from '@conclave/protocol';
import { openField, sealField } from '../apps/envelope.ts';
import type { Store } from '../storage/store.ts';
import type { OperatorsTable } from '../storage/schema.ts';
import { deriveOperatorKeys, hmacHex } from './operator-keys.ts';
import type { OperatorKeys } from './operator-keys.ts';
import { dummyPasswordHash, hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from './passwords.ts';
import type { OperatorRole } from './principal.ts';
import { generateTotpSecret, matchTotpStep, totpEnrolment } from './totp.ts';
import type { TotpEnrolment } from './totp.ts';

/** Failures in a row that lock an account, and for how long. */
export const MAX_FAILED_ATTEMPTS = 5;
export const LOCK_MS = 15 * 60_000;
export const RECOVERY_CODE_COUNT = 10;

export type OperatorStatus = 'active' | 'disabled';

/** An operator as the API shows it. */
export interface OperatorRecord {
  id: string;
  email: string;
  role: OperatorRole;
  status: OperatorStatus;
  totpEnrolled: boolean;
  createdAt: number;
  lastSignInAt: number | null;
}

/** Options of {@link OperatorAccounts}. */
export interface OperatorAccountsOptions {
  /** The control store. */
  store: Store;
  /** The 32-byte master key (the TOTP sealing and recovery hashing keys derive from it). */
  masterKey: Buffer;
  now?: () => number;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

/** Lower-cased, trimmed email, or OPERATOR_INVALID. */
export function normaliseEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e))
    throw new ConclaveError('OPERATOR_INVALID', 'email must look like name@domain (at most 254 characters)');
  return e;
}

function toRecord(row: OperatorsTable): OperatorRecord {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: row.status,
    totpEnrolled: row.totp_enrolled_at !== null,
    createdAt: Number(row.created_at),
    lastSignInAt: row.last_sign_in_at === null ? null : Number(row.last_sign_in_at),
  };
}

const totpField = (operatorId: string) => `operator-totp/${operatorId}`;

/** A recovery code: 10 characters of an unambiguous alphabet, shown as xxxxx-xxxxx. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = crypto.randomBytes(10);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Operator accounts and their sign-in factors. */
export class OperatorAccounts {
  readonly #store: Store;
  readonly #keys: OperatorKeys;
  readonly #now: () => number;

  constructor(options: OperatorAccountsOptions) {
    this.#store = options.store;
    this.#keys = deriveOperatorKeys(options.masterKey);
    this.#now = options.now ?? Date.now;
  }

  get #db() {
    return this.#store.db;
  }

  /** Creates an active operator; the TOTP is enrolled at first sign-in. */
  async create(input: { email: string; role: OperatorRole; password: string }): Promise<OperatorRecord> {
    const email = normaliseEmail(input.email);
    if (input.password.length < PASSWORD_MIN || input.password.length > PASSWORD_MAX)
      throw new ConclaveError('OPERATOR_INVALID', `password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`);
    const existing = await this.#db.selectFrom('operators').select('id').where('email', '=', email).executeTakeFirst();
    if (existing) throw new ConclaveError('OPERATOR_EMAIL_TAKEN');
    const row: OperatorsTable = {
      id: `op_${crypto.randomBytes(12).toString('hex')}`,
      email,
      role: input.role,
      status: 'active',
      password_hash: await hashPassword(input.password),
      totp_secret_sealed: null,
      totp_enrolled_at: null,
      last_totp_step: null,
      failed_attempts: 0,
      locked_until: null,
      created_at: this.#now(),
      last_sign_in_at: null,
    };
    try {
      await this.#db.insertInto('operators').values(row).execute();
    } catch (cause) {
      // A concurrent create of the same email loses on the unique index.
      throw new ConclaveError('OPERATOR_EMAIL_TAKEN', undefined, { cause });
    }
    return toRecord(row);
  }

  async list(): Promise<OperatorRecord[]> {
    const rows = await this.#db.selectFrom('operators').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  /** The operator of an email, if any (for auditing failed sign-ins). */
  async findByEmail(email: string): Promise<OperatorRecord | undefined> {
    let normalised: string;
    try {
      normalised = normaliseEmail(email);
    } catch {
      return undefined;
    }
    const row = await this.#db.selectFrom('operators').selectAll().where('email', '=', normalised).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async get(id: string): Promise<OperatorRecord> {
    return toRecord(await this.#row(id));
  }

  /** Changes role and/or status (ending sessions of a disabled operator is the caller's, via sessions.ts). */
  async update(id: string, change: { role?: OperatorRole; status?: OperatorStatus }): Promise<OperatorRecord> {
    await this.#row(id);
    if (change.role !== undefined || change.status !== undefined)
      await this.#db
        .updateTable('operators')
        .set({
          ...(change.role !== undefined ? { role: change.role } : {}),
          ...(change.status !== undefined ? { status: change.status } : {}),
        })
        .where('id', '=', id)
        .execute();
    return this.get(id);
  }

  async #row(id: string): Promise<OperatorsTable> {
    const row = await this.#db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new ConclaveError('OPERATOR_NOT_FOUND');
    return row;
  }

  /** Refuses a locked account (423) and a disabled one (as wrong credentials: nothing to learn). */
  #assertUsable(row: OperatorsTable): void {
    if (row.status !== 'active') throw new ConclaveError('OPERATOR_CREDENTIALS_INVALID');
    if (row.locked_until !== null && Number(row.locked_until) > this.#now())
      throw new ConclaveError('OPERATOR_LOCKED', undefined, { details: { lockedUntil: Number(row.locked_until) } });
  }

  /** Counts a failure; the fifth in a row locks the account for 15 minutes. */
  async #fail(
    row: OperatorsTable,
    code:
      | 'OPERATOR_CREDENTIALS_INVALID'
      | 'OPERATOR_TOTP_INVALID'
      | 'OPERATOR_TOTP_REPLAYED'
      | 'OPERATOR_RECOVERY_CODE_INVALID'
      | 'OPERATOR_WEBAUTHN_INVALID',
  ): Promise<never> {
    const failed = await this.#db
      .updateTable('operators')
      .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
      .where('id', '=', row.id)
      .returning('failed_attempts')
      .executeTakeFirstOrThrow();
    if (Number(failed.failed_attempts) >= MAX_FAILED_ATTEMPTS) {
      const lockedUntil = this.#now() + LOCK_MS;
      await this.#db
        .updateTable('operators')
        .set({ locked_until: lockedUntil, failed_attempts: 0 })
        .where('id', '=', row.id)
        .execute();
      throw new ConclaveError('OPERATOR_LOCKED', undefined, { details: { lockedUntil, after: code } });
    }
    throw new ConclaveError(code);
  }

  /** A failed second factor of `operatorId` (e.g. a forged WebAuthn response), counted towards lock-out. */
  async recordFailure(operatorId: string, code: 'OPERATOR_WEBAUTHN_INVALID'): Promise<never> {
    return this.#fail(await this.#row(operatorId), code);
  }

  /** Checks email + password; unknown emails cost the same and fail the same. */
  async checkPassword(email: string, password: string): Promise<OperatorRecord> {
    let normalised: string;
    try {
      normalised = normaliseEmail(email);
    } catch {
      normalised = '';
    }
    const row = normalised
      ? await this.#db.selectFrom('operators').selectAll().where('email', '=', normalised).executeTakeFirst()
      : undefined;
    if (!row || password.length > PASSWORD_MAX) {
      await verifyPassword(await dummyPasswordHash(), password.slice(0, PASSWORD_MAX));
      throw new ConclaveError('OPERATOR_CREDENTIALS_INVALID');
    }
    this.#assertUsable(row);
    if (!(await verifyPassword(row.password_hash, password))) return this.#fail(row, 'OPERATOR_CREDENTIALS_INVALID');
    return toRecord(row);
  }

  /** Starts (or restarts, while not yet enrolled) TOTP enrolment: a new sealed secret and what to show. */
  async beginTotpEnrolment(operatorId: string): Promise<TotpEnrolment> {
    const row = await this.#row(operatorId);
    if (row.totp_enrolled_at !== null) throw new ConclaveError('OPERATOR_STATE_CONFLICT', 'TOTP is already enrolled');
    const secret = generateTotpSecret();
    await this.#db
      .updateTable('operators')
      .set({ totp_secret_sealed: sealField(this.#keys.totp, 0, totpField(operatorId), secret) })
      .where('id', '=', operatorId)
      .execute();
    return totpEnrolment(secret, row.email);
  }

  /** Confirms enrolment with a first code; returns the 10 fresh recovery codes (shown once). */
  async completeTotpEnrolment(operatorId: string, code: string): Promise<string[]> {
    const row = await this.#row(operatorId);
    if (row.totp_enrolled_at !== null || row.totp_secret_sealed === null)
      throw new ConclaveError('OPERATOR_STATE_CONFLICT', 'no TOTP enrolment is in progress');
    await this.#acceptTotp(row, code);
    const now = this.#now();
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.#db.transaction().execute(async (trx) => {
      await trx.updateTable('operators').set({ totp_enrolled_at: now }).where('id', '=', operatorId).execute();
      await trx.deleteFrom('operator_recovery_codes').where('operator_id', '=', operatorId).execute();
      await trx
        .insertInto('operator_recovery_codes')
        .values(
          codes.map((c) => ({
            operator_id: operatorId,
            code_hash: this.#recoveryHash(c),
            created_at: now,
            used_at: null,
          })),
        )
        .execute();
    });
    return codes;
  }

  /** Checks a TOTP code of an enrolled operator. */
  async checkTotp(operatorId: string, code: string): Promise<OperatorRecord> {
    const row = await this.#row(operatorId);
    if (row.totp_enrolled_at === null) throw new ConclaveError('OPERATOR_STATE_CONFLICT', 'TOTP is not enrolled yet');
    await this.#acceptTotp(row, code);
    return toRecord(row);
  }

  async #acceptTotp(row: OperatorsTable, code: string): Promise<void> {
    this.#assertUsable(row);
    if (row.totp_secret_sealed === null) throw new ConclaveError('OPERATOR_STATE_CONFLICT', 'no TOTP secret');
    const secret = openField(this.#keys.totp, 0, totpField(row.id), row.totp_secret_sealed);
    const step = matchTotpStep(secret, code, this.#now());
    if (step === null) return this.#fail(row, 'OPERATOR_TOTP_INVALID');
    // Only a step newer than the last accepted one passes; the conditional update makes this hold under races too.
    const last = row.last_totp_step === null ? -1 : Number(row.last_totp_step);
    if (step <= last) return this.#fail(row, 'OPERATOR_TOTP_REPLAYED');
    const updated = await this.#db
      .updateTable('operators')
      .set({ last_totp_step: step })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_totp_step', 'is', null), eb('last_totp_step', '<', step)]))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return this.#fail(row, 'OPERATOR_TOTP_REPLAYED');
  }

  /** Uses one recovery code (each works once). */
  async useRecoveryCode(operatorId: string, code: string): Promise<OperatorRecord> {
    const row = await this.#row(operatorId);
    this.#assertUsable(row);
    const normalised = code.trim().toLowerCase();
    if (!/^[a-z0-9]{5}-[a-z0-9]{5}$/.test(normalised)) return this.#fail(row, 'OPERATOR_RECOVERY_CODE_INVALID');
    const used = await this.#db
      .updateTable('operator_recovery_codes')
      .set({ used_at: this.#now() })
      .where('operator_id', '=', operatorId)
      .where('code_hash', '=', this.#recoveryHash(normalised))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) return this.#fail(row, 'OPERATOR_RECOVERY_CODE_INVALID');
    return toRecord(row);
  }

  /** Recovery codes not yet used. */
  async remainingRecoveryCodes(operatorId: string): Promise<number> {
    const r = await this.#db
      .selectFrom('operator_recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('operator_id', '=', operatorId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Records a completed sign-in: failures reset, last sign-in time set. */
  async signedIn(operatorId: string): Promise<OperatorRecord> {
    await this.#db
      .updateTable('operators')
      .set({ failed_attempts: 0, locked_until: null, last_sign_in_at: this.#now() })
      .where('id', '=', operatorId)
      .execute();
    return this.get(operatorId);
  }

  /** True when the account may still act (active): sessions of a disabled operator open nothing. */
  async isActive(operatorId: string): Promise<OperatorRecord | undefined> {
    const row = await this.#db.selectFrom('operators').selectAll().where('id', '=', operatorId).executeTakeFirst();
    return row && row.status === 'active' ? toRecord(row) : undefined;
  }

  #recoveryHash(code: string): string {
    return hmacHex(this.#keys.recovery, code);
  }
}
