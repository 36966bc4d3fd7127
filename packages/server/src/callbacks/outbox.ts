/**
 * The persisted callback queue of one region store (table callback_deliveries). Each row is one event: pending
 * until delivered or given up, and afterwards the delivery log an operator reads. An app's queue is FIFO: only
 * its oldest pending row (the head) may be attempted, so a receiver sees events in the order they happened.
 */
import type { Selectable } from 'kysely';
import type { CallbackDeliveriesTable } from '../storage/schema.ts';
import type { Store } from '../storage/store.ts';

/** A queued event as the dispatcher sees it. */
export interface OutboxEntry {
  id: number;
  sdkAppId: number;
  body: string;
  attempts: number;
  nextAttemptAt: number;
  firstAttemptAt: number | null;
  /** The node holding the event now, and until when (cluster). */
  claimedBy: string | null;
  claimUntil: number | null;
}

/** One row of the delivery log (no body: it names end users). */
export interface DeliveryLogEntry {
  id: number;
  eventType: number;
  status: CallbackDeliveriesTable['status'];
  attempts: number;
  createdAt: number;
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  finishedAt: number | null;
}

/** The result of one attempt and what follows: delivered, retry at `nextAttemptAt`, or given up. */
export interface AttemptRecord {
  at: number;
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'failed';
  nextAttemptAt?: number;
}

const entry = (r: Selectable<CallbackDeliveriesTable>): OutboxEntry => ({
  id: r.id,
  sdkAppId: r.sdk_app_id,
  body: r.body,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  firstAttemptAt: r.first_attempt_at,
  claimedBy: r.claimed_by,
  claimUntil: r.claim_until === null ? null : Number(r.claim_until),
});

export class CallbackOutbox {
  constructor(readonly store: Store) {}

  /** Queues an event, due at once. */
  async enqueue(e: { sdkAppId: number; eventType: number; userId: string | null; body: string; at: number }) {
    await this.store.db
      .insertInto('callback_deliveries')
      .values({
        sdk_app_id: e.sdkAppId,
        event_type: e.eventType,
        user_id: e.userId,
        body: e.body,
        status: 'pending',
        attempts: 0,
        created_at: e.at,
        next_attempt_at: e.at,
        first_attempt_at: null,
        last_attempt_at: null,
        last_status: null,
        last_latency_ms: null,
        last_error: null,
        finished_at: null,
        claimed_by: null,
        claim_until: null,
      })
      .execute();
  }

  /** Pending events of an app (the queue bound is checked against it). */
  async pendingCount(sdkAppId: number): Promise<number> {
    const row = await this.store.db
      .selectFrom('callback_deliveries')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('status', '=', 'pending')
      .where('sdk_app_id', '=', sdkAppId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The head of every app's queue: its oldest pending event. */
  async heads(): Promise<OutboxEntry[]> {
    const rows = await this.store.db
      .selectFrom('callback_deliveries')
      .selectAll()
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('callback_deliveries')
          .select((e) => e.fn.min('id').as('id'))
          .where('status', '=', 'pending')
          .groupBy('sdk_app_id'),
      )
      .execute();
    return rows.map(entry);
  }

  /**
   * Claims, for `node` until `now + leaseMs`, the due head of every app's queue that no other node holds: the
   * cluster's guard against two nodes delivering one event. On PostgreSQL the heads are locked with
   * `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass over each other's rows instead of waiting; the claim
   * condition is checked again in the update. On SQLite (one node, one writer) the update alone does it.
   * A claim left by a dead node expires with its lease and the head is claimed anew — the event is then
   * attempted again (at-least-once at the receiver for that one event, as with any crash mid-request).
   */
  async claimHeads(node: string, now: number, leaseMs: number): Promise<OutboxEntry[]> {
    return this.store.db.transaction().execute(async (trx) => {
      let candidates = trx
        .selectFrom('callback_deliveries')
        .select('id')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('callback_deliveries')
            .select((e) => e.fn.min('id').as('id'))
            .where('status', '=', 'pending')
            .groupBy('sdk_app_id'),
        )
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) =>
          eb.or([eb('claim_until', 'is', null), eb('claim_until', '<=', now), eb('claimed_by', '=', node)]),
        );
      if (this.store.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
      const ids = (await candidates.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      const rows = await trx
        .updateTable('callback_deliveries')
        .set({ claimed_by: node, claim_until: now + leaseMs })
        .where('id', 'in', ids)
        .where('status', '=', 'pending')
        .where((eb) =>
          eb.or([eb('claim_until', 'is', null), eb('claim_until', '<=', now), eb('claimed_by', '=', node)]),
        )
        .returningAll()
        .execute();
      return rows.map(entry);
    });
  }

  /** Drops this node's claims (on a graceful stop), so another node need not wait for them to expire. */
  async releaseClaims(node: string): Promise<void> {
    await this.store.db
      .updateTable('callback_deliveries')
      .set({ claimed_by: null, claim_until: null })
      .where('claimed_by', '=', node)
      .where('status', '=', 'pending')
      .execute();
  }

  /**
   * Records an attempt and its consequence on the event's row, and ends the claim. With `node`, only while that
   * node still holds the claim: a node whose lease ran out (and was taken over) records nothing. Returns whether
   * the row was written.
   */
  async record(e: OutboxEntry, a: AttemptRecord, node?: string): Promise<boolean> {
    let q = this.store.db
      .updateTable('callback_deliveries')
      .set({
        status: a.outcome === 'retry' ? 'pending' : a.outcome,
        attempts: e.attempts + 1,
        first_attempt_at: e.firstAttemptAt ?? a.at,
        last_attempt_at: a.at,
        next_attempt_at: a.nextAttemptAt ?? e.nextAttemptAt,
        last_status: a.httpStatus,
        last_latency_ms: Math.round(a.latencyMs),
        last_error: a.error === null ? null : a.error.slice(0, 200),
        finished_at: a.outcome === 'retry' ? null : a.at,
        claimed_by: null,
        claim_until: null,
      })
      .where('id', '=', e.id);
    if (node !== undefined) q = q.where('claimed_by', '=', node);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * After a restart every pending event is due at once: the server's downtime must not use up an event's minute
   * of retries. (An event whose minute had already passed gets this one attempt, then is given up if it fails.)
   */
  async dueNow(now: number): Promise<void> {
    await this.store.db
      .updateTable('callback_deliveries')
      .set({ next_attempt_at: now })
      .where('status', '=', 'pending')
      .where('next_attempt_at', '>', now)
      .execute();
  }

  /** An app's delivery log, newest first. */
  async log(sdkAppId: number, options: { limit: number; beforeId?: number }): Promise<DeliveryLogEntry[]> {
    let q = this.store.db.selectFrom('callback_deliveries').selectAll().where('sdk_app_id', '=', sdkAppId);
    if (options.beforeId !== undefined) q = q.where('id', '<', options.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(options.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      eventType: r.event_type,
      status: r.status,
      attempts: r.attempts,
      createdAt: r.created_at,
      firstAttemptAt: r.first_attempt_at,
      lastAttemptAt: r.last_attempt_at,
      lastStatus: r.last_status,
      lastLatencyMs: r.last_latency_ms,
      lastError: r.last_error,
      finishedAt: r.finished_at,
    }));
  }
}
