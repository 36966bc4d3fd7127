/**
 * Grants in the control store (table `grants`). Plain reads and writes; the rules (who may do what, when a grant
 * is usable) live in grants.ts. State changes are conditional updates (`WHERE status = 'pending'`), so two
 * operators deciding the same grant at once cannot both win.
 */
import type { Store } from '../storage/store.ts';
import type { GrantsTable } from '../storage/schema.ts';
import { CALL_DATA_SCOPES } from './access.ts';
import type { CallDataScope } from './access.ts';

/** Who took a step. */
export interface GrantActor {
  id: string;
  email: string;
}

/** A grant as stored (status without the derived `expired`). */
export interface StoredGrant {
  id: string;
  sdkAppId: number;
  scopes: CallDataScope[];
  reason: string;
  durationMinutes: number;
  status: GrantsTable['status'];
  requestedBy: GrantActor;
  requestedAt: number;
  decidedBy: GrantActor | null;
  decidedAt: number | null;
  expiresAt: number | null;
  revokedBy: GrantActor | null;
  revokedAt: number | null;
}

/** A new grant, pending approval. */
export interface NewGrant {
  id: string;
  sdkAppId: number;
  scopes: readonly CallDataScope[];
  reason: string;
  durationMinutes: number;
  requestedBy: GrantActor;
  requestedAt: number;
}

const SCOPE_SET = new Set<string>(CALL_DATA_SCOPES);

function actorOf(id: string | null, email: string | null): GrantActor | null {
  return id === null ? null : { id, email: email ?? '' };
}

function fromRow(row: GrantsTable): StoredGrant {
  return {
    id: row.id,
    sdkAppId: Number(row.sdk_app_id),
    // Stored by this module only; an unknown word (edited by hand) opens nothing rather than failing every read.
    scopes: row.scopes.split(',').filter((s): s is CallDataScope => SCOPE_SET.has(s)),
    reason: row.reason,
    durationMinutes: Number(row.duration_minutes),
    status: row.status,
    requestedBy: { id: row.requested_by_id, email: row.requested_by_email },
    requestedAt: Number(row.requested_at),
    decidedBy: actorOf(row.decided_by_id, row.decided_by_email),
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    revokedBy: actorOf(row.revoked_by_id, row.revoked_by_email),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** Filter of {@link GrantStore.list}; newest request first. */
export interface GrantListFilter {
  requestedBy?: string;
  sdkAppId?: number;
  /** Only grants approved and not yet expired at this time. */
  activeAt?: number;
  limit?: number;
}

/** The grants table. */
export class GrantStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async insert(grant: NewGrant): Promise<StoredGrant> {
    const row: GrantsTable = {
      id: grant.id,
      sdk_app_id: grant.sdkAppId,
      scopes: grant.scopes.join(','),
      reason: grant.reason,
      duration_minutes: grant.durationMinutes,
      status: 'pending',
      requested_by_id: grant.requestedBy.id,
      requested_by_email: grant.requestedBy.email,
      requested_at: grant.requestedAt,
      decided_by_id: null,
      decided_by_email: null,
      decided_at: null,
      expires_at: null,
      revoked_by_id: null,
      revoked_by_email: null,
      revoked_at: null,
    };
    await this.#store.db.insertInto('grants').values(row).execute();
    return fromRow(row);
  }

  async get(id: string): Promise<StoredGrant | undefined> {
    const row = await this.#store.db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async list(filter: GrantListFilter = {}): Promise<StoredGrant[]> {
    let query = this.#store.db.selectFrom('grants').selectAll();
    if (filter.requestedBy !== undefined) query = query.where('requested_by_id', '=', filter.requestedBy);
    if (filter.sdkAppId !== undefined) query = query.where('sdk_app_id', '=', filter.sdkAppId);
    if (filter.activeAt !== undefined)
      query = query.where('status', '=', 'active').where('expires_at', '>', filter.activeAt);
    const rows = await query
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 500)
      .execute();
    return rows.map(fromRow);
  }

  /** Approves or rejects a pending grant; undefined when it was no longer pending. */
  async decide(
    id: string,
    decision: { status: 'active' | 'rejected'; by: GrantActor; at: number; expiresAt: number | null },
  ): Promise<StoredGrant | undefined> {
    const result = await this.#store.db
      .updateTable('grants')
      .set({
        status: decision.status,
        decided_by_id: decision.by.id,
        decided_by_email: decision.by.email,
        decided_at: decision.at,
        expires_at: decision.expiresAt,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? this.get(id) : undefined;
  }

  /** Revokes a pending or active grant; undefined when it was neither. */
  async revoke(id: string, by: GrantActor, at: number): Promise<StoredGrant | undefined> {
    const result = await this.#store.db
      .updateTable('grants')
      .set({ status: 'revoked', revoked_by_id: by.id, revoked_by_email: by.email, revoked_at: at })
      .where('id', '=', id)
      .where('status', 'in', ['pending', 'active'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? this.get(id) : undefined;
  }
}
