/**
 * Per-user deletion: erases one end user's rows (app + userId) in every category that holds them and returns a
 * receipt of counts per table. Restart-safe through the job ledger; the userId is dropped from the job record
 * when the job finishes, leaving only a hash and counts.
 */
import crypto from 'node:crypto';
import { ConclaveError } from '@conclave/protocol';
import { assertSdkAppId } from '../apps/registry.ts';
import type { RegionStores } from '../storage/regions.ts';
import { USER_ERASURE_TABLES } from './inventory.ts';
import { JobLedger } from './jobs.ts';
import type { Counts, StepHook } from './jobs.ts';

/** What was deleted for a request. */
export interface DeletionReceipt {
  jobId: string;
  sdkAppId: number;
  region: string;
  /** SHA-256 of `{sdkAppId}:{userId}`, so the receipt can be matched to a request without storing the id. */
  subjectHash: string;
  deleted: Counts;
  requestedAt: number;
  completedAt: number;
}

/**
 * The pseudonym of an erasure subject in job records and receipts: HMAC-SHA256 under a key derived from the master
 * key, so guessing userIds and hashing them reveals nothing. The operator can recompute it for a given user.
 */
export function subjectHash(subjectKey: Buffer, sdkAppId: number, userId: string): string {
  return crypto.createHmac('sha256', subjectKey).update(`${sdkAppId}:${userId}`).digest('hex');
}

const USER_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** Erases every stored row of `userId` in app `sdkAppId`. Unknown app → APP_NOT_FOUND; bad ids → clear errors. */
export async function eraseUser(
  stores: RegionStores,
  request: { sdkAppId: unknown; userId: unknown },
  options: { afterStep?: StepHook } = {},
): Promise<DeletionReceipt> {
  const sdkAppId = assertSdkAppId(request.sdkAppId);
  if (typeof request.userId !== 'string' || !USER_ID.test(request.userId)) throw new ConclaveError('INVALID_USER_ID');
  const userId = request.userId;
  const region = await stores.storeForApp(sdkAppId);
  // Rows still in the batch buffer would otherwise be written after the erasure.
  await region.writer.flush();

  const ledger = new JobLedger(region.store, stores.now, options.afterStep);
  const hash = subjectHash(stores.subjectKey, sdkAppId, userId);
  const job =
    (await ledger.findRunning('user_erasure', hash)) ??
    (await ledger.start(
      `user_erasure:${stores.now()}:${crypto.randomUUID()}`,
      'user_erasure',
      { sdkAppId, userId },
      hash,
    ));
  for (const table of USER_ERASURE_TABLES) {
    await ledger.step(job, `erase:${table}`, async (trx) => {
      const r = await trx
        .deleteFrom(table)
        .where('sdk_app_id', '=', sdkAppId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return { [table]: Number(r.numDeletedRows) };
    });
  }
  await ledger.finish(job, { sdkAppId });
  const deleted: Counts = Object.fromEntries(USER_ERASURE_TABLES.map((t) => [t, job.counts[t] ?? 0]));
  return {
    jobId: job.id,
    sdkAppId,
    region: region.name,
    subjectHash: hash,
    deleted,
    requestedAt: job.startedAt,
    completedAt: job.finishedAt ?? stores.now(),
  };
}
