/**
 * GET /console/api/apps/:sdkAppId/calls?from&to&userId&roomId&limit&before — an app's calls newest first, with
 * user and abnormal-sample counts; `nextBefore` (`{createdAt}:{commId}`) pages on. Three queries for a whole page,
 * none per row (1,000 calls paint at once in the console).
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Store } from '../../storage/store.ts';
import { ABNORMAL_SAMPLE_SQL } from './abnormal.ts';
import { MAX_LIMIT, epochMs, roomIdText, timeRange, userIdText } from './dashboard-options.ts';

/** Keeps the planner on the per-call indexes for the page's CommIds (see quality.ts). */
const appColumn = sql<number>`+sdk_app_id`;

export const callListQuery = z
  .object({
    from: epochMs.optional(),
    to: epochMs.optional(),
    userId: userIdText.optional(),
    roomId: roomIdText.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100),
    before: z
      .string()
      .regex(/^\d{1,15}:[^\s]{1,96}$/)
      .optional(),
  })
  .strict();
export type CallListQuery = z.output<typeof callListQuery>;

/** One row of the call list. */
export interface CallSummary {
  commId: string;
  roomId: string;
  createdAt: number;
  destroyedAt: number | null;
  durationSeconds: number;
  userCount: number;
  status: 'live' | 'ended';
  abnormalCount: number;
}

/** Calls of `sdkAppId` overlapping the window, newest first (`before` excludes that cursor and newer). */
export async function listCalls(
  store: Store,
  sdkAppId: number,
  q: CallListQuery,
  now: number,
): Promise<{ calls: CallSummary[]; nextBefore: string | null }> {
  const { from, to } = timeRange(q, now, 7 * 86_400_000);
  let query = store.db
    .selectFrom('room_sessions')
    .select(['comm_id', 'room_id', 'created_at', 'destroyed_at'])
    .where('sdk_app_id', '=', sdkAppId)
    .where('created_at', '<=', to)
    .where((eb) => eb.or([eb('destroyed_at', 'is', null), eb('destroyed_at', '>=', from)]));
  if (q.roomId !== undefined) query = query.where('room_id', '=', q.roomId);
  if (q.userId !== undefined) {
    const userId = q.userId;
    query = query.where('comm_id', 'in', (eb) =>
      eb.selectFrom('backend_logs').select('comm_id').where('sdk_app_id', '=', sdkAppId).where('user_id', '=', userId),
    );
  }
  if (q.before !== undefined) {
    const split = q.before.indexOf(':');
    const createdAt = Number(q.before.slice(0, split));
    const commId = q.before.slice(split + 1);
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('comm_id', '<', commId)])]),
    );
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('comm_id', 'desc').limit(q.limit).execute();
  const commIds = rows.map((r) => r.comm_id);
  const [users, abnormal] =
    commIds.length === 0
      ? [[], []]
      : await Promise.all([
          store.db
            .selectFrom('backend_logs')
            .select(['comm_id', (eb) => eb.fn.count<number | string>('user_id').distinct().as('n')])
            .where(appColumn, '=', sdkAppId)
            .where('comm_id', 'in', commIds)
            .groupBy('comm_id')
            .execute(),
          store.db
            .selectFrom('quality_samples')
            .select(['comm_id', (eb) => eb.fn.countAll<number | string>().as('n')])
            .where(appColumn, '=', sdkAppId)
            .where('comm_id', 'in', commIds)
            .where(sql<boolean>`${sql.raw(ABNORMAL_SAMPLE_SQL)}`)
            .groupBy('comm_id')
            .execute(),
        ]);
  const userCount = new Map(users.map((r) => [r.comm_id, Number(r.n)]));
  const abnormalCount = new Map(abnormal.map((r) => [r.comm_id, Number(r.n)]));
  const calls = rows.map((r) => ({
    commId: r.comm_id,
    roomId: r.room_id,
    createdAt: r.created_at,
    destroyedAt: r.destroyed_at,
    durationSeconds: Math.max(0, Math.round(((r.destroyed_at ?? now) - r.created_at) / 1000)),
    userCount: userCount.get(r.comm_id) ?? 0,
    status: r.destroyed_at === null ? ('live' as const) : ('ended' as const),
    abnormalCount: abnormalCount.get(r.comm_id) ?? 0,
  }));
  const last = calls.at(-1);
  return { calls, nextBefore: calls.length === q.limit && last ? `${last.createdAt}:${last.commId}` : null };
}
