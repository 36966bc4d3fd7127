// Retention and deletion jobs with a moved clock, on SQLite files (the contract suite covers both dialects).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { openField, parseMasterKey, unwrapDataKey } from '../apps/envelope.ts';
import { rejectsWithCode, testSample } from '../storage/contract.ts';
import { openRegionStores } from '../storage/regions.ts';
import type { RegionStores } from '../storage/regions.ts';
import { makeCommId } from '../telemetry/comm-id.ts';
import { eraseUser } from './erasure.ts';
import { runRetention } from './retention.ts';
import { DAY_MS } from './retention-policy.ts';

const T0 = Date.UTC(2025, 2, 1, 8, 0, 0);
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-ret-'));
  const file = path.join(dir, 'main.db');
  const clock = { t: T0 };
  const masterKey = parseMasterKey(crypto.randomBytes(32).toString('hex'));
  const stores = await openRegionStores(
    { regions: { main: { driver: 'sqlite', path: file } }, telemetry: { flushIntervalMs: 0 } },
    { masterKey, logger: pino({ level: 'silent' }), now: () => clock.t },
  );
  cleanups.push(async () => {
    await stores.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { stores, clock, file, masterKey, region: stores.region('main') };
}

async function seedCall(stores: RegionStores, sdkAppId: number, users: string[], samplesPerUser: number, at = T0) {
  const region = await stores.storeForApp(sdkAppId);
  const commId = await region.telemetry.openRoomSession({ sdkAppId, roomId: '5', roomIdType: 1, createdAt: at });
  for (const u of users) {
    region.writer.recordBackendLog({
      sdkAppId,
      commId,
      roomId: '5',
      roomIdType: 1,
      userId: u,
      action: 'enter',
      occurredAt: at,
    });
    region.writer.recordUserEvent({ sdkAppId, commId, userId: u, eventId: 103, occurredAt: at });
    for (let i = 0; i < samplesPerUser; i++)
      region.writer.recordQuality(testSample(sdkAppId, commId, u, at + i * 2000));
    // A queued event callback names the user too (callbacks/queue.ts).
    await region.store.db
      .insertInto('callback_deliveries')
      .values({
        sdk_app_id: sdkAppId,
        event_type: 103,
        user_id: u,
        body: JSON.stringify({ EventType: 103, EventInfo: { UserId: u } }),
        status: 'delivered',
        attempts: 1,
        created_at: at,
        next_attempt_at: at,
        first_attempt_at: at,
        last_attempt_at: at,
        last_status: 200,
        last_latency_ms: 3,
        last_error: null,
        finished_at: at,
      })
      .execute();
  }
  await region.telemetry.addUsage(sdkAppId, at, 600);
  await region.writer.flush();
  return commId;
}

test('default retention (14 days): quality and logs present on day 13, gone on day 15', async () => {
  const { stores, clock, region } = await setup();
  const { app } = await stores.apps.create({ name: 'r', region: 'main' });
  const commId = await seedCall(stores, app.sdkAppId, ['a', 'b'], 3);
  clock.t = T0 + 13 * DAY_MS;
  await runRetention(stores);
  assert.equal((await region.telemetry.callSamples({ sdkAppId: app.sdkAppId, commId })).length, 6);
  clock.t = T0 + 15 * DAY_MS;
  const report = await runRetention(stores);
  assert.equal(report.expired.main?.quality_samples, 6);
  assert.equal(report.expired.main?.user_events, 2);
  assert.equal(report.expired.main?.backend_logs, 2);
  assert.equal(report.expired.main?.callback_deliveries, 2);
  assert.equal(report.expired.main?.usage_daily, 0, 'usage is kept longer (billing)');
  assert.deepEqual(await region.telemetry.callTimeline({ sdkAppId: app.sdkAppId, commId }), { series: [], events: [] });
  const second = await runRetention(stores);
  assert.equal(second.expired.main?.quality_samples, 0, 'idempotent');
});

test('terminated app: data and keys present on day 5, destroyed by day 7; other apps untouched', async () => {
  const { stores, clock, region, file, masterKey } = await setup();
  const { app: gone, secretKey } = await stores.apps.create({
    name: 'gone',
    region: 'main',
    callbackUrl: 'https://hook.example/cb',
    callbackKey: 'k',
  });
  const { app: kept } = await stores.apps.create({ name: 'kept', region: 'main' });
  await seedCall(stores, gone.sdkAppId, ['a'], 4);
  const keptCall = await seedCall(stores, kept.sdkAppId, ['z'], 2);
  const wrapped = (
    await region.store.db
      .selectFrom('app_data_keys')
      .selectAll()
      .where('sdk_app_id', '=', gone.sdkAppId)
      .executeTakeFirstOrThrow()
  ).wrapped_key;
  const sealed = (
    await region.store.db
      .selectFrom('apps')
      .selectAll()
      .where('sdk_app_id', '=', gone.sdkAppId)
      .executeTakeFirstOrThrow()
  ).secret_key_ciphertext as Buffer;

  await stores.apps.terminate(gone.sdkAppId);
  await rejectsWithCode(() => stores.apps.getSecretKey(gone.sdkAppId), 'APP_TERMINATED');
  clock.t = T0 + 5 * DAY_MS;
  assert.deepEqual((await runRetention(stores)).purgedApps, []);
  assert.ok((await region.store.db.selectFrom('app_data_keys').selectAll().execute()).length === 2);

  clock.t = T0 + 7 * DAY_MS;
  const report = await runRetention(stores);
  assert.deepEqual(report.purgedApps, [
    {
      sdkAppId: gone.sdkAppId,
      region: 'main',
      dataKeysDestroyed: 1,
      deleted: {
        quality_samples: 4,
        user_events: 1,
        backend_logs: 1,
        room_sessions: 1,
        usage_daily: 1,
        callback_deliveries: 1,
        quality_rollups: 1,
      },
    },
  ]);
  for (const table of [
    'quality_samples',
    'user_events',
    'backend_logs',
    'room_sessions',
    'usage_daily',
    'callback_deliveries',
    'quality_rollups',
  ] as const) {
    const rows = await region.store.db
      .selectFrom(table)
      .select('sdk_app_id')
      .where('sdk_app_id', '=', gone.sdkAppId)
      .execute();
    assert.equal(rows.length, 0, table);
  }
  assert.equal((await region.telemetry.callSamples({ sdkAppId: kept.sdkAppId, commId: keptCall })).length, 2);
  assert.equal((await stores.apps.get(gone.sdkAppId)).shreddedAt, clock.t);
  assert.deepEqual((await runRetention(stores)).purgedApps, [], 'purge is done once');

  // With the database file in hand and even the master key: the wrapped data key and the sealed secret are gone
  // from the file, and a copy of the sealed secret taken earlier cannot be opened without the destroyed key.
  const bytes = Buffer.concat([
    fs.readFileSync(file),
    fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0),
  ]);
  assert.equal(bytes.indexOf(wrapped), -1, 'wrapped data key bytes remain in the database file');
  assert.equal(bytes.indexOf(sealed), -1, 'sealed secret bytes remain in the database file');
  assert.equal(bytes.indexOf(Buffer.from(secretKey)), -1);
  const remainingKeys = await region.store.db.selectFrom('app_data_keys').selectAll().execute();
  for (const k of remainingKeys) {
    const other = unwrapDataKey(masterKey, k.wrapped_key, k.sdk_app_id);
    assert.throws(() => openField(other, gone.sdkAppId, 'secret_key', sealed));
  }
});

test('a retention run interrupted midway resumes with its original cut-offs and exact counts', async () => {
  const { stores, clock, region } = await setup();
  const { app } = await stores.apps.create({ name: 'c', region: 'main' });
  await seedCall(stores, app.sdkAppId, ['a'], 3, T0);
  await seedCall(stores, app.sdkAppId, ['b'], 2, T0 + 2 * DAY_MS);
  clock.t = T0 + 15 * DAY_MS; // cut-off = day 1: only the first call is due
  const crash = async ({ step }: { step: string }) => {
    if (step === 'expire:quality_samples') throw new Error('simulated crash');
  };
  await assert.rejects(() => runRetention(stores, { afterStep: crash }), /simulated crash/);
  const running = await region.store.db
    .selectFrom('privacy_jobs')
    .selectAll()
    .where('status', '=', 'running')
    .execute();
  assert.equal(running.length, 1);
  assert.deepEqual(JSON.parse(running[0]?.completed_steps ?? ''), ['expire:quality_samples']);

  clock.t = T0 + 17 * DAY_MS; // would also cover the second call, but the resumed job keeps its cut-off
  const resumed = await runRetention(stores);
  assert.equal(resumed.expired.main?.quality_samples, 3);
  assert.equal(resumed.expired.main?.user_events, 1);
  assert.equal(resumed.expired.main?.backend_logs, 1);
  const next = await runRetention(stores);
  assert.equal(next.expired.main?.quality_samples, 2);
});

test('an erasure interrupted midway resumes and its receipt counts every row once', async () => {
  const { stores } = await setup();
  const { app } = await stores.apps.create({ name: 'e', region: 'main' });
  await seedCall(stores, app.sdkAppId, ['alice', 'bob'], 4);
  const crash = async ({ step }: { step: string }) => {
    if (step === 'erase:quality_samples') throw new Error('simulated crash');
  };
  await assert.rejects(
    () => eraseUser(stores, { sdkAppId: app.sdkAppId, userId: 'alice' }, { afterStep: crash }),
    /simulated crash/,
  );
  const receipt = await eraseUser(stores, { sdkAppId: app.sdkAppId, userId: 'alice' });
  assert.deepEqual(receipt.deleted, {
    backend_logs: 1,
    quality_samples: 4,
    user_events: 1,
    callback_deliveries: 1,
    quality_rollups: 1,
  });
  const commId = makeCommId(app.sdkAppId, 5, T0);
  const left = await (await stores.storeForApp(app.sdkAppId)).telemetry.callSamples({ sdkAppId: app.sdkAppId, commId });
  assert.deepEqual([...new Set(left.map((s) => s.userId))], ['bob']);
});

test('a terminated app gets nothing new stored, and a purge also removes what landed while it ran', async () => {
  const { stores, clock, region } = await setup();
  const { app } = await stores.apps.create({ name: 'late', region: 'main' });
  const commId = await seedCall(stores, app.sdkAppId, ['a'], 2);
  await stores.apps.terminate(app.sdkAppId);
  await rejectsWithCode(() => stores.storeForWrite(app.sdkAppId), 'APP_TERMINATED');

  clock.t = T0 + 7 * DAY_MS;
  let injected = false;
  const report = await runRetention(stores, {
    // A sample accepted before the termination and flushed late lands after its table was already purged.
    afterStep: async ({ step }) => {
      if (step !== 'purge:quality_samples' || injected) return;
      injected = true;
      region.writer.recordQuality(testSample(app.sdkAppId, commId, 'a', clock.t));
      await region.writer.flush();
    },
  });
  assert.ok(injected);
  assert.equal(report.purgedApps[0]?.deleted.quality_samples, 3, 'the two seeded samples and the late one');
  const left = await region.store.db
    .selectFrom('quality_samples')
    .select('sdk_app_id')
    .where('sdk_app_id', '=', app.sdkAppId)
    .execute();
  assert.equal(left.length, 0);
});
