/**
 * Retention: expires quality data and logs past their period in every region store, and purges terminated
 * apps — hard-deletes their rows in their region store, then destroys their data key (crypto-shredding) in the
 * control store. Idempotent and restart-safe: cut-offs are fixed when a run starts and stored with the job, so
 * a resumed run deletes exactly what the interrupted one would have.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { RegionStore, RegionStores } from '../storage/regions.ts';
import { utcDay } from '../telemetry/telemetry-store.ts';
import { APP_PURGE_TABLES } from './inventory.ts';
import { JobLedger } from './jobs.ts';
import type { Counts, StepHook } from './jobs.ts';
import { DAY_MS, DEFAULT_RETENTION } from './retention-policy.ts';
import type { RetentionPolicy } from './retention-policy.ts';

/** Options of a retention run. */
export interface RetentionOptions {
  policy?: Partial<RetentionPolicy>;
  afterStep?: StepHook;
  /** The audit log, pruned past `auditRetentionDays` behind a signed marker (audit/audit-log.ts). */
  audit?: { prune(before: number): Promise<number> };
}

/** What a run deleted. */
export interface RetentionReport {
  expired: Record<string, Counts>;
  purgedApps: { sdkAppId: number; region: string; deleted: Counts; dataKeysDestroyed: number }[];
  /** Audit records pruned (0 without an audit log). */
  auditPruned: number;
  /** Control store: vulnerability reports past `securityReportDays`, grants past `auditRetentionDays`. */
  securityReportsPruned: number;
  grantsPruned: number;
}

interface Cutoffs {
  quality: number;
  logs: number;
  usageDay: string;
  receipts: number;
}

async function expireRegion(
  region: RegionStore,
  stores: RegionStores,
  policy: RetentionPolicy,
  afterStep: StepHook | undefined,
): Promise<Counts> {
  const ledger = new JobLedger(region.store, stores.now, afterStep);
  let job = await ledger.findRunning('retention');
  if (job === undefined) {
    const now = stores.now();
    const cutoffs: Cutoffs = {
      quality: now - policy.qualityRetentionDays * DAY_MS,
      logs: now - policy.logRetentionDays * DAY_MS,
      usageDay: utcDay(now - policy.usageRetentionDays * DAY_MS),
      receipts: now - policy.receiptRetentionDays * DAY_MS,
    };
    job = await ledger.start(`retention:${now}:${crypto.randomUUID()}`, 'retention', { ...cutoffs });
  }
  const c = job.params as unknown as Cutoffs;
  const jobId = job.id;
  const n = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  await ledger.step(job, 'expire:quality_samples', async (trx) => ({
    quality_samples: n(await trx.deleteFrom('quality_samples').where('sampled_at', '<', c.quality).executeTakeFirst()),
  }));
  // A bucket goes with its first sample: a rollup never outlives any sample it sums (the boundary bucket's later
  // samples then chart from nothing, for at most 10 s of a call at the retention edge).
  await ledger.step(job, 'expire:quality_rollups', async (trx) => ({
    quality_rollups: n(
      await trx.deleteFrom('quality_rollups').where('bucket_start', '<', c.quality).executeTakeFirst(),
    ),
  }));
  await ledger.step(job, 'expire:user_events', async (trx) => ({
    user_events: n(await trx.deleteFrom('user_events').where('occurred_at', '<', c.quality).executeTakeFirst()),
  }));
  await ledger.step(job, 'expire:backend_logs', async (trx) => ({
    backend_logs: n(await trx.deleteFrom('backend_logs').where('occurred_at', '<', c.logs).executeTakeFirst()),
  }));
  await ledger.step(job, 'expire:room_sessions', async (trx) => ({
    room_sessions: n(
      await trx
        .deleteFrom('room_sessions')
        .where('created_at', '<', c.logs)
        .where((eb) => eb.or([eb('destroyed_at', 'is', null), eb('destroyed_at', '<', c.logs)]))
        .executeTakeFirst(),
    ),
  }));
  await ledger.step(job, 'expire:callback_deliveries', async (trx) => ({
    callback_deliveries: n(
      await trx.deleteFrom('callback_deliveries').where('created_at', '<', c.logs).executeTakeFirst(),
    ),
  }));
  await ledger.step(job, 'expire:usage_daily', async (trx) => ({
    usage_daily: n(await trx.deleteFrom('usage_daily').where('day', '<', c.usageDay).executeTakeFirst()),
  }));
  await ledger.step(job, 'expire:privacy_jobs', async (trx) => ({
    privacy_jobs: n(
      await trx
        .deleteFrom('privacy_jobs')
        .where('status', '=', 'done')
        .where('finished_at', '<', c.receipts)
        .where('id', '!=', jobId)
        .executeTakeFirst(),
    ),
  }));
  await ledger.finish(job);
  return job.counts;
}

async function purgeApp(stores: RegionStores, sdkAppId: number, regionName: string, afterStep: StepHook | undefined) {
  const region = stores.region(regionName);
  await region.writer.flush();
  const ledger = new JobLedger(region.store, stores.now, afterStep);
  const job =
    (await ledger.get(`app_purge:${sdkAppId}`)) ??
    (await ledger.start(`app_purge:${sdkAppId}`, 'app_purge', { sdkAppId }));
  for (const table of APP_PURGE_TABLES) {
    await ledger.step(job, `purge:${table}`, async (trx) => ({
      [table]: Number(
        (await trx.deleteFrom(table).where('sdk_app_id', '=', sdkAppId).executeTakeFirst()).numDeletedRows,
      ),
    }));
  }
  // Keys last: once shredded the app is no longer listed for purging, so its data must already be gone.
  const { dataKeys } = await stores.apps.destroyKeys(sdkAppId);
  // Then once more: whatever was written while the purge ran (accepted before termination, flushed late) goes too.
  // Nothing can be written after this point (storeForWrite refuses terminated apps).
  await region.writer.flush();
  for (const table of APP_PURGE_TABLES) {
    await ledger.step(job, `sweep:${table}`, async (trx) => ({
      [table]: Number(
        (await trx.deleteFrom(table).where('sdk_app_id', '=', sdkAppId).executeTakeFirst()).numDeletedRows,
      ),
    }));
  }
  await ledger.finish(job);
  return { sdkAppId, region: regionName, deleted: job.counts, dataKeysDestroyed: dataKeys };
}

/** Runs retention once over every region and every terminated app past its purge delay. */
export async function runRetention(stores: RegionStores, options: RetentionOptions = {}): Promise<RetentionReport> {
  const policy = { ...DEFAULT_RETENTION, ...options.policy };
  const report: RetentionReport = {
    expired: {},
    purgedApps: [],
    auditPruned: 0,
    securityReportsPruned: 0,
    grantsPruned: 0,
  };
  for (const name of stores.regionNames)
    report.expired[name] = await expireRegion(stores.region(name), stores, policy, options.afterStep);
  const due = await stores.apps.listTerminatedBefore(stores.now() - policy.terminatedAppPurgeDays * DAY_MS);
  for (const app of due) report.purgedApps.push(await purgeApp(stores, app.sdkAppId, app.region, options.afterStep));
  // A purge interrupted after its keys were destroyed is no longer listed above; its job finishes it.
  for (const name of stores.regionNames) {
    const ledger = new JobLedger(stores.region(name).store, stores.now, options.afterStep);
    for (let job = await ledger.findRunning('app_purge'); job; job = await ledger.findRunning('app_purge')) {
      const sdkAppId = Number(job.params['sdkAppId']);
      report.purgedApps.push(await purgeApp(stores, sdkAppId, name, options.afterStep));
    }
  }
  if (options.audit) report.auditPruned = await options.audit.prune(stores.now() - policy.auditRetentionDays * DAY_MS);
  const control = stores.control.store.db;
  report.securityReportsPruned = Number(
    (
      await control
        .deleteFrom('security_reports')
        .where('received_at', '<', stores.now() - policy.securityReportDays * DAY_MS)
        .executeTakeFirst()
    ).numDeletedRows,
  );
  // A grant lasts at most a day from approval, so one requested before the cut-off has long ended.
  report.grantsPruned = Number(
    (
      await control
        .deleteFrom('grants')
        .where('requested_at', '<', stores.now() - policy.auditRetentionDays * DAY_MS)
        .executeTakeFirst()
    ).numDeletedRows,
  );
  return report;
}

/** Runs retention now and then every `intervalMs` (default 1 h), never overlapping. Returns a stop function. */
export function scheduleRetention(
  stores: RegionStores,
  options: RetentionOptions & {
    logger: Logger;
    intervalMs?: number;
    /**
     * In a cluster, runs a pass only where no other node runs one (a lock); resolves false when skipped.
     * Absent: every pass runs here.
     */
    exclusive?: (run: () => Promise<void>) => Promise<boolean>;
  },
): () => void {
  const log = options.logger.child({ subsystem: 'privacy' });
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (options.exclusive) {
        const ran = await options.exclusive(pass);
        if (!ran) log.debug('retention run skipped: another node holds the lock');
        return;
      }
      await pass();
    } catch (err) {
      log.error(
        { err: err instanceof Error ? err.message : String(err) },
        'retention run failed; it resumes on the next run',
      );
    } finally {
      running = false;
    }
  };
  const pass = async (): Promise<void> => {
    const report = await runRetention(stores, options);
    log.info(
      {
        expired: report.expired,
        purgedApps: report.purgedApps.map((a) => a.sdkAppId),
        auditPruned: report.auditPruned,
        securityReportsPruned: report.securityReportsPruned,
        grantsPruned: report.grantsPruned,
      },
      'retention run finished',
    );
  };
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
