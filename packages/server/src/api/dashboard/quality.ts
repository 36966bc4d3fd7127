/**
 * GET /console/api/apps/:sdkAppId/calls/:commId/quality?userId&bucketMs — per user and source, columnar series for
 * the charts (bitrate, loss, RTT, frame rate, resolution; `t` in epoch ms) and the call's abnormal markers.
 *
 * Series are aggregated in the database into buckets of `bucketMs` (default: enough for about 300 points over the
 * call, at least the 2 s sample period): bitrates and frame rate averaged, loss, RTT and resolution at their
 * maximum, so a spike is never smoothed away. A bucket that is a multiple of 10 s is read from the per-10-second
 * rollups the telemetry writer keeps (telemetry/rollups.ts), any other from the samples; both give the same
 * answer. Abnormal markers are computed from the full-resolution abnormal samples only (the database picks them
 * with the same rules, abnormal.ts, through a partial index of those samples). An hour of a 20-user call is 72,000
 * samples; turning each into a JS row costs ~4× the whole budget (bench/dashboard.bench.ts).
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { RegionStore } from '../../storage/regions.ts';
import type { Database } from '../../storage/schema.ts';
import { ROLLUP_MS } from '../../telemetry/rollups.ts';
import type { CallSeries } from '../../telemetry/telemetry-store.ts';
import { ABNORMAL_SAMPLE_SQL, abnormalMarkers, type AbnormalMarker } from './abnormal.ts';
import { userIdText } from './dashboard-options.ts';

export const qualityQuery = z
  .object({
    userId: userIdText.optional(),
    bucketMs: z.coerce.number().int().min(1000).max(3_600_000).optional(),
  })
  .strict();

/** One user's series from one source; index i of every array is the bucket starting at t[i]. */
export interface QualitySeries {
  userId: string;
  source: 'sdk' | 'server';
  t: number[];
  videoBitrateKbps: (number | null)[];
  audioBitrateKbps: (number | null)[];
  audioLoss: (number | null)[];
  videoLoss: (number | null)[];
  rttMs: (number | null)[];
  fps: (number | null)[];
  width: (number | null)[];
  height: (number | null)[];
}

const SAMPLE_PERIOD_MS = 2000;
const TARGET_POINTS = 300;
const VALUE_KEYS = [
  'videoBitrateKbps',
  'audioBitrateKbps',
  'audioLoss',
  'videoLoss',
  'rttMs',
  'fps',
  'width',
  'height',
] as const;

/**
 * The default bucket: about TARGET_POINTS over the call. Up to 20 minutes, a whole number of sample periods (2 or
 * 4 s, read from the samples); longer calls, the nearest whole number of 10-second rollups (150–450 points), so a
 * long call is charted from the rollups, never from every sample.
 */
export function defaultBucketMs(durationMs: number): number {
  const periods = Math.max(1, Math.ceil(durationMs / TARGET_POINTS / SAMPLE_PERIOD_MS));
  if (periods <= 2) return periods * SAMPLE_PERIOD_MS;
  return Math.max(1, Math.round(durationMs / TARGET_POINTS / ROLLUP_MS)) * ROLLUP_MS;
}

/**
 * `+sdk_app_id` (unary plus, valid in SQLite and PostgreSQL) keeps the planner on the call index
 * (comm_id, user_id, sampled_at): without statistics SQLite otherwise picks the (sdk_app_id, user_id) index and
 * reads every sample of the app instead of the call's.
 */
const appColumn = sql<number>`+sdk_app_id`;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export type QualityQuery = { sdkAppId: number; commId: string; userId?: string | undefined; bucketMs: number };

/** The series straight from the samples, for a bucket size the rollups cannot serve. */
export function fromSamples(db: Kysely<Database>, q: QualityQuery) {
  const bucket = sql<number>`(sampled_at / ${sql.lit(q.bucketMs)}) * ${sql.lit(q.bucketMs)}`;
  let query = db
    .selectFrom('quality_samples')
    .select((eb) => [
      'user_id',
      'source',
      bucket.as('t'),
      eb.fn.avg('video_bitrate_kbps').as('vb'),
      eb.fn.avg('audio_bitrate_kbps').as('ab'),
      eb.fn.max('audio_loss').as('al'),
      eb.fn.max('video_loss').as('vl'),
      eb.fn.max('rtt_ms').as('rtt'),
      sql<number>`avg(coalesce(encode_fps, decode_fps))`.as('fps'),
      eb.fn.max('video_width').as('w'),
      eb.fn.max('video_height').as('h'),
    ])
    .where('comm_id', '=', q.commId)
    .where(appColumn, '=', q.sdkAppId);
  if (q.userId !== undefined) query = query.where('user_id', '=', q.userId);
  return query
    .groupBy(['user_id', 'source', sql`3`])
    .orderBy('user_id')
    .orderBy('source')
    .orderBy(sql`3`)
    .compile();
}

/**
 * The same series from the 10-second rollups (telemetry/rollups.ts), for a bucket that is a whole number of them:
 * averages are the summed values over the summed counts, maxima the maxima, so the answer is the samples' own.
 * At the rollup size itself every rollup row is one point and nothing is grouped.
 */
export function fromRollups(db: Kysely<Database>, q: QualityQuery) {
  const avg = (total: string, count: string) => sql<number>`${sql.ref(total)} / nullif(${sql.ref(count)}, 0)`;
  const sumAvg = (total: string, count: string) =>
    sql<number>`sum(${sql.ref(total)}) / nullif(sum(${sql.ref(count)}), 0)`;
  let base = db.selectFrom('quality_rollups').where('comm_id', '=', q.commId).where(appColumn, '=', q.sdkAppId);
  if (q.userId !== undefined) base = base.where('user_id', '=', q.userId);
  if (q.bucketMs === ROLLUP_MS)
    return base
      .select([
        'user_id',
        'source',
        'bucket_start',
        avg('video_bitrate_sum', 'video_bitrate_count').as('vb'),
        avg('audio_bitrate_sum', 'audio_bitrate_count').as('ab'),
        'audio_loss_max',
        'video_loss_max',
        'rtt_max',
        avg('fps_sum', 'fps_count').as('fps'),
        'video_width_max',
        'video_height_max',
      ])
      .orderBy('user_id')
      .orderBy('source')
      .orderBy('bucket_start')
      .compile();
  const bucket = sql<number>`(bucket_start / ${sql.lit(q.bucketMs)}) * ${sql.lit(q.bucketMs)}`;
  return base
    .select((eb) => [
      'user_id',
      'source',
      bucket.as('t'),
      sumAvg('video_bitrate_sum', 'video_bitrate_count').as('vb'),
      sumAvg('audio_bitrate_sum', 'audio_bitrate_count').as('ab'),
      eb.fn.max('audio_loss_max').as('al'),
      eb.fn.max('video_loss_max').as('vl'),
      eb.fn.max('rtt_max').as('rtt'),
      sumAvg('fps_sum', 'fps_count').as('fps'),
      eb.fn.max('video_width_max').as('w'),
      eb.fn.max('video_height_max').as('h'),
    ])
    .groupBy(['user_id', 'source', sql`3`])
    .orderBy('user_id')
    .orderBy('source')
    .orderBy(sql`3`)
    .compile();
}

/** The quality view of one call (optionally one user). */
export async function callQuality(
  region: RegionStore,
  q: QualityQuery,
): Promise<{ series: QualitySeries[]; abnormal: AbnormalMarker[]; bucketMs: number }> {
  const db = region.store.db;
  const aggregate = q.bucketMs % ROLLUP_MS === 0 ? fromRollups(db, q) : fromSamples(db, q);
  let abnormalRows = db
    .selectFrom('quality_samples')
    .select([
      'user_id',
      'source',
      'sampled_at',
      'audio_loss',
      'video_loss',
      'rtt_ms',
      'video_block_ms',
      'audio_block_ms',
      'video_on',
      'decode_fps',
    ])
    .where('comm_id', '=', q.commId)
    .where(appColumn, '=', q.sdkAppId)
    .where(sql<boolean>`${sql.raw(ABNORMAL_SAMPLE_SQL)}`);
  if (q.userId !== undefined) abnormalRows = abnormalRows.where('user_id', '=', q.userId);
  const [rows, abnormal, events] = await Promise.all([
    region.store.selectArrays(aggregate),
    region.store.selectArrays(abnormalRows.orderBy('user_id').orderBy('sampled_at').compile()),
    region.telemetry.userEvents({
      sdkAppId: q.sdkAppId,
      commId: q.commId,
      ...(q.userId === undefined ? {} : { userIds: [q.userId] }),
    }),
  ]);

  const series: QualitySeries[] = [];
  let current: QualitySeries | undefined;
  for (const r of rows) {
    if (current === undefined || current.userId !== r[0] || current.source !== r[1]) {
      current = {
        userId: r[0] as string,
        source: r[1] as 'sdk' | 'server',
        t: [],
        videoBitrateKbps: [],
        audioBitrateKbps: [],
        audioLoss: [],
        videoLoss: [],
        rttMs: [],
        fps: [],
        width: [],
        height: [],
      };
      series.push(current);
    }
    current.t.push(Number(r[2]));
    VALUE_KEYS.forEach((key, i) => (current as QualitySeries)[key].push(num(r[i + 3])));
  }

  // The abnormal samples as series for abnormalMarkers (one series per row is fine: markers are per sample).
  const abnormalSeries: CallSeries[] = abnormal.map((r) => ({
    userId: r[0] as string,
    source: r[1] as 'sdk' | 'server',
    sampledAt: [Number(r[2])],
    metrics: {
      audioLoss: [num(r[3])],
      videoLoss: [num(r[4])],
      rttMs: [num(r[5])],
      videoBlockMs: [num(r[6])],
      audioBlockMs: [num(r[7])],
      videoOn: [num(r[8])],
      decodeFps: [num(r[9])],
    },
  }));
  return { series, abnormal: abnormalMarkers(abnormalSeries, events), bucketMs: q.bucketMs };
}
