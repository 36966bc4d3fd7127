/**
 * The store contract: one suite, run against every Store implementation (sqlite.test.ts, postgres.test.ts).
 * Each test gets a fresh, empty, migrated store and a clock it can move.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { ConclaveError } from '@conclave/protocol';
import type { ErrorCode } from '@conclave/protocol';
import { eraseUser, subjectHash } from '../privacy/erasure.ts';
import { runRetention } from '../privacy/retention.ts';
import { DAY_MS } from '../privacy/retention-policy.ts';
import { makeCommId } from '../telemetry/comm-id.ts';
import type { QualitySample } from '../telemetry/records.ts';
import { openRegionStores } from './regions.ts';
import type { RegionStores } from './regions.ts';
import { openStore } from './store.ts';
import type { StoreConfig } from './store.ts';
import { CallbackOutbox } from '../callbacks/outbox.ts';
import { auditContract } from '../audit/audit-contract.ts';
import { operatorsContract } from '../operators/operators-contract.ts';
import { grantsContract } from '../operators/grants-contract.ts';
import { reportsContract } from '../intake/report-contract.ts';
import { outboxContract } from '../callbacks/outbox-contract.ts';
import { rollupsContract } from '../telemetry/rollups-contract.ts';

/** A fresh store location and how to throw it away. */
export interface StoreFixture {
  config: StoreConfig;
  dispose(): Promise<void>;
}

/** Fails unless `fn` rejects with a ConclaveError of `code`. */
export async function rejectsWithCode(fn: () => Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(fn, (err: unknown) => err instanceof ConclaveError && err.code === code);
}

const T0 = Date.UTC(2025, 0, 10, 12, 0, 0);
const silent = pino({ level: 'silent' });

/** A full SDK sample for tests. */
export function testSample(sdkAppId: number, commId: string, userId: string, sampledAt: number): QualitySample {
  return {
    sdkAppId,
    commId,
    userId,
    source: 'sdk',
    sampledAt,
    audioOn: true,
    videoOn: true,
    audioMuted: false,
    videoMuted: false,
    appCpu: 12.5,
    sysCpu: 40,
    memoryMb: 512,
    rttMs: 48,
    audioLoss: 0.5,
    videoLoss: 1.25,
    videoWidth: 1280,
    videoHeight: 720,
    audioBitrateKbps: 32,
    videoBitrateKbps: 1200,
    captureFps: 30,
    encodeFps: 30,
    decodeFps: 29,
    renderFps: 29,
    audioBlockMs: 0,
    videoBlockMs: 80,
    captureVolume: 55,
    playbackVolume: 70,
  };
}

/** Runs the store contract against the implementation behind `makeStore`. */
export function runStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`store contract: ${name}`, () => {
    const open: { stores: RegionStores; fixture: StoreFixture }[] = [];
    after(async () => {
      for (const { stores, fixture } of open) {
        await stores.close().catch(() => undefined);
        await fixture.dispose();
      }
    });

    async function fresh() {
      const fixture = await makeStore();
      const clock = { t: T0 };
      const stores = await openRegionStores(
        { regions: { main: fixture.config }, telemetry: { flushIntervalMs: 0 } },
        { masterKey: crypto.randomBytes(32).toString('hex'), logger: silent, now: () => clock.t },
      );
      open.push({ stores, fixture });
      const region = stores.region('main');
      return { stores, clock, region, fixture };
    }

    test('migrations are idempotent: reopening a migrated store changes nothing', async () => {
      const { fixture } = await fresh();
      const again = await openStore(fixture.config, { name: 'again', logger: silent });
      const tables = await again.db.introspection.getTables();
      assert.ok(tables.some((t) => t.name === 'quality_samples'));
      await again.close();
    });

    test('apps: create, get, list; id in TRTC range; secret round-trips and is not stored in clear', async () => {
      const { stores, region } = await fresh();
      const { app, secretKey } = await stores.apps.create({
        name: 'Demo',
        region: 'main',
        recordingEnabled: true,
        callbackUrl: 'https://cb.example/x',
        callbackKey: 'abc123',
      });
      assert.ok(app.sdkAppId >= 1_400_000_000 && app.sdkAppId <= 1_499_999_999);
      assert.match(secretKey, /^[0-9a-f]{64}$/);
      assert.equal(app.status, 'active');
      assert.equal(app.recordingEnabled, true);
      assert.equal(app.callbackUrl, 'https://cb.example/x');
      assert.equal(app.hasCallbackKey, true);
      assert.deepEqual(await stores.apps.get(app.sdkAppId), app);
      assert.deepEqual(await stores.apps.list(), [app]);
      assert.equal(await stores.apps.getSecretKey(app.sdkAppId), secretKey);
      assert.deepEqual(await stores.apps.getCallbackConfig(app.sdkAppId), {
        url: 'https://cb.example/x',
        key: 'abc123',
      });
      const row = await region.store.db.selectFrom('apps').selectAll().executeTakeFirstOrThrow();
      assert.ok(row.secret_key_ciphertext instanceof Buffer);
      assert.ok(!row.secret_key_ciphertext.toString('latin1').includes(secretKey));
      assert.ok(!row.secret_key_ciphertext.includes(Buffer.from(secretKey, 'hex')));
    });

    test('apps: rotate, terminate, unknown and invalid input give clear errors', async () => {
      const { stores, clock } = await fresh();
      const { app, secretKey } = await stores.apps.create({ name: 'A', region: 'main' });
      const rotated = await stores.apps.rotateSecretKey(app.sdkAppId);
      assert.notEqual(rotated, secretKey);
      assert.equal(await stores.apps.getSecretKey(app.sdkAppId), rotated);
      clock.t += 1000;
      const terminated = await stores.apps.terminate(app.sdkAppId);
      assert.equal(terminated.status, 'terminated');
      assert.equal(terminated.terminatedAt, clock.t);
      await rejectsWithCode(() => stores.apps.getSecretKey(app.sdkAppId), 'APP_TERMINATED');
      await rejectsWithCode(() => stores.apps.rotateSecretKey(app.sdkAppId), 'APP_TERMINATED');
      await rejectsWithCode(() => stores.apps.getSecretKey(1_400_000_000), 'APP_NOT_FOUND');
      await rejectsWithCode(() => stores.apps.getSecretKey(-5), 'INVALID_SDK_APP_ID');
      await rejectsWithCode(() => stores.apps.get(1.5), 'INVALID_SDK_APP_ID');
      await rejectsWithCode(() => stores.apps.create({ name: 'x', region: 'mars' }), 'REGION_UNKNOWN');
      await rejectsWithCode(() => stores.apps.create({ name: '', region: 'main' }), 'APP_INVALID');
      await rejectsWithCode(
        () => stores.apps.create({ name: 'x', region: 'main', callbackKey: 'no spaces!' }),
        'APP_INVALID',
      );
      assert.equal((await stores.apps.list()).length, 1, 'failed creates wrote nothing');
    });

    test('apps: ensureDevApp is idempotent and the configured secret wins', async () => {
      const { stores } = await fresh();
      const a = await stores.apps.ensureDevApp({ sdkAppId: 1400000001, secretKey: 'devsecret' });
      const b = await stores.apps.ensureDevApp({ sdkAppId: 1400000001, secretKey: 'devsecret' });
      assert.deepEqual(a, b);
      await stores.apps.ensureDevApp({ sdkAppId: 1400000001, secretKey: 'changed' });
      assert.equal(await stores.apps.getSecretKey(1400000001), 'changed');
      assert.equal((await stores.apps.list()).length, 1);
    });

    test('crypto-shredding: after the data key is destroyed the secret is unrecoverable, even with the master key', async () => {
      const { stores, region } = await fresh();
      const { app } = await stores.apps.create({
        name: 'S',
        region: 'main',
        callbackUrl: 'https://x.example',
        callbackKey: 'k1',
      });
      const before = await region.store.db.selectFrom('apps').selectAll().executeTakeFirstOrThrow();
      await stores.apps.terminate(app.sdkAppId);
      assert.deepEqual(await stores.apps.destroyKeys(app.sdkAppId), { dataKeys: 1, sealedFields: 1 });
      assert.deepEqual(await stores.apps.destroyKeys(app.sdkAppId), { dataKeys: 0, sealedFields: 0 }, 'idempotent');
      assert.equal(await region.store.db.selectFrom('app_data_keys').selectAll().executeTakeFirst(), undefined);
      const afterRow = await region.store.db.selectFrom('apps').selectAll().executeTakeFirstOrThrow();
      assert.equal(afterRow.secret_key_ciphertext, null);
      assert.ok(before.secret_key_ciphertext !== null);
      assert.notEqual(afterRow.shredded_at, null);
    });

    test('telemetry: a batch round-trips exactly; one call timeline is scoped to its app and call', async () => {
      const { stores, region } = await fresh();
      const { app } = await stores.apps.create({ name: 'T', region: 'main' });
      const commId = await region.telemetry.openRoomSession({
        sdkAppId: app.sdkAppId,
        roomId: '42',
        roomIdType: 1,
        createdAt: T0,
      });
      assert.equal(commId, makeCommId(app.sdkAppId, 42, T0));
      const samples = [
        testSample(app.sdkAppId, commId, 'alice', T0 + 2000),
        testSample(app.sdkAppId, commId, 'bob', T0 + 2000),
      ];
      const sparse: QualitySample = {
        sdkAppId: app.sdkAppId,
        commId,
        userId: 'alice',
        source: 'server',
        sampledAt: T0 + 4000,
        rttMs: 20,
        availableBitrateKbps: 2500,
      };
      for (const s of [...samples, sparse]) region.writer.recordQuality(s);
      region.writer.recordUserEvent({
        sdkAppId: app.sdkAppId,
        commId,
        userId: 'alice',
        eventId: 103,
        occurredAt: T0 + 1000,
      });
      region.writer.recordUserEvent({
        sdkAppId: app.sdkAppId,
        commId,
        userId: 'alice',
        eventId: 201,
        paramOne: 'main',
        occurredAt: T0 + 1500,
      });
      await region.writer.flush();
      assert.deepEqual(await region.telemetry.callSamples({ sdkAppId: app.sdkAppId, commId }), [
        samples[0],
        sparse,
        samples[1],
      ]);
      assert.deepEqual(await region.telemetry.callSamples({ sdkAppId: app.sdkAppId, commId, userIds: ['bob'] }), [
        samples[1],
      ]);
      const timeline = await region.telemetry.callTimeline({ sdkAppId: app.sdkAppId, commId });
      assert.deepEqual(
        timeline.series.map((s) => [
          s.userId,
          s.source,
          s.sampledAt,
          s.metrics.rttMs,
          s.metrics.videoOn,
          s.metrics.availableBitrateKbps,
        ]),
        [
          ['alice', 'sdk', [T0 + 2000], [48], [1], [null]],
          ['alice', 'server', [T0 + 4000], [20], [null], [2500]],
          ['bob', 'sdk', [T0 + 2000], [48], [1], [null]],
        ],
      );
      assert.deepEqual(
        timeline.events.map((e) => [e.eventId, e.paramOne]),
        [
          [103, undefined],
          [201, 'main'],
        ],
      );
      const rttOnly = await region.telemetry.callTimeline({
        sdkAppId: app.sdkAppId,
        commId,
        userIds: ['bob'],
        metrics: ['rttMs'],
      });
      assert.deepEqual(rttOnly.series, [
        { userId: 'bob', source: 'sdk', sampledAt: [T0 + 2000], metrics: { rttMs: [48] } },
      ]);
      const otherApp = await region.telemetry.callTimeline({ sdkAppId: app.sdkAppId + 1, commId });
      assert.deepEqual(otherApp, { series: [], events: [] });
      assert.deepEqual(await region.telemetry.callSamples({ sdkAppId: app.sdkAppId + 1, commId }), []);
    });

    test('telemetry: a failing batch writes nothing (one transaction per batch)', async () => {
      const { stores, region } = await fresh();
      const { app } = await stores.apps.create({ name: 'T', region: 'main' });
      const commId = makeCommId(app.sdkAppId, 1, T0);
      const good = testSample(app.sdkAppId, commId, 'u1', T0);
      // Bypass validation to reach the database with a row it refuses (NOT NULL user_id) after a valid one.
      const bad = { ...good, userId: null } as unknown as QualitySample;
      await assert.rejects(() => region.telemetry.insertQualitySamples([good, bad]));
      const count = await region.store.db
        .selectFrom('quality_samples')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 0);
      const rollups = await region.store.db
        .selectFrom('quality_rollups')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(rollups.n), 0, 'nor any rollup');
    });

    test('telemetry: rooms in a window, users of a call, scale per day', async () => {
      const { stores, region } = await fresh();
      const { app } = await stores.apps.create({ name: 'T', region: 'main' });
      const id = app.sdkAppId;
      const c1 = await region.telemetry.openRoomSession({
        sdkAppId: id,
        roomId: 'room-a',
        roomIdType: 0,
        createdAt: T0,
      });
      const c2 = await region.telemetry.openRoomSession({
        sdkAppId: id,
        roomId: '7',
        roomIdType: 1,
        createdAt: T0 + 3 * 3600_000,
      });
      await region.telemetry.closeRoomSession(id, c1, T0 + 3600_000);
      const log = (commId: string, roomId: string, userId: string, action: 'enter' | 'exit', at: number) =>
        region.writer.recordBackendLog({
          sdkAppId: id,
          commId,
          roomId,
          roomIdType: roomId === '7' ? 1 : 0,
          userId,
          action,
          reason: 1,
          clientIp: '198.51.100.7',
          sdkVersion: '5.0.0',
          osType: 'Linux',
          occurredAt: at,
        });
      log(c1, 'room-a', 'alice', 'enter', T0 + 1000);
      log(c1, 'room-a', 'bob', 'enter', T0 + 2000);
      log(c1, 'room-a', 'alice', 'exit', T0 + 60_000);
      log(c2, '7', 'alice', 'enter', T0 + 3 * 3600_000 + 5);
      await region.writer.flush();
      await region.telemetry.addUsage(id, T0, 59);
      await region.telemetry.addUsage(id, T0 + 1000, 61);

      const early = await region.telemetry.roomsInWindow({ sdkAppId: id, start: T0, end: T0 + 2 * 3600_000 });
      assert.deepEqual(
        early.map((r) => r.commId),
        [c1],
      );
      const all = await region.telemetry.roomsInWindow({ sdkAppId: id, start: T0, end: T0 + 4 * 3600_000 });
      assert.deepEqual(
        all.map((r) => [r.commId, r.destroyedAt]),
        [
          [c1, T0 + 3600_000],
          [c2, null],
        ],
      );
      const users = await region.telemetry.callUsers({ sdkAppId: id, commId: c1 });
      assert.deepEqual(
        users.map((u) => [u.userId, u.joinTs, u.leaveTs, u.finished, u.clientIp]),
        [
          ['alice', T0 + 1000, T0 + 60_000, true, '198.51.100.7'],
          ['bob', T0 + 2000, null, false, '198.51.100.7'],
        ],
      );
      const scale = await region.telemetry.scaleInfo({ sdkAppId: id, start: T0 - DAY_MS, end: T0 + DAY_MS });
      assert.deepEqual(scale, [
        { day: '2025-01-10', userNumber: 2, userCount: 3, roomNumbers: 2, participantMinutes: 2 },
      ]);
    });

    test('deletion request: erases one user in every category and the receipt matches', async () => {
      const { stores, region } = await fresh();
      const { app } = await stores.apps.create({ name: 'D', region: 'main' });
      const id = app.sdkAppId;
      const commId = makeCommId(id, 9, T0);
      for (let i = 0; i < 5; i++) region.writer.recordQuality(testSample(id, commId, 'alice', T0 + i * 2000));
      for (let i = 0; i < 3; i++) region.writer.recordQuality(testSample(id, commId, 'bob', T0 + i * 2000));
      region.writer.recordUserEvent({ sdkAppId: id, commId, userId: 'alice', eventId: 103, occurredAt: T0 });
      region.writer.recordBackendLog({
        sdkAppId: id,
        commId,
        roomId: '9',
        roomIdType: 1,
        userId: 'alice',
        action: 'enter',
        occurredAt: T0,
      });
      region.writer.recordBackendLog({
        sdkAppId: id,
        commId,
        roomId: '9',
        roomIdType: 1,
        userId: 'alice',
        action: 'exit',
        occurredAt: T0 + 9000,
      });
      const outbox = new CallbackOutbox(region.store);
      for (const userId of ['alice', 'bob'])
        await outbox.enqueue({ sdkAppId: id, eventType: 103, userId, body: `{"UserId":"${userId}"}`, at: T0 });
      // The queue's own queries, on this dialect: the head of the app's FIFO is its oldest pending event.
      assert.equal(await outbox.pendingCount(id), 2);
      assert.deepEqual(
        (await outbox.heads()).map((h) => [h.sdkAppId, h.body]),
        [[id, '{"UserId":"alice"}']],
      );
      // Not flushed on purpose: erasure must flush the buffer so no buffered row outlives it.
      const receipt = await eraseUser(stores, { sdkAppId: id, userId: 'alice' });
      assert.deepEqual(receipt.deleted, {
        backend_logs: 2,
        quality_samples: 5,
        user_events: 1,
        callback_deliveries: 1,
        quality_rollups: 1,
      });
      assert.equal((await outbox.log(id, { limit: 10 })).length, 1, "bob's queued callback stays");
      // The receipt names the subject by a keyed hash: hashing a guessed userId does not find it.
      assert.equal(receipt.subjectHash, subjectHash(stores.subjectKey, id, 'alice'));
      assert.notEqual(receipt.subjectHash, crypto.createHash('sha256').update(`${id}:alice`).digest('hex'));
      const left = await region.telemetry.callTimeline({ sdkAppId: id, commId });
      assert.deepEqual(
        left.series.map((s) => s.userId),
        ['bob'],
      );
      assert.equal(left.events.length, 0);
      const job = await region.store.db
        .selectFrom('privacy_jobs')
        .selectAll()
        .where('id', '=', receipt.jobId)
        .executeTakeFirstOrThrow();
      assert.equal(job.status, 'done');
      assert.ok(!job.params.includes('alice'), 'the finished job keeps no userId');
      const again = await eraseUser(stores, { sdkAppId: id, userId: 'alice' });
      assert.deepEqual(again.deleted, {
        backend_logs: 0,
        quality_samples: 0,
        user_events: 0,
        callback_deliveries: 0,
        quality_rollups: 0,
      });
      await rejectsWithCode(() => eraseUser(stores, { sdkAppId: 1_400_000_000, userId: 'alice' }), 'APP_NOT_FOUND');
      await rejectsWithCode(() => eraseUser(stores, { sdkAppId: id, userId: 'bad id' }), 'INVALID_USER_ID');
    });

    test('retention with a moved clock: 7-day period keeps day 6, removes day 8', async () => {
      const { stores, clock, region } = await fresh();
      const { app } = await stores.apps.create({ name: 'R', region: 'main' });
      const commId = await region.telemetry.openRoomSession({
        sdkAppId: app.sdkAppId,
        roomId: '1',
        roomIdType: 1,
        createdAt: T0,
      });
      region.writer.recordQuality(testSample(app.sdkAppId, commId, 'u', T0));
      region.writer.recordBackendLog({
        sdkAppId: app.sdkAppId,
        commId,
        roomId: '1',
        roomIdType: 1,
        userId: 'u',
        action: 'enter',
        occurredAt: T0,
      });
      await region.writer.flush();
      const policy = { qualityRetentionDays: 7, logRetentionDays: 7 };
      clock.t = T0 + 6 * DAY_MS;
      const day6 = await runRetention(stores, { policy });
      assert.equal(day6.expired.main?.quality_samples, 0);
      assert.equal((await region.telemetry.callSamples({ sdkAppId: app.sdkAppId, commId })).length, 1);
      clock.t = T0 + 8 * DAY_MS;
      const day8 = await runRetention(stores, { policy });
      assert.equal(day8.expired.main?.quality_samples, 1);
      assert.equal(day8.expired.main?.quality_rollups, 1);
      assert.equal(day8.expired.main?.backend_logs, 1);
      assert.equal(day8.expired.main?.room_sessions, 1);
      assert.equal((await region.telemetry.callSamples({ sdkAppId: app.sdkAppId, commId })).length, 0);
      assert.equal((await region.telemetry.callUsers({ sdkAppId: app.sdkAppId, commId })).length, 0);
    });
    operatorsContract(fresh);

    auditContract(fresh);
    outboxContract(fresh);
    grantsContract(fresh);
    reportsContract(fresh);
    rollupsContract(fresh);
  });
}
