// Admin app routes in process with app.inject(), over a real SQLite-backed registry.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { AuditLog } from '../audit/audit-log.ts';
import { createOperatorPlane } from '../operators/operator-plane.ts';
import { openRegionStores } from '../storage/regions.ts';
import type { RegionStores } from '../storage/regions.ts';
import { appsRoutes } from './apps.ts';

let app: FastifyInstance;
let stores: RegionStores;
let audit: AuditLog;
const ADMIN_TOKEN = crypto.randomBytes(24).toString('hex');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-api-'));
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

before(async () => {
  stores = await openRegionStores(
    { regions: { main: { driver: 'sqlite', path: path.join(dir, 'a.db') } } },
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
  await app.register(appsRoutes, {
    apps: stores.apps,
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

test('every app route refuses a caller without operator credentials (401 OPERATOR_UNAUTHENTICATED)', async () => {
  for (const [method, url] of [
    ['GET', '/admin/apps'],
    ['POST', '/admin/apps'],
    ['GET', '/admin/apps/1400000001'],
    ['POST', '/admin/apps/1400000001/rotate-key'],
    ['POST', '/admin/apps/1400000001/terminate'],
  ] as const) {
    const res = await app.inject({ method, url, payload: method === 'POST' ? {} : undefined });
    assert.equal(res.statusCode, 401, `${method} ${url}`);
    assert.equal(res.json().error.code, 'OPERATOR_UNAUTHENTICATED');
  }
  assert.equal((await stores.apps.list()).length, 0);
});

test('create → get → list → rotate-key → terminate', async () => {
  const created = await app.inject({
    method: 'POST',
    url: '/admin/apps',
    headers: admin,
    payload: { name: 'Web demo', region: 'main', relayEnabled: true },
  });
  assert.equal(created.statusCode, 201);
  assert.equal(created.headers['cache-control'], 'no-store');
  const { app: rec, secretKey } = created.json() as {
    app: { sdkAppId: number; relayEnabled: boolean };
    secretKey: string;
  };
  assert.equal(rec.relayEnabled, true);
  assert.equal(await stores.apps.getSecretKey(rec.sdkAppId), secretKey);

  const got = await app.inject({ method: 'GET', url: `/admin/apps/${rec.sdkAppId}`, headers: admin });
  assert.deepEqual(got.json(), { app: rec });
  assert.ok(!got.body.includes(secretKey), 'get never returns the secret');
  const list = await app.inject({ method: 'GET', url: '/admin/apps', headers: admin });
  assert.deepEqual((list.json() as { apps: unknown[] }).apps, [rec]);

  const rotated = await app.inject({ method: 'POST', url: `/admin/apps/${rec.sdkAppId}/rotate-key`, headers: admin });
  const newKey = (rotated.json() as { secretKey: string }).secretKey;
  assert.notEqual(newKey, secretKey);
  assert.equal(await stores.apps.getSecretKey(rec.sdkAppId), newKey);

  const terminated = await app.inject({ method: 'POST', url: `/admin/apps/${rec.sdkAppId}/terminate`, headers: admin });
  assert.equal((terminated.json() as { app: { status: string } }).app.status, 'terminated');
  const again = await app.inject({ method: 'POST', url: `/admin/apps/${rec.sdkAppId}/rotate-key`, headers: admin });
  assert.equal(again.statusCode, 409);
  assert.equal((again.json() as { error: { code: string } }).error.code, 'APP_TERMINATED');
});

test('errors map to statuses with stable codes', async () => {
  const cases: [string, string, unknown, number, string][] = [
    ['GET', '/admin/apps/1400000000', undefined, 404, 'APP_NOT_FOUND'],
    ['GET', '/admin/apps/abc', undefined, 400, 'INVALID_SDK_APP_ID'],
    ['GET', '/admin/apps/99999999999', undefined, 400, 'INVALID_SDK_APP_ID'],
    ['POST', '/admin/apps', { name: 'x', region: 'mars' }, 400, 'REGION_UNKNOWN'],
    ['POST', '/admin/apps', { name: 'x', region: 'main', extra: 1 }, 400, 'APP_INVALID'],
    ['POST', '/admin/apps', { region: 'main' }, 400, 'APP_INVALID'],
    ['POST', '/admin/apps', { name: 'x', region: 'main', callbackUrl: 'ftp://x' }, 400, 'APP_INVALID'],
  ];
  for (const [method, url, payload, status, code] of cases) {
    const res = await app.inject({
      method: method as 'GET' | 'POST',
      url,
      headers: admin,
      payload: payload as object | undefined,
    });
    assert.equal(res.statusCode, status, `${method} ${url}`);
    assert.equal((res.json() as { error: { code: string } }).error.code, code, `${method} ${url}`);
  }
});

test('PATCH changes the callback URL and key (sealed), switches and name; bad input writes nothing', async () => {
  const { app: created } = await stores.apps.create({ name: 'Patched', region: 'main' });
  const url = `/admin/apps/${created.sdkAppId}`;
  assert.equal(
    (await app.inject({ method: 'PATCH', url, payload: { callbackUrl: 'https://x.example/cb' } })).statusCode,
    401,
  );
  const res = await app.inject({
    method: 'PATCH',
    url,
    headers: admin,
    payload: { callbackUrl: 'https://x.example/cb', callbackKey: 'abc123', advancedPermissionControl: true },
  });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as {
    app: { callbackUrl: string; hasCallbackKey: boolean; advancedPermissionControl: boolean };
  };
  assert.equal(body.app.callbackUrl, 'https://x.example/cb');
  assert.equal(body.app.hasCallbackKey, true);
  assert.equal(body.app.advancedPermissionControl, true);
  assert.deepEqual(await stores.apps.getCallbackConfig(created.sdkAppId), {
    url: 'https://x.example/cb',
    key: 'abc123',
  });

  for (const payload of [{}, { callbackUrl: 'ftp://nope' }, { region: 'elsewhere' }, { callbackKey: 'bad key!' }]) {
    const bad = await app.inject({ method: 'PATCH', url, headers: admin, payload });
    assert.equal(bad.statusCode, 400, JSON.stringify(payload));
    assert.equal((bad.json() as { error: { code: string } }).error.code, 'APP_INVALID');
  }
  assert.deepEqual(await stores.apps.getCallbackConfig(created.sdkAppId), {
    url: 'https://x.example/cb',
    key: 'abc123',
  });

  await app.inject({ method: 'PATCH', url, headers: admin, payload: { callbackUrl: null, callbackKey: null } });
  assert.equal(await stores.apps.getCallbackConfig(created.sdkAppId), null);
});

test('each admin change is audited once, as automation, with its app; reads are not', async () => {
  const created = await app.inject({
    method: 'POST',
    url: '/admin/apps',
    headers: admin,
    payload: { name: 'Audited', region: 'main' },
  });
  const sdkAppId = (created.json() as { app: { sdkAppId: number } }).app.sdkAppId;
  await app.inject({ method: 'GET', url: `/admin/apps/${sdkAppId}`, headers: admin });
  await app.inject({ method: 'POST', url: `/admin/apps/${sdkAppId}/rotate-key`, headers: admin });
  await app.inject({ method: 'POST', url: `/admin/apps/${sdkAppId}/terminate`, headers: admin });
  const records = (await audit.list({ sdkAppId })).reverse();
  assert.deepEqual(
    records.map((r) => [r.action, r.actor.kind, r.actor.id, r.result]),
    [
      ['apps.create', 'automation', 'admin-token', 'ok'],
      ['apps.rotate_key', 'automation', 'admin-token', 'ok'],
      ['apps.terminate', 'automation', 'admin-token', 'ok'],
    ],
  );
  const wrong = await app.inject({ method: 'GET', url: '/admin/apps', headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.statusCode, 401);
  const denied = await audit.list({ action: 'access.apps.read' });
  assert.equal(denied[0]?.result, 'denied');
  assert.equal(denied[0]?.detail, 'OPERATOR_UNAUTHENTICATED');
});
