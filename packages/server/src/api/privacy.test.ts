// Privacy routes in process: the public inventory and the admin deletion request.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { eraseUser } from '../privacy/erasure.ts';
import { DATA_INVENTORY } from '../privacy/inventory.ts';
import { testSample } from '../storage/contract.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { createOperatorPlane } from '../operators/operator-plane.ts';
import { openRegionStores } from '../storage/regions.ts';
import type { RegionStores } from '../storage/regions.ts';
import { makeCommId } from '../telemetry/comm-id.ts';
import { privacyRoutes } from './privacy.ts';

let app: FastifyInstance;
let stores: RegionStores;
let audit: AuditLog;
const ADMIN_TOKEN = crypto.randomBytes(24).toString('hex');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-api-'));

before(async () => {
  stores = await openRegionStores(
    { regions: { main: { driver: 'sqlite', path: path.join(dir, 'p.db') } } },
    { masterKey: crypto.randomBytes(32).toString('hex'), logger: pino({ level: 'silent' }) },
  );
  const masterKey = crypto.randomBytes(32);
  audit = new AuditLog({ store: stores.control.store, masterKey, logger: pino({ level: 'silent' }) });
  const { requirePermission } = createOperatorPlane({
    store: stores.control.store,
    masterKey,
    audit,
    adminToken: ADMIN_TOKEN,
    sessionIdleMinutes: 30,
    sessionMaxHours: 12,
    webauthnOrigin: 'https://console.test',
  }).access;
  app = Fastify();
  await app.register(privacyRoutes, {
    eraseUser: (r) => eraseUser(stores, r),
    requirePermission,
    audit,
  });
});
after(async () => {
  await app.close();
  await audit.close();
  await stores.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('GET /privacy/inventory is public and is the inventory', async () => {
  const res = await app.inject({ method: 'GET', url: '/privacy/inventory' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { tables: unknown; retention: { qualityRetentionDays: number } };
  assert.deepEqual(body.tables, JSON.parse(JSON.stringify(DATA_INVENTORY)));
  assert.equal(body.retention.qualityRetentionDays, 14);
});

test('POST /admin/privacy/deletions: admin only, returns the receipt, malformed requests are refused', async () => {
  const { app: rec } = await stores.apps.create({ name: 'p', region: 'main' });
  const region = await stores.storeForApp(rec.sdkAppId);
  const commId = makeCommId(rec.sdkAppId, 1, Date.now());
  for (let i = 0; i < 3; i++) region.writer.recordQuality(testSample(rec.sdkAppId, commId, 'carol', Date.now() + i));
  const payload = { sdkAppId: rec.sdkAppId, userId: 'carol' };
  assert.equal((await app.inject({ method: 'POST', url: '/admin/privacy/deletions', payload })).statusCode, 401);
  const res = await app.inject({
    method: 'POST',
    url: '/admin/privacy/deletions',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload,
  });
  assert.equal(res.statusCode, 200);
  const { receipt } = res.json() as { receipt: { deleted: Record<string, number>; subjectHash: string } };
  assert.deepEqual(receipt.deleted, {
    backend_logs: 0,
    quality_samples: 3,
    user_events: 0,
    callback_deliveries: 0,
    quality_rollups: 1,
  });
  assert.ok(!res.body.includes('carol'), 'the receipt does not echo the userId');
  const bad: [unknown, string][] = [
    [{ sdkAppId: rec.sdkAppId }, 'DELETION_REQUEST_INVALID'],
    [{ sdkAppId: String(rec.sdkAppId), userId: 'x' }, 'DELETION_REQUEST_INVALID'],
    [{ sdkAppId: rec.sdkAppId, userId: 'x', more: 1 }, 'DELETION_REQUEST_INVALID'],
    [{ sdkAppId: rec.sdkAppId, userId: 'no spaces' }, 'INVALID_USER_ID'],
    [{ sdkAppId: 1400000000, userId: 'x' }, 'APP_NOT_FOUND'],
  ];
  for (const [p, code] of bad) {
    const r = await app.inject({
      method: 'POST',
      url: '/admin/privacy/deletions',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: p as object,
    });
    assert.equal((r.json() as { error: { code: string } }).error.code, code, JSON.stringify(p));
  }
});
