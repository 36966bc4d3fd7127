/**
 * The job ledger (privacy_jobs): a job is a list of named steps; each step's deletions and the record that the
 * step is done commit in the same transaction. A job interrupted by a crash therefore resumes exactly where it
 * stopped, and its counts (the receipt) are neither lost nor doubled.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, PrivacyJobsTable } from '../storage/schema.ts';
import type { Store } from '../storage/store.ts';

/** Rows deleted per table. */
export type Counts = Record<string, number>;

/** A job as read from the ledger. */
export interface JobState {
  id: string;
  kind: PrivacyJobsTable['kind'];
  status: PrivacyJobsTable['status'];
  params: Record<string, unknown>;
  completedSteps: Set<string>;
  counts: Counts;
  startedAt: number;
  finishedAt: number | null;
}

/** Called after each committed step; tests throw from it to simulate a crash midway. */
export type StepHook = (info: { store: string; jobId: string; step: string }) => void | Promise<void>;

function parse(row: Awaited<ReturnType<typeof selectJob>>): JobState | undefined {
  if (row === undefined) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    params: JSON.parse(row.params) as Record<string, unknown>,
    completedSteps: new Set(JSON.parse(row.completed_steps) as string[]),
    counts: JSON.parse(row.counts) as Counts,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function selectJob(db: Kysely<Database>, id: string) {
  return db.selectFrom('privacy_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Reads and advances jobs recorded in one store. */
export class JobLedger {
  constructor(
    readonly store: Store,
    readonly now: () => number,
    readonly afterStep?: StepHook,
  ) {}

  /** The unfinished job of this kind (and subject), if a previous run was interrupted. */
  async findRunning(kind: PrivacyJobsTable['kind'], subjectHash?: string): Promise<JobState | undefined> {
    let q = this.store.db
      .selectFrom('privacy_jobs')
      .select('id')
      .where('kind', '=', kind)
      .where('status', '=', 'running');
    if (subjectHash !== undefined) q = q.where('subject_hash', '=', subjectHash);
    const row = await q.orderBy('started_at').executeTakeFirst();
    return row === undefined ? undefined : this.get(row.id);
  }

  /** One job by id. */
  async get(id: string): Promise<JobState | undefined> {
    return parse(await selectJob(this.store.db, id));
  }

  /** Records a new running job. */
  async start(
    id: string,
    kind: PrivacyJobsTable['kind'],
    params: Record<string, unknown>,
    subjectHash: string | null = null,
  ): Promise<JobState> {
    const now = this.now();
    await this.store.db
      .insertInto('privacy_jobs')
      .values({
        id,
        kind,
        status: 'running',
        params: JSON.stringify(params),
        subject_hash: subjectHash,
        completed_steps: '[]',
        counts: '{}',
        started_at: now,
        updated_at: now,
        finished_at: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return (await this.get(id)) as JobState;
  }

  /** Runs a step unless already done; `work` deletes inside the transaction and returns its counts. */
  async step(job: JobState, step: string, work: (trx: Transaction<Database>) => Promise<Counts>): Promise<void> {
    if (job.completedSteps.has(step)) return;
    const next = await this.store.db.transaction().execute(async (trx) => {
      const counts = await work(trx);
      const merged = { ...job.counts };
      for (const [table, n] of Object.entries(counts)) merged[table] = (merged[table] ?? 0) + n;
      const steps = new Set(job.completedSteps).add(step);
      await trx
        .updateTable('privacy_jobs')
        .set({ completed_steps: JSON.stringify([...steps]), counts: JSON.stringify(merged), updated_at: this.now() })
        .where('id', '=', job.id)
        .execute();
      return { merged, steps };
    });
    // Only after commit does the in-memory state advance; a failed transaction leaves both untouched.
    job.counts = next.merged;
    job.completedSteps = next.steps;
    await this.afterStep?.({ store: this.store.name, jobId: job.id, step });
  }

  /** Marks the job done; `params` replaces the stored parameters (used to drop personal identifiers). */
  async finish(job: JobState, params: Record<string, unknown> = job.params): Promise<void> {
    const now = this.now();
    await this.store.db
      .updateTable('privacy_jobs')
      .set({ status: 'done', params: JSON.stringify(params), updated_at: now, finished_at: now })
      .where('id', '=', job.id)
      .execute();
    job.status = 'done';
    job.params = params;
    job.finishedAt = now;
  }
}
