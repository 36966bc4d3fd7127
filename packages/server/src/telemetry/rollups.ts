/**
 * Per-10-second quality rollups (table quality_rollups): for each (app, call, user, source, bucket) the sums and
 * counts of the averaged chart metrics (bitrates, frame rate) and the maxima of the others (loss, RTT,
 * resolution). The telemetry writer folds every sample batch into them in the batch's own transaction, so they
 * always agree with quality_samples; the dashboard then reads 1/5 of the rows for any bucket that is a multiple
 * of {@link ROLLUP_MS} (api/dashboard/quality.ts).
 */
import type { Insertable, Transaction } from 'kysely';
import type { Database, QualityRollupsTable } from '../storage/schema.ts';
import type { QualitySample } from './records.ts';

/** The rollup bucket: five 2-second sample periods. */
export const ROLLUP_MS = 10_000;

// 17 columns × 500 rows stays under SQLite's and PostgreSQL's bound-parameter limits.
const ROWS_PER_STATEMENT = 500;

type RollupRow = Insertable<QualityRollupsTable> & QualityRollupsTable;

const maxOf = (a: number | null, b: number | undefined): number | null =>
  b === undefined ? a : a === null || b > a ? b : a;

/** The rollup rows of a batch of samples, one per (app, call, user, source, bucket); pure. */
export function rollupRows(samples: readonly QualitySample[]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const s of samples) {
    const bucketStart = Math.floor(s.sampledAt / ROLLUP_MS) * ROLLUP_MS;
    const key = `${s.sdkAppId}\u0000${s.commId}\u0000${s.userId}\u0000${s.source}\u0000${bucketStart}`;
    let r = rows.get(key);
    if (r === undefined) {
      r = {
        sdk_app_id: s.sdkAppId,
        comm_id: s.commId,
        user_id: s.userId,
        source: s.source,
        bucket_start: bucketStart,
        sample_count: 0,
        video_bitrate_sum: 0,
        video_bitrate_count: 0,
        audio_bitrate_sum: 0,
        audio_bitrate_count: 0,
        fps_sum: 0,
        fps_count: 0,
        audio_loss_max: null,
        video_loss_max: null,
        rtt_max: null,
        video_width_max: null,
        video_height_max: null,
      };
      rows.set(key, r);
    }
    r.sample_count++;
    if (s.videoBitrateKbps !== undefined) {
      r.video_bitrate_sum += s.videoBitrateKbps;
      r.video_bitrate_count++;
    }
    if (s.audioBitrateKbps !== undefined) {
      r.audio_bitrate_sum += s.audioBitrateKbps;
      r.audio_bitrate_count++;
    }
    const fps = s.encodeFps ?? s.decodeFps;
    if (fps !== undefined) {
      r.fps_sum += fps;
      r.fps_count++;
    }
    r.audio_loss_max = maxOf(r.audio_loss_max, s.audioLoss);
    r.video_loss_max = maxOf(r.video_loss_max, s.videoLoss);
    r.rtt_max = maxOf(r.rtt_max, s.rttMs);
    r.video_width_max = maxOf(r.video_width_max, s.videoWidth);
    r.video_height_max = maxOf(r.video_height_max, s.videoHeight);
  }
  return [...rows.values()];
}

const SUMMED = [
  'sample_count',
  'video_bitrate_sum',
  'video_bitrate_count',
  'audio_bitrate_sum',
  'audio_bitrate_count',
  'fps_sum',
  'fps_count',
] as const;
const MAXED = ['audio_loss_max', 'video_loss_max', 'rtt_max', 'video_width_max', 'video_height_max'] as const;

/**
 * Adds a batch's samples to the stored rollups inside `trx` (insert, or add to the bucket already there). The
 * maxima are written as CASE expressions: SQLite's two-argument max() is NULL when either side is.
 */
export async function addToRollups(trx: Transaction<Database>, samples: readonly QualitySample[]): Promise<void> {
  const rows = rollupRows(samples);
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('quality_rollups')
      .values(rows.slice(i, i + ROWS_PER_STATEMENT))
      .onConflict((oc) =>
        oc.columns(['comm_id', 'user_id', 'source', 'bucket_start', 'sdk_app_id']).doUpdateSet((eb) => {
          const set: Record<string, unknown> = {};
          for (const c of SUMMED) set[c] = eb(eb.ref(`quality_rollups.${c}`), '+', eb.ref(`excluded.${c}`));
          for (const c of MAXED) {
            const old = eb.ref(`quality_rollups.${c}`);
            const add = eb.ref(`excluded.${c}`);
            set[c] = eb
              .case()
              .when(add, 'is', null)
              .then(old)
              .when(old, 'is', null)
              .then(add)
              .when(add, '>', old)
              .then(add)
              .else(old)
              .end();
          }
          return set as never;
        }),
      )
      .execute();
  }
}
