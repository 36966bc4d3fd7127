// Store contract tests of the quality rollups (run by storage/contract.ts on SQLite and on PostgreSQL): whatever
// the samples and however they are split into batches, the dashboard series read from the rollups are the series
// read from the samples; and the rollups go with the samples on erasure, app purge and retention.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { callQuality, fromRollups, fromSamples, type QualityQuery } from '../api/dashboard/quality.ts';
import { eraseUser } from '../privacy/erasure.ts';
import { runRetention } from '../privacy/retention.ts';
import { DAY_MS } from '../privacy/retention-policy.ts';
import type { RegionStore, RegionStores } from '../storage/regions.ts';
import type { QualitySample } from './records.ts';
import { ROLLUP_MS, rollupRows } from './rollups.ts';

interface Fresh {
  stores: RegionStores;
  clock: { t: number };
  region: RegionStore;
}

const T0 = Date.UTC(2025, 0, 10, 12, 0, 0);

// Metric values: small integers and quarters, so sums are exact in doubles and the comparison can be exact.
const value = fc.option(
  fc.integer({ min: 0, max: 4000 }).map((n) => n / 4),
  { nil: undefined, freq: 4 },
);
const sampleArb = fc.record({
  user: fc.constantFrom('ann', 'bo', 'cy'),
  source: fc.constantFrom('sdk' as const, 'server' as const),
  offset: fc.integer({ min: 0, max: 180_000 }),
  videoBitrateKbps: value,
  audioBitrateKbps: value,
  audioLoss: value,
  videoLoss: value,
  rttMs: value,
  encodeFps: value,
  decodeFps: value,
  videoWidth: value,
  videoHeight: value,
});

type RawSample = typeof sampleArb extends fc.Arbitrary<infer T> ? T : never;

function toSample(sdkAppId: number, commId: string, s: RawSample): QualitySample {
  const out: Record<string, unknown> = { sdkAppId, commId, userId: s.user, source: s.source, sampledAt: T0 + s.offset };
  for (const [k, v] of Object.entries(s)) if (!['user', 'source', 'offset'].includes(k) && v !== undefined) out[k] = v;
  return out as unknown as QualitySample;
}

const rowsOf = async (region: RegionStore, query: ReturnType<typeof fromSamples>) =>
  (await region.store.selectArrays(query)).map((r) =>
    r.map((v) => (typeof v === 'string' ? v : v == null ? null : Number(v))),
  );

/** Registers the rollup tests; `fresh` gives a new migrated store. */
export function rollupsContract(fresh: () => Promise<Fresh>): void {
  test('quality rollups: series from the rollups equal series from the samples, for any batches', async () => {
    const { stores, region } = await fresh();
    const { app } = await stores.apps.create({ name: 'Q', region: 'main' });
    let call = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(sampleArb, { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(ROLLUP_MS, 2 * ROLLUP_MS, 3 * ROLLUP_MS, 6 * ROLLUP_MS),
        fc.option(fc.constantFrom('ann', 'bo'), { nil: undefined }),
        async (raw, cuts, bucketMs, userId) => {
          const commId = `${app.sdkAppId}_r${++call}_${T0}`;
          const samples = raw.map((s) => toSample(app.sdkAppId, commId, s));
          // Written in several batches: a bucket may be created by one and added to by the next.
          let at = 0;
          for (const n of [...cuts, samples.length]) {
            if (at >= samples.length) break;
            await region.telemetry.insertQualitySamples(samples.slice(at, at + n));
            at += n;
          }
          const q: QualityQuery = { sdkAppId: app.sdkAppId, commId, userId, bucketMs };
          assert.deepEqual(
            await rowsOf(region, fromRollups(region.store.db, q)),
            await rowsOf(region, fromSamples(region.store.db, q)),
          );
          // And the stored rollups are those of the samples taken as one batch.
          const stored = await region.store.db
            .selectFrom('quality_rollups')
            .selectAll()
            .where('comm_id', '=', commId)
            .orderBy('user_id')
            .orderBy('source')
            .orderBy('bucket_start')
            .execute();
          const expected = rollupRows(samples).sort(
            (a, b) =>
              a.user_id.localeCompare(b.user_id) || a.source.localeCompare(b.source) || a.bucket_start - b.bucket_start,
          );
          assert.deepEqual(
            stored.map((r) =>
              Object.fromEntries(
                Object.entries(r).map(([k, v]) => [
                  k,
                  typeof v === 'string' && k !== 'comm_id' && k !== 'user_id' && k !== 'source' ? Number(v) : v,
                ]),
              ),
            ),
            expected,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  test('quality rollups: the dashboard reads them for a long call; abnormal markers still per sample', async () => {
    const { stores, region } = await fresh();
    const { app } = await stores.apps.create({ name: 'L', region: 'main' });
    const commId = `${app.sdkAppId}_long_${T0}`;
    const samples: QualitySample[] = [];
    for (let i = 0; i < 900; i++)
      samples.push({
        sdkAppId: app.sdkAppId,
        commId,
        userId: 'ann',
        source: 'sdk',
        sampledAt: T0 + i * 2000,
        videoBitrateKbps: 1000 + (i % 7),
        rttMs: i === 451 ? 900 : 40,
        encodeFps: 30,
      });
    await region.telemetry.insertQualitySamples(samples);
    const q = await callQuality(region, { sdkAppId: app.sdkAppId, commId, bucketMs: ROLLUP_MS });
    assert.equal(q.series.length, 1);
    assert.equal(q.series[0]?.t.length, 180);
    assert.equal(Math.max(...(q.series[0]?.rttMs as number[])), 900, 'the spike survives the bucket');
    assert.deepEqual(q.abnormal, [{ userId: 'ann', at: T0 + 451 * 2000, kind: 'rtt', value: 900 }]);
  });

  test('quality rollups: erased with their user, purged with their app, expired with their samples', async () => {
    const { stores, clock, region } = await fresh();
    const { app } = await stores.apps.create({ name: 'E', region: 'main' });
    const commId = `${app.sdkAppId}_e_${T0}`;
    const sample = (userId: string, at: number): QualitySample => ({
      sdkAppId: app.sdkAppId,
      commId,
      userId,
      source: 'sdk',
      sampledAt: at,
      rttMs: 40,
    });
    await region.telemetry.insertQualitySamples([
      sample('ann', T0),
      sample('ann', T0 + ROLLUP_MS),
      sample('bo', T0),
      sample('bo', T0 + 2 * DAY_MS),
    ]);
    const count = async () =>
      (await region.store.db.selectFrom('quality_rollups').select(['user_id', 'bucket_start']).execute()).length;
    assert.equal(await count(), 4);
    const receipt = await eraseUser(stores, { sdkAppId: app.sdkAppId, userId: 'ann' });
    assert.equal(receipt.deleted.quality_rollups, 2);
    assert.equal(await count(), 2);
    // Retention: bo's first bucket is older than 1 day at T0 + 1.5 days, the second is not.
    clock.t = T0 + 1.5 * DAY_MS;
    const report = await runRetention(stores, { policy: { qualityRetentionDays: 1 } });
    assert.equal(report.expired.main?.quality_rollups, 1);
    assert.equal(await count(), 1);
    // Purge: a terminated app's rollups go with it.
    await stores.apps.terminate(app.sdkAppId);
    clock.t = T0 + 60 * DAY_MS;
    const purged = await runRetention(stores, { policy: { qualityRetentionDays: 3650, terminatedAppPurgeDays: 1 } });
    assert.equal(purged.purgedApps[0]?.deleted.quality_rollups, 1);
    assert.equal(await count(), 0);
  });
}
