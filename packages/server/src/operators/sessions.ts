/**
 * Operator sessions over the control store. The cookie carries a random token; the store keeps only its SHA-256.
 * A session is `pending` after the password and `signed_in` after the second factor. It ends on sign-out, after
 * `idleMs` without a request, `maxMs` after it began, or when its operator is disabled.
 * The CSRF token of a session is HMAC(csrf key, session id): nothing to store, nothing to guess.
 */
import crypto from 'node:crypto';
import type { Store } from '../storage/store.ts';
import type { OperatorSessionsTable } from '../storage/schema.ts';
import { deriveOperatorKeys, hmacHex, randomToken, safeEqual, tokenHash } from './operator-keys.ts';

export const SESSION_COOKIE = 'conclave_operator';

/** Options of {@link OperatorSessions}. */
export interface OperatorSessionsOptions {
  store: Store;
  masterKey: Buffer;
  idleMs: number;
  maxMs: number;
  now?: () => number;
}

/** A live session. */
export interface OperatorSession {
  id: string;
  operatorId: string;
  state: 'pending' | 'signed_in';
  createdAt: number;
  lastSeenAt: number;
  /** When it ends if idle from now (or at the absolute limit, whichever is first). */
  expiresAt: number;
  webauthnChallenge: string | null;
}

/** A pending session waits at most this long for its second factor. */
const PENDING_MAX_MS = 10 * 60_000;
/** Cookie tokens are 43 base64url characters; anything else is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The operator sessions. */
export class OperatorSessions {
  readonly #store: Store;
  readonly #csrfKey: Buffer;
  readonly #idleMs: number;
  readonly #maxMs: number;
  readonly #now: () => number;

  constructor(options: OperatorSessionsOptions) {
    this.#store = options.store;
    this.#csrfKey = deriveOperatorKeys(options.masterKey).csrf;
    this.#idleMs = options.idleMs;
    this.#maxMs = options.maxMs;
    this.#now = options.now ?? Date.now;
  }

  get #db() {
    return this.#store.db;
  }

  /** Opens a pending session; returns the cookie token (shown only here). */
  async createPending(operatorId: string): Promise<{ token: string; session: OperatorSession }> {
    const token = randomToken(32);
    const now = this.#now();
    const row: OperatorSessionsTable = {
      id: `ses_${crypto.randomBytes(12).toString('hex')}`,
      token_hash: tokenHash(token),
      operator_id: operatorId,
      state: 'pending',
      created_at: now,
      last_seen_at: now,
      webauthn_challenge: null,
    };
    await this.#db.insertInto('operator_sessions').values(row).execute();
    return { token, session: this.#toSession(row) };
  }

  /**
   * The session of a cookie token, touched (idle timer restarted), or undefined when the token is malformed,
   * unknown or expired (an expired one is deleted). Never throws on hostile input.
   */
  async resolve(token: string | undefined): Promise<OperatorSession | undefined> {
    if (token === undefined || !TOKEN_SHAPE.test(token)) return undefined;
    const row = await this.#db
      .selectFrom('operator_sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash(token))
      .executeTakeFirst();
    if (!row) return undefined;
    const now = this.#now();
    if (this.#expired(row, now)) {
      await this.#db.deleteFrom('operator_sessions').where('id', '=', row.id).execute();
      return undefined;
    }
    await this.#db.updateTable('operator_sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
    return this.#toSession({ ...row, last_seen_at: now });
  }

  #expired(row: OperatorSessionsTable, now: number): boolean {
    const created = Number(row.created_at);
    const max = row.state === 'pending' ? Math.min(this.#maxMs, PENDING_MAX_MS) : this.#maxMs;
    return now - Number(row.last_seen_at) >= this.#idleMs || now - created >= max;
  }

  #toSession(row: OperatorSessionsTable): OperatorSession {
    const created = Number(row.created_at);
    const lastSeen = Number(row.last_seen_at);
    return {
      id: row.id,
      operatorId: row.operator_id,
      state: row.state,
      createdAt: created,
      lastSeenAt: lastSeen,
      expiresAt: Math.min(lastSeen + this.#idleMs, created + this.#maxMs),
      webauthnChallenge: row.webauthn_challenge,
    };
  }

  /** Marks the second factor done. */
  async promote(sessionId: string): Promise<void> {
    await this.#db
      .updateTable('operator_sessions')
      .set({ state: 'signed_in', webauthn_challenge: null, last_seen_at: this.#now() })
      .where('id', '=', sessionId)
      .execute();
  }

  /** Remembers the outstanding WebAuthn challenge of a session (null clears it). */
  async setChallenge(sessionId: string, challenge: string | null): Promise<void> {
    await this.#db
      .updateTable('operator_sessions')
      .set({ webauthn_challenge: challenge })
      .where('id', '=', sessionId)
      .execute();
  }

  /** Ends one session. */
  async end(sessionId: string): Promise<void> {
    await this.#db.deleteFrom('operator_sessions').where('id', '=', sessionId).execute();
  }

  /** Ends every session of an operator; returns how many. */
  async endAll(operatorId: string): Promise<number> {
    const r = await this.#db.deleteFrom('operator_sessions').where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Live sessions of an operator (expired ones not counted). */
  async count(operatorId: string): Promise<number> {
    const rows = await this.#db
      .selectFrom('operator_sessions')
      .selectAll()
      .where('operator_id', '=', operatorId)
      .execute();
    const now = this.#now();
    return rows.filter((r) => !this.#expired(r, now)).length;
  }

  /** Deletes expired sessions (housekeeping). */
  async prune(): Promise<number> {
    const now = this.#now();
    const r = await this.#db
      .deleteFrom('operator_sessions')
      .where((eb) => eb.or([eb('last_seen_at', '<=', now - this.#idleMs), eb('created_at', '<=', now - this.#maxMs)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** The CSRF token of a session. */
  csrfToken(sessionId: string): string {
    return hmacHex(this.#csrfKey, sessionId);
  }

  /** True when `given` is the session's CSRF token (constant time; anything malformed is false). */
  checkCsrf(sessionId: string, given: unknown): boolean {
    return typeof given === 'string' && given.length === 64 && safeEqual(given, this.csrfToken(sessionId));
  }
}
