/** GET /console/api/apps/:sdkAppId/usage?from&to — participant-seconds per UTC day (billing view). */
import { z } from 'zod';
import type { RegionStore } from '../../storage/regions.ts';
import { utcDay } from '../../telemetry/telemetry-store.ts';
import { epochMs } from './dashboard-options.ts';

export const usageQuery = z.object({ from: epochMs.optional(), to: epochMs.optional() }).strict();

export async function usageDays(
  region: RegionStore,
  sdkAppId: number,
  from: number,
  to: number,
): Promise<{ day: string; participantSeconds: number }[]> {
  const rows = await region.store.db
    .selectFrom('usage_daily')
    .select(['day', 'participant_seconds'])
    .where('sdk_app_id', '=', sdkAppId)
    .where('day', '>=', utcDay(from))
    .where('day', '<=', utcDay(to))
    .orderBy('day')
    .execute();
  return rows.map((r) => ({ day: r.day, participantSeconds: Number(r.participant_seconds) }));
}
