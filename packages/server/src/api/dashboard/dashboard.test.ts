// The dashboard routes in process over two real region stores (the data region on SQLite, then on PostgreSQL) with real rows, behind stand-in pre-handlers
// that act as a signed-in support operator holding a grant (the real access checks are wired in main.ts).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { AuditEntry } from '../../audit/audit-entry.ts';
import type { CallDataScope } from '../../operators/access.ts';
import type { Permission } from '../../operators/principal.ts';
import { eraseUser } from '../../privacy/erasure.ts';
import { RoomDirectory } from '../../rooms/room-directory.ts';
import { testSample } from '../../storage/contract.ts';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../../storage/postgres/test-database.ts';
import { openRegionStores, type RegionStores } from '../../storage/regions.ts';
import { UserEventIds } from '../../telemetry/records.ts';
import { dashboardRoutes } from './index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-dashboard-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const NOW = Date.UTC(2026, 5, 10, 12);
const audits: AuditEntry[] = [];
const asked: { permission?: Permission; scope?: CallDataScope; app?: number }[] = [];
let stores: RegionStores;
let app: FastifyInstance;
let rooms: RoomDirectory;
let east: number; // the app with data, in region "east"
let west: number; // an app in region "west" with no calls
let commId: string;
let otherCommId: string;
let pg: TestPostgresDatabase | undefined;

// The data region on each driver: the same rows, the same answers.
for (const driver of ['sqlite', 'postgres'] as const) {
  describe(`dashboard, data region on ${driver}`, () => {
    before(async () => {
      if (driver === 'postgres') pg = await createTestPostgresDatabase();
      stores = await openRegionStores(
        {
          regions: {
            west: { driver: 'sqlite', path: path.join(dir, `west-${driver}.db`) },
            east:
              pg === undefined
                ? { driver: 'sqlite', path: path.join(dir, `east-${driver}.db`) }
                : { driver: 'postgres', url: pg.url },
          },
          telemetry: { flushIntervalMs: 0 },
        },
        { masterKey: crypto.randomBytes(32).toString('hex'), logger: pino({ level: 'silent' }), now: () => NOW },
      );
      east = (await stores.apps.create({ name: 'east app', region: 'east' })).app.sdkAppId;
      west = (await stores.apps.create({ name: 'west app', region: 'west' })).app.sdkAppId;
      const region = await stores.storeForApp(east);
      const t0 = NOW - 3600_000;
      commId = await region.telemetry.openRoomSession({
        sdkAppId: east,
        roomId: 'standup',
        roomIdType: 0,
        createdAt: t0,
      });
      otherCommId = await region.telemetry.openRoomSession({
        sdkAppId: east,
        roomId: '42',
        roomIdType: 1,
        createdAt: t0 + 60_000,
      });
      await region.telemetry.closeRoomSession(east, commId, t0 + 600_000);
      const log = (userId: string, action: 'enter' | 'exit', at: number, c = commId, reason = 1) =>
        region.writer.recordBackendLog({
          sdkAppId: east,
          commId: c,
          roomId: c === commId ? 'standup' : '42',
          roomIdType: c === commId ? 0 : 1,
          userId,
          action,
          reason,
          clientIp: '192.0.2.7',
          sdkVersion: '5.8.0',
          osType: 'Windows',
          occurredAt: at,
        });
      const event = (userId: string, eventId: number, at: number, paramOne?: string) =>
        region.writer.recordUserEvent({
          sdkAppId: east,
          commId,
          userId,
          eventId,
          occurredAt: at,
          ...(paramOne ? { paramOne } : {}),
        });
      log('alice', 'enter', t0 + 1000);
      event('alice', UserEventIds.ENTER_ROOM, t0 + 1000, 'anchor');
      event('alice', UserEventIds.VIDEO_START, t0 + 2000);
      log('bob', 'enter', t0 + 1500);
      event('bob', UserEventIds.ENTER_ROOM, t0 + 1500, 'audience');
      log('bob', 'exit', t0 + 9000, commId, 2);
      event('bob', UserEventIds.EXIT_ROOM, t0 + 9000, '2');
      log('alice', 'exit', t0 + 500_000);
      log('carol', 'enter', t0 + 61_000, otherCommId);
      const healthy = { ...testSample(east, commId, 'alice', t0), videoBlockMs: 0 };
      for (let i = 0; i < 5; i++)
        region.writer.recordQuality({
          ...healthy,
          sampledAt: t0 + 2000 * (i + 1),
          ...(i === 2 ? { audioLoss: 12 } : {}),
        });
      region.writer.recordQuality({ ...healthy, source: 'server', sampledAt: t0 + 2001, rttMs: 650 });
      await region.telemetry.addUsage(east, t0, 1234);
      await region.writer.flush();

      rooms = new RoomDirectory({ now: () => NOW });
      rooms.admit({
        key: { sdkAppId: east, strRoomId: 'live-now' },
        userId: 'dave',
        role: 'anchor',
        scene: 'rtc',
        sessionId: 's-dave',
        privilegeControl: false,
      });
      rooms.admit({
        key: { sdkAppId: west, roomId: 7 },
        userId: 'erin',
        role: 'anchor',
        scene: 'rtc',
        sessionId: 's-erin',
        privilegeControl: false,
      });

      app = Fastify();
      await app.register(dashboardRoutes, {
        stores,
        rooms,
        audit: { append: async (entry) => void audits.push(entry) },
        now: () => NOW,
        requirePermission: (permission) => async (request) => {
          asked.push({ permission });
          request.principal = {
            kind: 'operator',
            id: 'op-1',
            email: 's@example.com',
            role: 'support',
            sessionId: 's1',
          };
        },
        requireCallData: (scope, appOf) => async (request) => {
          asked.push({ scope, app: appOf(request) });
          request.grantId = 'grant-1';
        },
      });
    });
    after(async () => {
      await app.close();
      await stores.close();
      await pg?.drop();
    });

    async function get(url: string) {
      audits.length = 0;
      asked.length = 0;
      const res = await app.inject({ method: 'GET', url });
      return { status: res.statusCode, body: res.json() as Record<string, unknown> & { error?: { code: string } } };
    }

    describe('call list', () => {
      test('newest first with user and abnormal counts, status and duration; audited once under the grant', async () => {
        const { status, body } = await get(`/console/api/apps/${east}/calls`);
        assert.equal(status, 200);
        const calls = body.calls as { commId: string; userCount: number; abnormalCount: number; status: string }[];
        assert.deepEqual(
          calls.map((c) => [c.commId, c.userCount, c.abnormalCount, c.status]),
          [
            [otherCommId, 1, 0, 'live'],
            [commId, 2, 2, 'ended'],
          ],
        );
        assert.equal((calls[1] as unknown as { durationSeconds: number }).durationSeconds, 600);
        assert.equal(body.nextBefore, null);
        assert.deepEqual(asked, [{ permission: 'call_data.read' }, { scope: 'calls', app: east }]);
        assert.equal(audits.length, 1);
        assert.deepEqual(
          {
            action: audits[0]?.action,
            target: audits[0]?.target,
            grantId: audits[0]?.grantId,
            result: audits[0]?.result,
          },
          { action: 'call_data.read.calls', target: { sdkAppId: east }, grantId: 'grant-1', result: 'ok' },
        );
      });

      test('filters by user and room, pages with nextBefore', async () => {
        const byUser = await get(`/console/api/apps/${east}/calls?userId=carol`);
        assert.deepEqual(
          (byUser.body.calls as { commId: string }[]).map((c) => c.commId),
          [otherCommId],
        );
        const byRoom = await get(`/console/api/apps/${east}/calls?roomId=standup`);
        assert.deepEqual(
          (byRoom.body.calls as { commId: string }[]).map((c) => c.commId),
          [commId],
        );
        const first = await get(`/console/api/apps/${east}/calls?limit=1`);
        assert.equal((first.body.calls as unknown[]).length, 1);
        assert.equal(typeof first.body.nextBefore, 'string');
        const second = await get(
          `/console/api/apps/${east}/calls?limit=1&before=${encodeURIComponent(first.body.nextBefore as string)}`,
        );
        assert.deepEqual(
          (second.body.calls as { commId: string }[]).map((c) => c.commId),
          [commId],
        );
        const window = await get(`/console/api/apps/${east}/calls?from=${NOW - 86_400_000}&to=${NOW - 7200_000}`);
        assert.deepEqual(window.body.calls, []);
      });

      test('refuses bad queries with DASHBOARD_QUERY_INVALID, audited as denied', async () => {
        for (const query of [
          'limit=501',
          'limit=0',
          `from=${NOW - 32 * 86_400_000}&to=${NOW}`,
          `from=${NOW}&to=${NOW - 1}`,
          'userId=not%20valid',
          'unknown=1',
          'before=garbage',
          'from=yesterday',
        ]) {
          const { status, body } = await get(`/console/api/apps/${east}/calls?${query}`);
          assert.equal(status, 400, query);
          assert.equal(body.error?.code, 'DASHBOARD_QUERY_INVALID', query);
          assert.equal(audits.length, 1, query);
          assert.equal(audits[0]?.result, 'denied');
          assert.equal(audits[0]?.detail, 'DASHBOARD_QUERY_INVALID');
        }
      });

      test('a malformed app id is refused before the grant check; an unknown app is APP_NOT_FOUND', async () => {
        const bad = await get('/console/api/apps/abc/calls');
        assert.equal(bad.status, 400);
        assert.equal(bad.body.error?.code, 'DASHBOARD_QUERY_INVALID');
        assert.ok(!asked.some((a) => a.scope !== undefined));
        const unknown = await get('/console/api/apps/1499999999/calls');
        assert.equal(unknown.status, 404);
        assert.equal(unknown.body.error?.code, 'APP_NOT_FOUND');
      });

      test('region routing: each app reads its own region store only', async () => {
        const { status, body } = await get(`/console/api/apps/${west}/calls`);
        assert.equal(status, 200);
        assert.deepEqual(body.calls, []);
        const westRows = await stores.region('west').store.db.selectFrom('room_sessions').selectAll().execute();
        const eastRows = await stores.region('east').store.db.selectFrom('room_sessions').selectAll().execute();
        assert.equal(westRows.length, 0);
        assert.equal(eastRows.length, 2);
      });
    });

    describe('one call', () => {
      test('detail: users with role, sessions, client facts', async () => {
        const { status, body } = await get(`/console/api/apps/${east}/calls/${commId}`);
        assert.equal(status, 200);
        const call = body.call as { roomId: string; status: string; userCount: number };
        assert.deepEqual([call.roomId, call.status, call.userCount], ['standup', 'ended', 2]);
        const users = body.users as {
          userId: string;
          role: string;
          sessions: unknown[];
          os: string;
          clientIp: string;
        }[];
        assert.deepEqual(
          users.map((u) => [u.userId, u.role, u.os, u.clientIp]),
          [
            ['alice', 'anchor', 'Windows', '192.0.2.7'],
            ['bob', 'audience', 'Windows', '192.0.2.7'],
          ],
        );
        assert.deepEqual(users[1]?.sessions, [
          { joinedAt: NOW - 3600_000 + 1500, leftAt: NOW - 3600_000 + 9000, reason: 2 },
        ]);
        assert.equal(audits[0]?.action, 'call_data.read.call');
        assert.deepEqual(audits[0]?.target, { sdkAppId: east, roomId: 'standup' });
      });

      test("another app's call and a bad CommId are CALL_NOT_FOUND", async () => {
        const { status, body } = await get(`/console/api/apps/${west}/calls/${commId}`);
        assert.equal(status, 404);
        assert.equal(body.error?.code, 'CALL_NOT_FOUND');
        assert.equal(audits[0]?.result, 'denied');
        assert.equal((await get(`/console/api/apps/${east}/calls/nope`)).body.error?.code, 'CALL_NOT_FOUND');
      });

      test('quality: columnar series per user and source, and the abnormal markers', async () => {
        const { status, body } = await get(`/console/api/apps/${east}/calls/${commId}/quality`);
        assert.equal(status, 200);
        const series = body.series as {
          userId: string;
          source: string;
          t: number[];
          audioLoss: number[];
          fps: number[];
        }[];
        assert.deepEqual(
          series.map((s) => [s.userId, s.source, s.t.length]),
          [
            ['alice', 'sdk', 5],
            ['alice', 'server', 1],
          ],
        );
        assert.deepEqual(series[0]?.audioLoss, [0.5, 0.5, 12, 0.5, 0.5]);
        assert.deepEqual(series[0]?.fps, [30, 30, 30, 30, 30]);
        const t0 = NOW - 3600_000;
        assert.deepEqual(body.abnormal, [
          { userId: 'alice', at: t0 + 2001, kind: 'rtt', value: 650 },
          { userId: 'alice', at: t0 + 6000, kind: 'loss', value: 12 },
          { userId: 'bob', at: t0 + 9000, kind: 'join_failed', value: 2 },
        ]);
        assert.deepEqual(asked.at(-1), { scope: 'quality', app: east });
        assert.equal(audits[0]?.action, 'call_data.read.quality');
        const one = await get(`/console/api/apps/${east}/calls/${commId}/quality?userId=bob`);
        assert.deepEqual(one.body.series, []);
        assert.deepEqual(audits[0]?.target, { sdkAppId: east, roomId: 'standup', userId: 'bob' });
        assert.equal((await get(`/console/api/apps/${east}/calls/${commId}/quality?x=1`)).status, 400);
        assert.equal((await get(`/console/api/apps/${east}/calls/${commId}/quality?bucketMs=10`)).status, 400);
      });

      test('quality in coarser buckets keeps the worst loss and the markers at full resolution', async () => {
        const { body } = await get(`/console/api/apps/${east}/calls/${commId}/quality?bucketMs=10000`);
        const t0 = NOW - 3600_000;
        const sdk = (
          body.series as { source: string; t: number[]; audioLoss: number[]; videoBitrateKbps: number[] }[]
        )[0];
        assert.deepEqual(sdk?.t, [t0, t0 + 10_000]);
        assert.deepEqual(sdk?.audioLoss, [12, 0.5]);
        assert.deepEqual(sdk?.videoBitrateKbps, [1200, 1200]);
        assert.equal(body.bucketMs, 10_000);
        assert.equal((body.abnormal as unknown[]).length, 3);
      });

      test('events: named, by user then time, under the events scope', async () => {
        const { status, body } = await get(`/console/api/apps/${east}/calls/${commId}/events`);
        assert.equal(status, 200);
        assert.deepEqual(
          (body.events as { userId: string; name: string; paramOne: string | null }[]).map((e) => [
            e.userId,
            e.name,
            e.paramOne,
          ]),
          [
            ['alice', 'enter_room', 'anchor'],
            ['alice', 'video_start', null],
            ['bob', 'enter_room', 'audience'],
            ['bob', 'exit_room', '2'],
          ],
        );
        assert.deepEqual(asked.at(-1), { scope: 'events', app: east });
        assert.equal(audits[0]?.action, 'call_data.read.events');
      });
    });

    describe('app views', () => {
      test("realtime: this app's live rooms only", async () => {
        const { status, body } = await get(`/console/api/apps/${east}/realtime`);
        assert.equal(status, 200);
        assert.deepEqual(body.rooms, [
          { roomId: 'live-now', commId: `${east}_live-now_${Math.floor(NOW / 1000)}`, users: ['dave'], since: NOW },
        ]);
        assert.equal(body.refreshedAt, NOW);
        assert.equal(audits[0]?.action, 'call_data.read.realtime');
      });

      test('usage per day needs apps.read and no grant', async () => {
        const { status, body } = await get(`/console/api/apps/${east}/usage`);
        assert.equal(status, 200);
        assert.deepEqual(body.days, [{ day: '2026-06-10', participantSeconds: 1234 }]);
        assert.deepEqual(asked, [{ permission: 'apps.read' }]);
        assert.equal(audits.length, 1);
        const tooLong = await get(`/console/api/apps/${east}/usage?from=0&to=${NOW}`);
        assert.equal(tooLong.body.error?.code, 'DASHBOARD_QUERY_INVALID');
      });

      test('deletions: receipts of every region, newest first, without the userId', async () => {
        await eraseUser(stores, { sdkAppId: east, userId: 'bob' });
        const { status, body } = await get('/console/api/privacy/deletions');
        assert.equal(status, 200);
        assert.deepEqual(asked, [{ permission: 'privacy.erase' }]);
        const [d] = body.deletions as {
          sdkAppId: number;
          status: string;
          receipt: { region: string; deleted: Record<string, number> };
        }[];
        assert.equal(d?.sdkAppId, east);
        assert.equal(d?.status, 'done');
        assert.equal(d?.receipt.region, 'east');
        assert.equal(d?.receipt.deleted.backend_logs, 2);
        assert.doesNotMatch(JSON.stringify(body), /bob/);
        assert.equal((await get('/console/api/privacy/deletions?limit=9999')).status, 400);
      });
    });
  });
}
