// The public intake and the console inbox in process (fastify inject) over a real SQLite store and AuditLog.
// `principalFromTestHeader` (testing/test-principal.ts) stands in for requirePermission: these tests exercise the routes alone.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { pino } from 'pino';
import { AuditLog } from '../audit/audit-log.ts';
import { SECURITY_HEADERS } from '../api/http-server.ts';
import { registerSecurityTxt } from '../api/security-txt.ts';
import { openStore } from '../storage/store.ts';
import type { Store } from '../storage/store.ts';
import type { Principal } from '../operators/principal.ts';
import { inboxRoutes } from './inbox-routes.ts';
import { intakeRoutes } from './intake-routes.ts';
import type { ReportRateLimit } from './intake-routes.ts';
import { REPORT_ID, ReportStore } from './report-store.ts';
import type { SecurityReport } from './report-store.ts';
import { principalFromTestHeader } from '../testing/test-principal.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-intake-'));
const clock = { t: Date.UTC(2026, 2, 1, 8, 0, 0) };
let store: Store;
let reports: ReportStore;
let audit: AuditLog;
let app: FastifyInstance;

const admin: Principal = { kind: 'operator', id: 'op-1', email: 'a@example.com', role: 'admin', sessionId: 's' };
const asAdmin = { 'x-test-principal': JSON.stringify(admin) };

async function build(rate: ReportRateLimit = { burst: 3, perHour: 5 }): Promise<FastifyInstance> {
  const server = Fastify();
  // The production security headers, as createHttpServer sets them; the form page overrides the CSP.
  server.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  await server.register(intakeRoutes, { reports, rate, now: () => clock.t });
  await server.register(inboxRoutes, { reports, audit, requirePermission: principalFromTestHeader });
  registerSecurityTxt(server, { contact: 'mailto:sec@example.org' });
  return server;
}

before(async () => {
  store = await openStore(
    { driver: 'sqlite', path: path.join(dir, 'i.db') },
    { name: 'i', logger: pino({ level: 'silent' }) },
  );
  reports = new ReportStore(store, () => clock.t);
  audit = new AuditLog({
    store,
    masterKey: crypto.randomBytes(32),
    logger: pino({ level: 'silent' }),
    now: () => clock.t,
  });
  app = await build({ burst: 1_000_000, perHour: 1_000_000 });
});
after(async () => {
  await app.close();
  await audit.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const valid = {
  contact: 'mailto:finder@example.org',
  feature: 'signaling join',
  steps: 'Send a join with a 2 MB userSig and watch the server.',
  severity: 'high',
};
const codeOf = (res: { json(): unknown }) => (res.json() as { error: { code: string } }).error.code;

test('a valid JSON report is stored and acknowledged 201 {id, receivedAt}; the inbox lists and reads it (audited)', async () => {
  const res = await app.inject({ method: 'POST', url: '/security/reports', payload: valid });
  assert.equal(res.statusCode, 201);
  const ack = res.json() as { id: string; receivedAt: number };
  assert.match(ack.id, REPORT_ID);
  assert.equal(ack.receivedAt, clock.t);
  const list = await app.inject({ url: '/console/api/reports', headers: asAdmin });
  const listed = (list.json() as { reports: Record<string, unknown>[] }).reports.find((r) => r.id === ack.id);
  assert.deepEqual(listed, {
    id: ack.id,
    receivedAt: clock.t,
    contact: valid.contact,
    feature: valid.feature,
    severity: 'high',
    status: 'new',
  });
  const read = await app.inject({ url: `/console/api/reports/${ack.id}`, headers: asAdmin });
  assert.equal((read.json() as { report: SecurityReport }).report.steps, valid.steps);
  const [newest] = await audit.list({ limit: 1 });
  assert.deepEqual(
    [newest?.action, newest?.result, newest?.detail, newest?.actor.id],
    ['reports.read', 'ok', ack.id, 'op-1'],
  );

  const patched = await app.inject({
    method: 'PATCH',
    url: `/console/api/reports/${ack.id}`,
    headers: asAdmin,
    payload: { status: 'triaged' },
  });
  assert.equal((patched.json() as { report: SecurityReport }).report.status, 'triaged');
  const badPatch = await app.inject({
    method: 'PATCH',
    url: `/console/api/reports/${ack.id}`,
    headers: asAdmin,
    payload: { status: 'closed' },
  });
  assert.deepEqual([badPatch.statusCode, codeOf(badPatch)], [400, 'REPORT_INVALID']);
  const missing = await app.inject({ url: '/console/api/reports/VR-AAAAAAAAAAAAAAAA', headers: asAdmin });
  assert.deepEqual([missing.statusCode, codeOf(missing)], [404, 'REPORT_NOT_FOUND']);
  const [denied] = await audit.list({ limit: 1 });
  assert.deepEqual([denied?.action, denied?.result], ['reports.read', 'denied']);
  const support = { ...admin, role: 'support' };
  const forbidden = await app.inject({
    url: '/console/api/reports',
    headers: { 'x-test-principal': JSON.stringify(support) },
  });
  assert.equal(forbidden.statusCode, 403);
});

test('invalid and oversize reports are refused with codes naming the field, and nothing is stored', async () => {
  const before = await reports.count();
  const cases: [Record<string, unknown> | string, string][] = [
    [{ ...valid, contact: 'x'.repeat(321) }, 'contact'],
    [{ ...valid, contact: '' }, 'contact'],
    [{ ...valid, feature: 'f'.repeat(201) }, 'feature'],
    [{ ...valid, steps: 'short' }, 'steps'],
    [{ ...valid, steps: 's'.repeat(20_001) }, 'steps'],
    [{ ...valid, severity: 'apocalyptic' }, 'severity'],
    [{ ...valid, feature: 'nul\u0000byte' }, 'feature'],
    [{ ...valid, extra: 1 }, 'extra'],
    [{ contact: valid.contact, steps: valid.steps }, 'feature'],
    ['[1,2,3]', 'body'],
    ['{"contact":', 'body'],
  ];
  for (const [payload, field] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/security/reports',
      headers: { 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    assert.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 80));
    const error = (res.json() as { error: { code: string; details?: { field: string } } }).error;
    assert.equal(error.code, 'REPORT_INVALID');
    assert.equal(error.details?.field, field);
  }
  const huge = await app.inject({
    method: 'POST',
    url: '/security/reports',
    payload: { ...valid, steps: 'x'.repeat(40 * 1024) },
  });
  assert.deepEqual([huge.statusCode, codeOf(huge)], [413, 'REQUEST_TOO_LARGE']);
  const plain = await app.inject({
    method: 'POST',
    url: '/security/reports',
    headers: { 'content-type': 'text/plain' },
    payload: 'hello',
  });
  assert.equal(plain.statusCode, 415);
  const twice = await app.inject({
    method: 'POST',
    url: '/security/reports',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'contact=a%40b.c&contact=d%40e.f&feature=x&steps=0123456789ab',
  });
  assert.equal(twice.statusCode, 400);
  assert.match(twice.body, /REPORT_INVALID/);
  assert.equal(await reports.count(), before);
});

test('the HTML form is served with a CSP that allows posting to itself and no script; a form post is acknowledged', async () => {
  const form = await app.inject({ url: '/security/report' });
  assert.equal(form.statusCode, 200);
  assert.match(String(form.headers['content-type']), /^text\/html/);
  const csp = String(form.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /form-action 'self'/);
  assert.doesNotMatch(csp, /script-src|unsafe-inline/);
  assert.doesNotMatch(form.body, /<script/i);
  assert.match(form.body, /<form method="post" action="\/security\/reports"/);
  for (const name of ['contact', 'feature', 'steps', 'severity']) assert.match(form.body, new RegExp(`name="${name}"`));

  const posted = await app.inject({
    method: 'POST',
    url: '/security/reports',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...valid, severity: '', feature: '<b>console</b>' }).toString(),
  });
  assert.equal(posted.statusCode, 201);
  assert.match(String(posted.headers['content-type']), /^text\/html/);
  const id = /VR-[A-Z2-7]{16}/.exec(posted.body)?.[0];
  assert.ok(id, posted.body);
  const stored = await reports.get(id);
  assert.deepEqual([stored?.feature, stored?.severity], ['<b>console</b>', null]);
  assert.doesNotMatch(posted.body, /<b>console/, 'the acknowledgement echoes nothing the reporter sent');

  const txt = await app.inject({ url: '/.well-known/security.txt', headers: { host: 'rtc.example.com' } });
  assert.match(txt.body, /^Contact: mailto:sec@example.org$/m);
  assert.match(txt.body, /^Contact: http:\/\/rtc\.example\.com\/security\/report$/m);
  assert.match(txt.body, /^Policy: http:\/\/rtc\.example\.com\/security\/report$/m);
});

test('rate limit per IP: burst 3, then 429 REPORT_RATE_LIMITED until the bucket refills; other IPs unaffected', async () => {
  const limited = await build();
  try {
    const post = (ip: string) =>
      limited.inject({ method: 'POST', url: '/security/reports', payload: valid, remoteAddress: ip });
    for (let i = 0; i < 3; i++) assert.equal((await post('203.0.113.9')).statusCode, 201);
    const refused = await post('203.0.113.9');
    assert.deepEqual([refused.statusCode, codeOf(refused)], [429, 'REPORT_RATE_LIMITED']);
    assert.equal((await post('198.51.100.20')).statusCode, 201);
    clock.t += 12 * 60_000; // 5 per hour: one token per 12 minutes
    assert.equal((await post('203.0.113.9')).statusCode, 201);
    assert.equal((await post('203.0.113.9')).statusCode, 429);
  } finally {
    await limited.close();
  }
});

test('the limiter tracks a bounded number of addresses, forgetting the oldest first', async () => {
  const small = await build({ burst: 1, perHour: 1, maxAddresses: 2 });
  try {
    const post = (ip: string) =>
      small.inject({ method: 'POST', url: '/security/reports', payload: valid, remoteAddress: ip });
    assert.equal((await post('192.0.2.1')).statusCode, 201);
    assert.equal((await post('192.0.2.1')).statusCode, 429);
    assert.equal((await post('192.0.2.2')).statusCode, 201);
    assert.equal((await post('192.0.2.1')).statusCode, 429, 'still tracked with two addresses');
    assert.equal((await post('192.0.2.3')).statusCode, 201);
    assert.equal((await post('192.0.2.1')).statusCode, 201, 'the oldest address was forgotten');
  } finally {
    await small.close();
  }
});

test('property: any hostile body answers 201 or a 4xx with a code, never 500; nothing is stored on refusal', async () => {
  const field = fc.oneof(
    fc.string({ maxLength: 400 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constantFrom('', ' ', '\u0000', 'mailto:a@b.c', 'x'.repeat(21_000), '<script>', '%00', '__proto__'),
    fc.integer(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
  );
  const object = fc.dictionary(
    fc.oneof(fc.constantFrom('contact', 'feature', 'steps', 'severity', '__proto__', 'constructor'), fc.string()),
    field,
    { maxKeys: 6 },
  );
  const plausible = fc.record(
    {
      contact: fc.string({ minLength: 3, maxLength: 330 }),
      feature: fc.string({ minLength: 1, maxLength: 210 }),
      steps: fc.string({ minLength: 10, maxLength: 3000 }),
      severity: fc.constantFrom('', 'low', 'critical', 'nope'),
    },
    { requiredKeys: ['contact', 'feature', 'steps'] },
  );
  const body = fc.oneof(
    plausible.map((o) => ({ type: 'application/json', payload: JSON.stringify(o) })),
    plausible.map((o) => ({ type: 'application/x-www-form-urlencoded', payload: new URLSearchParams(o).toString() })),
    object.map((o) => ({ type: 'application/json', payload: JSON.stringify(o) })),
    object.map((o) => ({
      type: 'application/x-www-form-urlencoded',
      payload: new URLSearchParams(Object.entries(o).map(([k, v]): [string, string] => [k, String(v)])).toString(),
    })),
    fc.string({ unit: 'binary', maxLength: 2000 }).map((payload) => ({ type: 'application/json', payload })),
    fc
      .string({ unit: 'binary', maxLength: 2000 })
      .map((payload) => ({ type: 'application/x-www-form-urlencoded', payload })),
    fc.record({
      type: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data', 'application/json; charset=utf-16'),
      payload: fc.string({ maxLength: 200 }),
    }),
  );
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(body, async ({ type, payload }) => {
      const before = await reports.count();
      const res = await app.inject({
        method: 'POST',
        url: '/security/reports',
        headers: { 'content-type': type },
        payload,
      });
      const after = await reports.count();
      if (res.statusCode === 201) {
        assert.equal(after, before + 1);
        accepted++;
        return;
      }
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `status ${res.statusCode}: ${res.body.slice(0, 200)}`);
      assert.match(res.body, /[A-Z_]{5,}/, 'a refusal carries a code');
      assert.equal(after, before, 'nothing stored on refusal');
    }),
    { numRuns: 300 },
  );
  assert.ok(accepted > 0, 'the property also reached accepted reports');
});
