/**
 * Grant tests run by the store contract (storage/contract.ts) on SQLite and PostgreSQL: the GrantService over a
 * real control store and a real AuditLog, on the contract's movable clock.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { pino } from 'pino';
import { ConclaveError } from '@conclave/protocol';
import type { ErrorCode } from '@conclave/protocol';
import { AuditLog } from '../audit/audit-log.ts';
import { runRetention } from '../privacy/retention.ts';
import { DAY_MS } from '../privacy/retention-policy.ts';
import type { RegionStores } from '../storage/regions.ts';
import { GrantService, PENDING_GRANT_LIFETIME_MS } from './grants.ts';
import type { Principal } from './principal.ts';

interface Fresh {
  stores: RegionStores;
  clock: { t: number };
}

const silent = pino({ level: 'silent' });

/** Operators used by the grant tests. */
export const OPERATORS = {
  support: { kind: 'operator', id: 'op-support', email: 'sup@example.com', role: 'support', sessionId: 's1' },
  admin: { kind: 'operator', id: 'op-admin', email: 'adm@example.com', role: 'admin', sessionId: 's2' },
  owner: { kind: 'operator', id: 'op-owner', email: 'own@example.com', role: 'owner', sessionId: 's3' },
  otherSupport: { kind: 'operator', id: 'op-support-2', email: 'sup2@example.com', role: 'support', sessionId: 's4' },
  automation: { kind: 'automation', id: 'admin-token', role: 'admin' },
  customer: { kind: 'customer', id: 'AKIDcustomer', sdkAppId: 1_400_000_001 },
} as const satisfies Record<string, Principal>;

async function rejectsWith(fn: () => Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof ConclaveError, String(err));
    assert.equal(err.code, code);
    return true;
  });
}

async function setup(fresh: () => Promise<Fresh>) {
  const f = await fresh();
  const audit = new AuditLog({
    store: f.stores.control.store,
    masterKey: crypto.randomBytes(32),
    logger: silent,
    now: () => f.clock.t,
    checkpointEveryRecords: 0,
  });
  const grants = new GrantService({
    store: f.stores.control.store,
    audit,
    appExists: (id) => f.stores.apps.isActive(id),
    now: () => f.clock.t,
  });
  const { app } = await f.stores.apps.create({ name: 'Customer', region: 'main' });
  const { app: other } = await f.stores.apps.create({ name: 'Other', region: 'main' });
  const body = {
    sdkAppId: app.sdkAppId,
    scopes: ['quality', 'calls'],
    reason: 'Ticket 4711: customer reports frozen video',
    durationMinutes: 60,
  };
  return { ...f, audit, grants, app, other, body };
}

/** Registers the grant tests of the store contract. */
export function grantsContract(fresh: () => Promise<Fresh>): void {
  test('grants: request → approve by another admin → authorize ok; every step audited', async () => {
    const { grants, audit, clock, app, body } = await setup(fresh);
    const t0 = clock.t;
    const requested = await grants.request(OPERATORS.support, body, { sourceIp: '198.51.100.4' });
    assert.equal(requested.status, 'pending');
    assert.deepEqual(requested.scopes, ['calls', 'quality']);
    assert.deepEqual(requested.requestedBy, { id: 'op-support', email: 'sup@example.com' });
    assert.equal(requested.expiresAt, null);
    clock.t += 5 * 60_000;
    const approved = await grants.approve(OPERATORS.admin, requested.id);
    assert.equal(approved.status, 'active');
    assert.deepEqual(approved.decidedBy, { id: 'op-admin', email: 'adm@example.com' });
    assert.equal(approved.decidedAt, t0 + 5 * 60_000);
    assert.equal(approved.expiresAt, t0 + 65 * 60_000, 'active time runs from approval');
    const used = await grants.authorize(OPERATORS.support, app.sdkAppId, 'quality');
    assert.equal(used.id, requested.id);
    assert.equal((await grants.authorize(OPERATORS.support, app.sdkAppId, 'calls', clock.t + 59 * 60_000)).id, used.id);

    const records = await audit.list({ limit: 10 });
    assert.deepEqual(
      records.map((r) => [r.action, r.result, r.actor.id, r.target.sdkAppId, r.target.grantId]),
      [
        ['grants.approve', 'ok', 'op-admin', app.sdkAppId, requested.id],
        ['grants.request', 'ok', 'op-support', app.sdkAppId, requested.id],
      ],
    );
    assert.equal(records[1]?.sourceIp, '198.51.100.4');
    assert.match(records[1]?.detail ?? '', /Ticket 4711/);
    assert.deepEqual((await audit.verify()).ok, true);
  });

  test('grants: self-approval refused (403 code), audited as denied; another approver still can', async () => {
    const { grants, audit, body } = await setup(fresh);
    const mine = await grants.request(OPERATORS.admin, body);
    await rejectsWith(() => grants.approve(OPERATORS.admin, mine.id), 'GRANT_SELF_APPROVAL');
    await rejectsWith(() => grants.reject(OPERATORS.admin, mine.id), 'GRANT_SELF_APPROVAL');
    const [newest] = await audit.list({ limit: 1 });
    assert.deepEqual(
      [newest?.action, newest?.result, newest?.detail, newest?.target.grantId],
      ['grants.reject', 'denied', 'GRANT_SELF_APPROVAL', mine.id],
    );
    assert.equal((await grants.approve(OPERATORS.owner, mine.id)).status, 'active');
  });

  test('grants: expired refused once the clock passes expiresAt; status reads expired', async () => {
    const { grants, clock, app, body } = await setup(fresh);
    const g = await grants.request(OPERATORS.support, { ...body, durationMinutes: 1 });
    await grants.approve(OPERATORS.admin, g.id);
    assert.equal((await grants.authorize(OPERATORS.support, app.sdkAppId, 'calls')).id, g.id);
    clock.t += 60_000;
    await rejectsWith(() => grants.authorize(OPERATORS.support, app.sdkAppId, 'calls'), 'GRANT_EXPIRED');
    assert.deepEqual(
      (await grants.list(OPERATORS.support)).map((x) => x.status),
      ['expired'],
    );
    assert.equal((await grants.list(OPERATORS.support, { status: 'expired' })).length, 1);
    assert.equal((await grants.list(OPERATORS.support, { status: 'active' })).length, 0);
    await rejectsWith(() => grants.revoke(OPERATORS.support, g.id), 'GRANT_STATE_CONFLICT');
  });

  test('grants: a request left undecided for a day lapses: it reads expired and can no longer be approved', async () => {
    const { grants, clock, app, body } = await setup(fresh);
    const g = await grants.request(OPERATORS.support, body);
    clock.t += PENDING_GRANT_LIFETIME_MS - 1;
    assert.equal((await grants.list(OPERATORS.support))[0]?.status, 'pending');
    clock.t += 1;
    assert.equal((await grants.list(OPERATORS.support))[0]?.status, 'expired');
    await rejectsWith(() => grants.approve(OPERATORS.admin, g.id), 'GRANT_STATE_CONFLICT');
    await rejectsWith(() => grants.authorize(OPERATORS.support, app.sdkAppId, 'calls'), 'GRANT_EXPIRED');
    await rejectsWith(() => grants.revoke(OPERATORS.support, g.id), 'GRANT_STATE_CONFLICT');
  });

  test('grants: revoked refused; revoke by the requester or an approver only', async () => {
    const { grants, audit, app, body } = await setup(fresh);
    const g = await grants.request(OPERATORS.support, body);
    await grants.approve(OPERATORS.admin, g.id);
    await rejectsWith(() => grants.revoke(OPERATORS.otherSupport, g.id), 'GRANT_NOT_FOUND');
    const revoked = await grants.revoke(OPERATORS.support, g.id);
    assert.equal(revoked.status, 'revoked');
    assert.deepEqual(revoked.revokedBy, { id: 'op-support', email: 'sup@example.com' });
    await rejectsWith(() => grants.authorize(OPERATORS.support, app.sdkAppId, 'calls'), 'GRANT_REVOKED');
    await rejectsWith(() => grants.revoke(OPERATORS.admin, g.id), 'GRANT_STATE_CONFLICT');

    const h = await grants.request(OPERATORS.support, body);
    await grants.approve(OPERATORS.admin, h.id);
    assert.equal((await grants.revoke(OPERATORS.owner, h.id)).status, 'revoked', 'an approver can revoke');
    const actions = (await audit.list({ limit: 20 })).map((r) => `${r.action}:${r.result}:${r.actor.id}`);
    assert.deepEqual(actions.slice(0, 4), [
      'grants.revoke:ok:op-owner',
      'grants.approve:ok:op-admin',
      'grants.request:ok:op-support',
      'grants.revoke:denied:op-admin',
    ]);
    assert.ok(actions.includes('grants.revoke:denied:op-support-2'));
  });

  test('grants: out-of-scope, wrong app, pending, rejected and no grant refused with their codes', async () => {
    const { grants, app, other, body } = await setup(fresh);
    await rejectsWith(() => grants.authorize(OPERATORS.support, app.sdkAppId, 'calls'), 'GRANT_REQUIRED');
    const g = await grants.request(OPERATORS.support, body);
    await rejectsWith(() => grants.authorize(OPERATORS.support, app.sdkAppId, 'calls'), 'GRANT_PENDING');
    await grants.approve(OPERATORS.admin, g.id);
    await rejectsWith(() => grants.authorize(OPERATORS.support, app.sdkAppId, 'logs'), 'GRANT_OUT_OF_SCOPE');
    await rejectsWith(() => grants.authorize(OPERATORS.support, other.sdkAppId, 'calls'), 'GRANT_REQUIRED');
    await rejectsWith(() => grants.authorize(OPERATORS.otherSupport, app.sdkAppId, 'calls'), 'GRANT_REQUIRED');
    await rejectsWith(() => grants.authorize(OPERATORS.automation, app.sdkAppId, 'calls'), 'GRANT_REQUIRED');
    await rejectsWith(() => grants.authorize(OPERATORS.customer, app.sdkAppId, 'calls'), 'GRANT_REQUIRED');
    const r = await grants.request(OPERATORS.otherSupport, body);
    assert.equal((await grants.reject(OPERATORS.admin, r.id)).status, 'rejected');
    await rejectsWith(() => grants.authorize(OPERATORS.otherSupport, app.sdkAppId, 'calls'), 'GRANT_REQUIRED');
  });

  test('grants: state conflicts — only pending grants are decided; unknown ids not found', async () => {
    const { grants, body } = await setup(fresh);
    const g = await grants.request(OPERATORS.support, body);
    await grants.approve(OPERATORS.admin, g.id);
    await rejectsWith(() => grants.approve(OPERATORS.owner, g.id), 'GRANT_STATE_CONFLICT');
    await rejectsWith(() => grants.reject(OPERATORS.owner, g.id), 'GRANT_STATE_CONFLICT');
    const r = await grants.request(OPERATORS.support, body);
    await grants.reject(OPERATORS.admin, r.id);
    await rejectsWith(() => grants.approve(OPERATORS.owner, r.id), 'GRANT_STATE_CONFLICT');
    await rejectsWith(() => grants.revoke(OPERATORS.support, r.id), 'GRANT_STATE_CONFLICT');
    await rejectsWith(() => grants.approve(OPERATORS.admin, 'grant_nope'), 'GRANT_NOT_FOUND');
    // Two approvers at once: exactly one wins.
    const p = await grants.request(OPERATORS.support, body);
    const results = await Promise.allSettled([
      grants.approve(OPERATORS.admin, p.id),
      grants.approve(OPERATORS.owner, p.id),
    ]);
    assert.equal(results.filter((x) => x.status === 'fulfilled').length, 1);
  });

  test('grants: invalid requests refused with GRANT_INVALID; automation and customers hold none', async () => {
    const { grants, audit, stores, app, other, body } = await setup(fresh);
    const bad: unknown[] = [
      { ...body, durationMinutes: 0 },
      { ...body, durationMinutes: 1441 },
      { ...body, durationMinutes: 1.5 },
      { ...body, scopes: [] },
      { ...body, scopes: ['calls', 'secrets'] },
      { ...body, scopes: ['calls', 'calls'] },
      { ...body, reason: 'too short' },
      { ...body, reason: 'x'.repeat(501) },
      { ...body, sdkAppId: 1_499_999_999 },
      { ...body, extra: true },
      'not an object',
      null,
    ];
    for (const b of bad) await rejectsWith(() => grants.request(OPERATORS.support, b), 'GRANT_INVALID');
    await stores.apps.terminate(other.sdkAppId);
    await rejectsWith(() => grants.request(OPERATORS.support, { ...body, sdkAppId: other.sdkAppId }), 'GRANT_INVALID');
    await rejectsWith(() => grants.request(OPERATORS.automation, body), 'GRANT_OPERATOR_ONLY');
    await rejectsWith(() => grants.request(OPERATORS.customer, body), 'GRANT_OPERATOR_ONLY');
    const g = await grants.request(OPERATORS.support, body);
    await rejectsWith(() => grants.approve(OPERATORS.automation, g.id), 'GRANT_OPERATOR_ONLY');
    assert.deepEqual(await grants.list(OPERATORS.automation), []);
    const denied = await audit.list({ action: 'grants.request', limit: 100 });
    assert.equal(denied.filter((r) => r.result === 'denied').length, bad.length + 3);
    assert.ok(denied.some((r) => r.result === 'denied' && r.actor.kind === 'automation'));
    assert.equal(denied.find((r) => r.result === 'ok')?.target.sdkAppId, app.sdkAppId);
  });

  test('grants: list shows own grants, all for approvers, and retention prunes old grants', async () => {
    const { grants, stores, clock, body } = await setup(fresh);
    const a = await grants.request(OPERATORS.support, body);
    clock.t += 1;
    const b = await grants.request(OPERATORS.otherSupport, body);
    assert.deepEqual(
      (await grants.list(OPERATORS.support)).map((g) => g.id),
      [a.id],
    );
    assert.deepEqual(
      (await grants.list(OPERATORS.admin)).map((g) => g.id),
      [b.id, a.id],
    );
    clock.t += 399 * DAY_MS;
    assert.equal((await runRetention(stores)).grantsPruned, 0);
    clock.t += 2 * DAY_MS;
    assert.equal((await runRetention(stores)).grantsPruned, 2);
    assert.deepEqual(await grants.list(OPERATORS.admin), []);
  });
}
