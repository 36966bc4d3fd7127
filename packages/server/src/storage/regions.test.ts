// Region routing: an app's data lands only in its region's store, here SQLite (A) and PostgreSQL (B).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { eraseUser } from '../privacy/erasure.ts';
import { DATA_INVENTORY } from '../privacy/inventory.ts';
import { makeCommId } from '../telemetry/comm-id.ts';
import { rejectsWithCode, testSample } from './contract.ts';
import { createTestPostgresDatabase } from './postgres/test-database.ts';
import { openRegionStores } from './regions.ts';
import type { TableName } from './schema.ts';
import { CallbackOutbox } from '../callbacks/outbox.ts';

const logger = pino({ level: 'silent' });
const masterKey = crypto.randomBytes(32).toString('hex');
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-reg-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

test('a write for an app in region B never lands in region A', async () => {
  const pg = await createTestPostgresDatabase();
  cleanups.push(() => pg.drop());
  const stores = await openRegionStores(
    {
      regions: {
        'eu-a': { driver: 'sqlite', path: path.join(tmp(), 'a.db') },
        'ap-b': { driver: 'postgres', url: pg.url },
      },
      telemetry: { flushIntervalMs: 0 },
    },
    { masterKey, logger },
  );
  cleanups.push(() => stores.close());
  const { app: inB } = await stores.apps.create({ name: 'b-app', region: 'ap-b' });
  const { app: inA } = await stores.apps.create({ name: 'a-app', region: 'eu-a' });
  for (const app of [inA, inB]) {
    const region = await stores.storeForApp(app.sdkAppId);
    const commId = await region.telemetry.openRoomSession({
      sdkAppId: app.sdkAppId,
      roomId: '1',
      roomIdType: 1,
      createdAt: Date.now(),
    });
    region.writer.recordQuality(testSample(app.sdkAppId, commId, 'u1', Date.now()));
    region.writer.recordBackendLog({
      sdkAppId: app.sdkAppId,
      commId,
      roomId: '1',
      roomIdType: 1,
      userId: 'u1',
      action: 'enter',
      occurredAt: Date.now(),
    });
    region.writer.recordUserEvent({
      sdkAppId: app.sdkAppId,
      commId,
      userId: 'u1',
      eventId: 103,
      occurredAt: Date.now(),
    });
    await region.telemetry.addUsage(app.sdkAppId, Date.now(), 10);
    // The callback queue routes the same way (callbacks/dispatcher.ts: storeForApp).
    await new CallbackOutbox(region.store).enqueue({
      sdkAppId: app.sdkAppId,
      eventType: 103,
      userId: 'u1',
      body: '{}',
      at: Date.now(),
    });
  }
  await stores.flush();
  assert.equal((await stores.storeForApp(inB.sdkAppId)).name, 'ap-b');
  const perAppTables = Object.entries(DATA_INVENTORY)
    .filter(([, e]) => e.region === 'app_region' && 'sdk_app_id' in e.columns)
    .map(([t]) => t as TableName);
  assert.ok(perAppTables.length >= 5);
  for (const table of perAppTables) {
    const inStoreA = await stores
      .region('eu-a')
      .store.db.selectFrom(table as 'quality_samples')
      .select('sdk_app_id')
      .execute();
    const inStoreB = await stores
      .region('ap-b')
      .store.db.selectFrom(table as 'quality_samples')
      .select('sdk_app_id')
      .execute();
    assert.deepEqual(
      inStoreA.map((r) => r.sdk_app_id),
      [inA.sdkAppId],
      `${table} in A`,
    );
    assert.deepEqual(
      inStoreB.map((r) => r.sdk_app_id),
      [inB.sdkAppId],
      `${table} in B`,
    );
  }
  // The registry lives in the control region (the first listed) only.
  assert.equal((await stores.region('ap-b').store.db.selectFrom('apps').selectAll().execute()).length, 0);
  const receipt = await eraseUser(stores, { sdkAppId: inB.sdkAppId, userId: 'u1' });
  assert.equal(receipt.region, 'ap-b');
  assert.equal(
    (await stores.region('eu-a').store.db.selectFrom('quality_samples').selectAll().execute()).length,
    1,
    'erasure in B leaves A alone',
  );
  await rejectsWithCode(() => stores.storeForApp(1_400_000_000), 'APP_NOT_FOUND');
  assert.throws(
    () => stores.region('mars'),
    (e: unknown) => (e as { code?: string }).code === 'REGION_UNKNOWN',
  );
  assert.throws(
    () =>
      stores
        .region('eu-a')
        .writer.recordQuality(testSample(inA.sdkAppId, makeCommId(inB.sdkAppId, 1, Date.now()), 'u', Date.now())),
    /another SDKAppID/,
  );
});

test('region configuration errors are clear', async () => {
  const dir = tmp();
  const same = { driver: 'sqlite' as const, path: path.join(dir, 'same.db') };
  await rejectsWithCode(
    () => openRegionStores({ regions: { a: same, b: same } }, { masterKey, logger }),
    'CONFIG_INVALID',
  );
  await rejectsWithCode(() => openRegionStores({ regions: {} }, { masterKey, logger }), 'CONFIG_INVALID');
  await rejectsWithCode(
    () => openRegionStores({ regions: { a: same }, control: 'z' }, { masterKey, logger }),
    'REGION_UNKNOWN',
  );
  await rejectsWithCode(
    () => openRegionStores({ regions: { 'Bad Name': same } }, { masterKey, logger }),
    'CONFIG_INVALID',
  );
  await rejectsWithCode(
    () => openRegionStores({ regions: { a: same } }, { masterKey: 'short', logger }),
    'MASTER_KEY_INVALID',
  );
  await rejectsWithCode(
    () =>
      openRegionStores(
        { regions: { a: { driver: 'postgres', url: 'postgres://postgres@127.0.0.1:1/nothing' } } },
        { masterKey, logger },
      ),
    'STORE_UNAVAILABLE',
  );
});
