/**
 * The audit log over the control store: appends entries to a hash chain, lists them, signs checkpoints of the
 * head, prunes past retention behind a signed marker, and verifies the whole thing.
 *
 * Appends are batched: entries queue in memory and one transaction writes all that are waiting, so the chain head
 * is locked once per batch (SQLite: the first statement of the transaction writes the head row, which takes the
 * database's write lock; PostgreSQL: the same UPDATE locks the head row until commit). That lock is what makes the
 * chain order the append order across processes, not only within one.
 */
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { Store } from '../storage/store.ts';
import type { AuditRecordsTable, Database } from '../storage/schema.ts';
import type { AuditEntry, AuditSink } from './audit-entry.ts';
import { chainHash, fromRow, recordBody, toRow } from './chain.ts';
import type { AuditRecord } from './chain.ts';
import { CheckpointSigner, CheckpointVerifier } from './checkpoint-key.ts';
import { verifyAuditChain } from './verify.ts';
import type { AuditVerifyResult } from './verify.ts';

/** Options of {@link AuditLog}. */
export interface AuditLogOptions {
  /** The control store. */
  store: Store;
  /** The 32-byte master key: the checkpoint signing key is derived from it. */
  masterKey: Buffer;
  logger: Logger;
  now?: () => number;
  /** Sign a checkpoint once this many records follow the last one (default 1000; 0 = only on demand and timer). */
  checkpointEveryRecords?: number;
  /** Most records per append transaction (default 1000). */
  maxBatch?: number;
}

/** Filter of {@link AuditLog.list}; newest first. */
export interface AuditListFilter {
  limit?: number;
  /** Only records with seq below this (paging cursor). */
  before?: number;
  action?: string;
  /** The acting operator (or automation / customer id). */
  actorId?: string;
  sdkAppId?: number;
}

/** A signed checkpoint. */
export interface AuditCheckpoint {
  kind: 'head' | 'pruned';
  seq: number;
  hash: string;
  at: number;
  keyId: string;
  signature: string;
}

interface Pending {
  entry: AuditEntry;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

type Trx = Transaction<Database>;

/** Locks the chain head for the rest of the transaction and returns it. */
async function lockHead(trx: Trx): Promise<{ seq: number; hash: string; at: number }> {
  // A write as the first statement: SQLite takes its write lock here (waiting on busy_timeout), PostgreSQL the
  // row lock, and READ COMMITTED re-reads the row as committed by whoever held it before.
  const head = await trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb.ref('seq') }))
    .where('id', '=', 1)
    .returning(['seq', 'hash', 'at'])
    .executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash, at: Number(head.at) };
}

/** The tamper-evident audit log. */
export class AuditLog implements AuditSink {
  readonly #store: Store;
  readonly #signer: CheckpointSigner;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #checkpointEvery: number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #sinceCheckpoint = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Appends that failed to reach the store (logged; `append` never throws into the caller's path). */
  failedAppends = 0;

  constructor(options: AuditLogOptions) {
    this.#store = options.store;
    this.#signer = CheckpointSigner.fromMasterKey(options.masterKey);
    this.#log = options.logger.child({ subsystem: 'audit' });
    this.#now = options.now ?? Date.now;
    this.#checkpointEvery = options.checkpointEveryRecords ?? 1000;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  /** Hex of the checkpoint public key (32 bytes), for an external verifier. */
  get publicKeyHex(): string {
    return this.#signer.publicKeyHex;
  }

  /** Fingerprint of the checkpoint key. */
  get keyId(): string {
    return this.#signer.keyId;
  }

  /** Appends without throwing: a store failure is logged and counted (AuditSink contract). */
  async append(entry: AuditEntry): Promise<void> {
    await this.record(entry).catch((err: unknown) => {
      this.failedAppends += 1;
      this.#log.error(
        { action: entry.action, result: entry.result, err: err instanceof Error ? err.message : String(err) },
        'audit append failed',
      );
    });
  }

  /** Appends and resolves with the stored record once committed; rejects when the store fails (fail-closed callers). */
  record(entry: AuditEntry): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      this.#flushing ??= this.#drain();
    });
  }

  /** Resolves once everything appended so far is committed. */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  async #drain(): Promise<void> {
    // Let the current tick's appends join the batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const records = await this.#store.db.transaction().execute((trx) => this.#write(trx, batch));
          batch.forEach((p, i) => p.resolve(records[i] as AuditRecord));
          this.#sinceCheckpoint += records.length;
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
        if (this.#checkpointEvery > 0 && this.#sinceCheckpoint >= this.#checkpointEvery)
          await this.#signHead().catch((err: unknown) =>
            this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'audit checkpoint failed'),
          );
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #write(trx: Trx, batch: Pending[]): Promise<AuditRecord[]> {
    const head = await lockHead(trx);
    // Times never go backwards along the chain, even across processes whose clocks differ a little.
    const at = Math.max(this.#now(), head.at);
    let prevHash = head.hash;
    const records = batch.map((p, i) => {
      const body = recordBody(p.entry, head.seq + 1 + i, at);
      const hash = chainHash(prevHash, body);
      const record: AuditRecord = { ...body, prevHash, hash };
      prevHash = hash;
      return record;
    });
    const rows = records.map(toRow);
    // Bounded statements: 17 columns per row stays far below SQLite's 32,766 bound parameters.
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('audit_records')
        .values(rows.slice(i, i + 500))
        .execute();
    const last = records[records.length - 1] as AuditRecord;
    await trx.updateTable('audit_head').set({ seq: last.seq, hash: last.hash, at }).where('id', '=', 1).execute();
    return records;
  }

  /** Records newest first. */
  async list(filter: AuditListFilter = {}): Promise<AuditRecord[]> {
    let q = this.#store.db.selectFrom('audit_records').selectAll();
    if (filter.before !== undefined) q = q.where('seq', '<', filter.before);
    if (filter.action !== undefined) q = q.where('action', '=', filter.action);
    if (filter.actorId !== undefined) q = q.where('actor_id', '=', filter.actorId);
    if (filter.sdkAppId !== undefined) q = q.where('target_app', '=', filter.sdkAppId);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000))
      .execute();
    return rows.map((r) => fromRow(r as AuditRecordsTable));
  }

  /** Signs the current head (idempotent per head seq); undefined while the log is empty. */
  async checkpoint(): Promise<AuditCheckpoint | undefined> {
    await this.flush();
    return this.#signHead();
  }

  // Not via checkpoint(): the drain loop calls this, and flush() would wait for the drain itself.
  #signHead(): Promise<AuditCheckpoint | undefined> {
    this.#sinceCheckpoint = 0;
    return this.#store.db.transaction().execute(async (trx) => {
      const head = await lockHead(trx);
      if (head.seq === 0) return undefined;
      const existing = await trx
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('kind', '=', 'head')
        .where('seq', '=', head.seq)
        .executeTakeFirst();
      if (existing !== undefined) return toCheckpoint(existing);
      const statement = { kind: 'head' as const, seq: head.seq, hash: head.hash, at: this.#now() };
      const checkpoint = { ...statement, keyId: this.#signer.keyId, signature: this.#signer.sign(statement) };
      await trx.insertInto('audit_checkpoints').values(toCheckpointRow(checkpoint)).execute();
      return checkpoint;
    });
  }

  /** Signed checkpoints and retention markers, oldest first. */
  async checkpoints(): Promise<AuditCheckpoint[]> {
    const rows = await this.#store.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
    return rows.map(toCheckpoint);
  }

  /**
   * Deletes records older than `before` (epoch ms), keeping the newest record always, and leaves a signed
   * "pruned through seq N, hash H" marker: verification starts from it, so pruning never makes verify fail,
   * while deleting old records without the key still shows as `deleted`. Returns the number of records deleted.
   */
  async prune(before: number): Promise<number> {
    await this.flush();
    return this.#store.db.transaction().execute(async (trx) => {
      const head = await lockHead(trx);
      const last = await trx
        .selectFrom('audit_records')
        .select(['seq', 'hash'])
        .where('at', '<', before)
        .where('seq', '<', head.seq)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last === undefined) return 0;
      const seq = Number(last.seq);
      const statement = { kind: 'pruned' as const, seq, hash: last.hash, at: this.#now() };
      const marker = { ...statement, keyId: this.#signer.keyId, signature: this.#signer.sign(statement) };
      await trx
        .insertInto('audit_checkpoints')
        .values(toCheckpointRow(marker))
        .onConflict((oc) => oc.doNothing())
        .execute();
      const deleted = await trx.deleteFrom('audit_records').where('seq', '<=', seq).executeTakeFirst();
      await trx.deleteFrom('audit_checkpoints').where('seq', '<=', seq).where('kind', '=', 'head').execute();
      await trx.deleteFrom('audit_checkpoints').where('seq', '<', seq).where('kind', '=', 'pruned').execute();
      return Number(deleted.numDeletedRows);
    });
  }

  /**
   * Verifies the chain and every checkpoint; with `publicKey` (hex or base64, 32 bytes) signatures are checked
   * against that key instead of the one derived here (an external verifier's copy).
   */
  async verify(options: { publicKey?: string } = {}): Promise<AuditVerifyResult> {
    await this.flush();
    const verifier = options.publicKey === undefined ? this.#signer : CheckpointVerifier.fromText(options.publicKey);
    return verifyAuditChain(this.#store, verifier);
  }

  /** Signs a checkpoint every `intervalMs` while records were added (the "every T minutes" rule). */
  start(intervalMs = 15 * 60_000): void {
    this.stop();
    let seenSeq = -1;
    this.#timer = setInterval(() => {
      void (async () => {
        const head = await this.#store.db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
        if (head === undefined || Number(head.seq) === seenSeq) return;
        seenSeq = Number(head.seq);
        await this.checkpoint();
      })().catch((err: unknown) =>
        this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'audit checkpoint failed'),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and commits what is queued. */
  async close(): Promise<void> {
    this.stop();
    await this.flush();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function toCheckpoint(row: Database['audit_checkpoints']): AuditCheckpoint {
  return {
    kind: row.kind,
    seq: Number(row.seq),
    hash: row.hash,
    at: Number(row.at),
    keyId: row.key_id,
    signature: row.signature,
  };
}

function toCheckpointRow(c: AuditCheckpoint): Database['audit_checkpoints'] {
  return { kind: c.kind, seq: c.seq, hash: c.hash, at: c.at, key_id: c.keyId, signature: c.signature };
}
