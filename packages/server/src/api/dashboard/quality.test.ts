// The quality view's storage side: migration 0008 backfills the rollups of samples stored before it (SQLite and
// PostgreSQL), SQLite plans the dashboard's reads on the rollup key and on the partial index of abnormal samples,
// and the default bucket of a long call is a whole number of rollups.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { testSample } from '../../storage/contract.ts';
import { provider, type Dialect } from '../../storage/migrations.ts';
import { createTestPostgresDatabase } from '../../storage/postgres/test-database.ts';
import type { Database } from '../../storage/schema.ts';
import { openStore, type StoreConfig } from '../../storage/store.ts';
import { ROLLUP_MS, rollupRows } from '../../telemetry/rollups.ts';
import { sampleRow } from '../../telemetry/sample-rows.ts';
import type { QualitySample } from '../../telemetry/records.ts';
import { ABNORMAL_SAMPLE_SQL } from './abnormal.ts';
import { defaultBucketMs, fromRollups } from './quality.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-quality-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const silent = pino({ level: 'silent' });
const T0 = Date.UTC(2025, 0, 10, 12, 0, 3);
const COMM = `1400000001_9_${T0}`;

function samples(): QualitySample[] {
  const out: QualitySample[] = [];
  for (let i = 0; i < 40; i++) {
    const s = {
      ...testSample(1_400_000_001, COMM, i % 3 === 0 ? 'ann' : 'bo', T0 + i * 1500),
      videoBitrateKbps: 900 + i,
    };
    if (i % 4 === 0) delete (s as Partial<QualitySample>).encodeFps;
    if (i % 5 === 0) delete (s as Partial<QualitySample>).rttMs;
    out.push(i % 2 === 0 ? s : { ...s, source: 'server' });
  }
  return out;
}

async function backfilled(dialect: Dialect, db: Kysely<Database>, config: StoreConfig) {
  const migrator = new Migrator({ db, provider: provider(dialect) });
  const before = await migrator.migrateTo('0007_security_reports');
  assert.equal(before.error, undefined);
  const all = samples();
  await db.insertInto('quality_samples').values(all.map(sampleRow)).execute();
  await db.destroy();
  const store = await openStore(config, { name: 'backfill', logger: silent });
  try {
    const rows = await store.db
      .selectFrom('quality_rollups')
      .selectAll()
      .orderBy('user_id')
      .orderBy('source')
      .orderBy('bucket_start')
      .execute();
    const want = rollupRows(all).sort(
      (a, b) =>
        a.user_id.localeCompare(b.user_id) || a.source.localeCompare(b.source) || a.bucket_start - b.bucket_start,
    );
    const numeric = (r: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [
          k,
          typeof v === 'string' && /_(sum|count|max|start)$/.test(k) ? Number(v) : v,
        ]),
      );
    assert.deepEqual(rows.map(numeric), want);
  } finally {
    await store.close();
  }
}

test('migration 0008 backfills the rollups of samples already stored (SQLite)', async () => {
  const file = path.join(dir, 'backfill.db');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
  await backfilled('sqlite', db, { driver: 'sqlite', path: file });
});

test('migration 0008 backfills the rollups of samples already stored (PostgreSQL)', async () => {
  const database = await createTestPostgresDatabase();
  try {
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }),
    });
    await backfilled('postgres', db, { driver: 'postgres', url: database.url });
  } finally {
    await database.drop();
  }
});

test('SQLite reads a call’s rollups off their key and its abnormal samples through the partial index', async () => {
  const store = await openStore(
    { driver: 'sqlite', path: path.join(dir, 'plan.db') },
    { name: 'plan', logger: silent },
  );
  try {
    const plan = async (query: CompiledQuery) =>
      (await store.selectArrays({ ...query, sql: `explain query plan ${query.sql}` })).map((r) => r[3]).join('; ');
    const q = { sdkAppId: 1_400_000_001, commId: COMM, bucketMs: 2 * ROLLUP_MS };
    const rollupPlan = await plan(fromRollups(store.db, q));
    assert.match(rollupPlan, /quality_rollups USING PRIMARY KEY \(comm_id=\?\)/);
    const abnormal = store.db
      .selectFrom('quality_samples')
      .select(['user_id', 'sampled_at'])
      .where('comm_id', '=', COMM)
      .where(sql<boolean>`${sql.raw(ABNORMAL_SAMPLE_SQL)}`)
      .orderBy('user_id')
      .orderBy('sampled_at')
      .compile();
    assert.match(await plan(abnormal), /USING INDEX quality_samples_abnormal/);
  } finally {
    await store.close();
  }
});

test('default bucket: sample periods up to 20 minutes, whole rollups beyond', () => {
  const MIN = 60_000;
  assert.equal(defaultBucketMs(0), 2000);
  assert.equal(defaultBucketMs(10 * MIN), 2000);
  assert.equal(defaultBucketMs(20 * MIN), 4000);
  assert.equal(defaultBucketMs(21 * MIN), ROLLUP_MS);
  assert.equal(defaultBucketMs(60 * MIN), ROLLUP_MS);
  assert.equal(defaultBucketMs(120 * MIN), 2 * ROLLUP_MS);
  assert.equal(defaultBucketMs(24 * 60 * MIN), 29 * ROLLUP_MS);
  for (const d of [21, 45, 90, 200, 600].map((m) => m * MIN)) {
    const points = d / defaultBucketMs(d);
    assert.ok(defaultBucketMs(d) % ROLLUP_MS === 0 && points >= 120 && points <= 450, `${d}: ${points} points`);
  }
});
