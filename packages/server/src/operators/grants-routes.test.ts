// The grant routes and the call-data check in process (fastify inject), over a real SQLite store and AuditLog.
// `principalFromTestHeader` (testing/test-principal.ts) stands in for requirePermission: these tests exercise the routes alone.
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
import { sendHttpError } from '../api/http-errors.ts';
import { openRegionStores } from '../storage/regions.ts';
import type { RegionStores } from '../storage/regions.ts';
import { createCallDataAccess } from './call-data-access.ts';
import { OPERATORS } from './grants-contract.ts';
import { grantsRoutes } from './grants-routes.ts';
import { GrantService } from './grants.ts';
import type { Grant } from './grants.ts';
import type { Principal } from './principal.ts';
import { principalFromTestHeader } from '../testing/test-principal.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-grants-routes-'));
const clock = { t: Date.UTC(2026, 0, 5, 9, 0, 0) };
let stores: RegionStores;
let audit: AuditLog;
let app: FastifyInstance;
let sdkAppId: number;

const as = (p: Principal) => ({ 'x-test-principal': JSON.stringify(p) });

before(async () => {
  stores = await openRegionStores(
    { regions: { main: { driver: 'sqlite', path: path.join(dir, 'g.db') } }, telemetry: { flushIntervalMs: 0 } },
    { masterKey: crypto.randomBytes(32).toString('hex'), logger: pino({ level: 'silent' }), now: () => clock.t },
  );
  audit = new AuditLog({
    store: stores.control.store,
    masterKey: crypto.randomBytes(32),
    logger: pino({ level: 'silent' }),
    now: () => clock.t,
  });
  sdkAppId = (await stores.apps.create({ name: 'Customer', region: 'main' })).app.sdkAppId;
  const grants = new GrantService({
    store: stores.control.store,
    audit,
    appExists: (id) => stores.apps.isActive(id),
    now: () => clock.t,
  });
  app = Fastify();
  await app.register(grantsRoutes, { grants, requirePermission: principalFromTestHeader });
  // A call-data route as the dashboard will wire it: permission first, then the grant.
  const callData = createCallDataAccess({ grants, audit, now: () => clock.t });
  await app.register(async (scoped) => {
    scoped.setErrorHandler(sendHttpError);
    scoped.get<{ Params: { sdkAppId: string } }>(
      '/console/api/apps/:sdkAppId/calls',
      {
        preHandler: [
          principalFromTestHeader('call_data.read'),
          callData.requireCallData('calls', (r) => Number((r.params as { sdkAppId: string }).sdkAppId)),
        ],
      },
      async (request) => ({ calls: [], grantId: request.grantId }),
    );
  });
});
after(async () => {
  await app.close();
  await audit.close();
  await stores.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const codeOf = (res: { json(): unknown }) => (res.json() as { error: { code: string } }).error.code;

async function requestGrant(by: Principal, body: Record<string, unknown> = {}) {
  return app.inject({
    method: 'POST',
    url: '/console/api/grants',
    headers: as(by),
    payload: {
      sdkAppId,
      scopes: ['calls'],
      reason: 'Investigating ticket 99 (call drops)',
      durationMinutes: 30,
      ...body,
    },
  });
}

test('happy path: request 201 → approve → call data opens under the grant → revoke closes it', async () => {
  const created = await requestGrant(OPERATORS.support);
  assert.equal(created.statusCode, 201);
  const { grant } = created.json() as { grant: Grant };
  assert.equal(grant.status, 'pending');
  const calls = `/console/api/apps/${sdkAppId}/calls`;
  const pending = await app.inject({ url: calls, headers: as(OPERATORS.support) });
  assert.deepEqual([pending.statusCode, codeOf(pending)], [403, 'GRANT_PENDING']);

  const approved = await app.inject({
    method: 'POST',
    url: `/console/api/grants/${grant.id}/approve`,
    headers: as(OPERATORS.admin),
  });
  assert.equal(approved.statusCode, 200);
  assert.equal((approved.json() as { grant: Grant }).grant.status, 'active');
  const ok = await app.inject({ url: calls, headers: as(OPERATORS.support) });
  assert.equal(ok.statusCode, 200);
  assert.equal((ok.json() as { grantId: string }).grantId, grant.id);

  const own = (await app.inject({ url: '/console/api/grants?status=active', headers: as(OPERATORS.support) })).json();
  assert.deepEqual(
    (own as { grants: Grant[] }).grants.map((g) => g.id),
    [grant.id],
  );
  const revoked = await app.inject({
    method: 'POST',
    url: `/console/api/grants/${grant.id}/revoke`,
    headers: as(OPERATORS.support),
  });
  assert.equal((revoked.json() as { grant: Grant }).grant.status, 'revoked');
  const closed = await app.inject({ url: calls, headers: as(OPERATORS.support) });
  assert.deepEqual([closed.statusCode, codeOf(closed)], [403, 'GRANT_REVOKED']);
  const [newest] = await audit.list({ limit: 1 });
  assert.deepEqual(
    [newest?.action, newest?.result, newest?.detail, newest?.target.sdkAppId],
    ['call_data.read.calls', 'denied', 'GRANT_REVOKED', sdkAppId],
  );
});

test('every refusal code over HTTP', async () => {
  const invalid = await requestGrant(OPERATORS.support, { durationMinutes: 2000 });
  assert.deepEqual([invalid.statusCode, codeOf(invalid)], [400, 'GRANT_INVALID']);
  const unknownField = await requestGrant(OPERATORS.support, { note: 'x' });
  assert.deepEqual([unknownField.statusCode, codeOf(unknownField)], [400, 'GRANT_INVALID']);
  const notJson = await app.inject({
    method: 'POST',
    url: '/console/api/grants',
    headers: { ...as(OPERATORS.support), 'content-type': 'application/json' },
    payload: '{"sdkAppId":',
  });
  assert.equal(notJson.statusCode, 400);
  const huge = await requestGrant(OPERATORS.support, { reason: 'x'.repeat(10_000) });
  assert.equal(huge.statusCode, 413);
  const badStatus = await app.inject({ url: '/console/api/grants?status=all', headers: as(OPERATORS.support) });
  assert.deepEqual([badStatus.statusCode, codeOf(badStatus)], [400, 'GRANT_INVALID']);

  const mine = ((await requestGrant(OPERATORS.admin)).json() as { grant: Grant }).grant;
  const self = await app.inject({
    method: 'POST',
    url: `/console/api/grants/${mine.id}/approve`,
    headers: as(OPERATORS.admin),
  });
  assert.deepEqual([self.statusCode, codeOf(self)], [403, 'GRANT_SELF_APPROVAL']);
  const wrongRole = await app.inject({
    method: 'POST',
    url: `/console/api/grants/${mine.id}/approve`,
    headers: as(OPERATORS.support),
  });
  assert.deepEqual([wrongRole.statusCode, codeOf(wrongRole)], [403, 'OPERATOR_FORBIDDEN']);
  const unknown = await app.inject({
    method: 'POST',
    url: '/console/api/grants/grant_unknown/approve',
    headers: as(OPERATORS.owner),
  });
  assert.deepEqual([unknown.statusCode, codeOf(unknown)], [404, 'GRANT_NOT_FOUND']);
  const rejected = await app.inject({
    method: 'POST',
    url: `/console/api/grants/${mine.id}/reject`,
    headers: as(OPERATORS.owner),
  });
  assert.equal((rejected.json() as { grant: Grant }).grant.status, 'rejected');
  const again = await app.inject({
    method: 'POST',
    url: `/console/api/grants/${mine.id}/approve`,
    headers: as(OPERATORS.owner),
  });
  assert.deepEqual([again.statusCode, codeOf(again)], [409, 'GRANT_STATE_CONFLICT']);
  const automation = await requestGrant(OPERATORS.automation);
  assert.deepEqual([automation.statusCode, codeOf(automation)], [403, 'GRANT_OPERATOR_ONLY']);
  const auditor = await requestGrant({ kind: 'operator', id: 'op-aud', email: 'a@x', role: 'auditor', sessionId: 's' });
  assert.deepEqual([auditor.statusCode, codeOf(auditor)], [403, 'OPERATOR_FORBIDDEN']);
});

test('call data: no grant, out of scope, expired, automation — each 403 with its code and audited', async () => {
  const calls = `/console/api/apps/${sdkAppId}/calls`;
  const who = { ...OPERATORS.otherSupport, id: 'op-fresh' };
  const none = await app.inject({ url: calls, headers: as(who) });
  assert.deepEqual([none.statusCode, codeOf(none)], [403, 'GRANT_REQUIRED']);
  const g = ((await requestGrant(who, { scopes: ['quality'], durationMinutes: 1 })).json() as { grant: Grant }).grant;
  await app.inject({ method: 'POST', url: `/console/api/grants/${g.id}/approve`, headers: as(OPERATORS.admin) });
  const scope = await app.inject({ url: calls, headers: as(who) });
  assert.deepEqual([scope.statusCode, codeOf(scope)], [403, 'GRANT_OUT_OF_SCOPE']);
  clock.t += 61_000;
  const expired = await app.inject({ url: calls, headers: as(who) });
  assert.deepEqual([expired.statusCode, codeOf(expired)], [403, 'GRANT_EXPIRED']);
  const automation = await app.inject({ url: calls, headers: as(OPERATORS.automation) });
  assert.deepEqual([automation.statusCode, codeOf(automation)], [403, 'GRANT_REQUIRED']);
  const denied = (await audit.list({ action: 'call_data.read.calls', limit: 10 })).map((r) => r.detail);
  assert.deepEqual(denied.slice(0, 4), ['GRANT_REQUIRED', 'GRANT_EXPIRED', 'GRANT_OUT_OF_SCOPE', 'GRANT_REQUIRED']);
});
