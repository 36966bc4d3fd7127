/**
 * GET /console/api/privacy/deletions?limit — end-user deletions (privacy jobs of kind user_erasure) of every
 * region, newest first, with their receipts: counts per table and the subject's pseudonym, never the userId.
 */
import { z } from 'zod';
import type { RegionStores } from '../../storage/regions.ts';
import { MAX_LIMIT } from './dashboard-options.ts';

export const deletionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100) }).strict();

/** One deletion request and its receipt. */
export interface DeletionSummary {
  id: string;
  sdkAppId: number | null;
  status: 'running' | 'done';
  startedAt: number;
  finishedAt: number | null;
  receipt: { region: string; subjectHash: string | null; deleted: Record<string, number> } | null;
}

export async function listDeletions(stores: RegionStores, limit: number): Promise<DeletionSummary[]> {
  const perRegion = await Promise.all(
    stores.regionNames.map(async (name) => {
      const rows = await stores
        .region(name)
        .store.db.selectFrom('privacy_jobs')
        .selectAll()
        .where('kind', '=', 'user_erasure')
        .orderBy('started_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r): DeletionSummary => {
        const params = JSON.parse(r.params) as { sdkAppId?: unknown };
        return {
          id: r.id,
          sdkAppId: typeof params.sdkAppId === 'number' ? params.sdkAppId : null,
          status: r.status,
          startedAt: r.started_at,
          finishedAt: r.finished_at,
          receipt:
            r.status === 'done'
              ? { region: name, subjectHash: r.subject_hash, deleted: JSON.parse(r.counts) as Record<string, number> }
              : null,
        };
      });
    }),
  );
  return perRegion
    .flat()
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, limit);
}
