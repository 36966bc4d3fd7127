// Sign-in, sessions and the operator access check over HTTP (fastify inject), on a real SQLite control store,
// a real audit log and an injected clock.
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
import { sendHttpError } from '../api/http-errors.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { openRegionStores } from '../storage/regions.ts';
import type { RegionStores } from '../storage/regions.ts';
import { signInOperator, sessionCookieOf } from '../testing/operator-client.ts';
import { authRoutes } from './auth-routes.ts';
import { createOperatorPlane } from './operator-plane.ts';
import type { OperatorPlane } from './operator-plane.ts';
import { operatorRoutes } from './operator-routes.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { readSessionToken } from './session-cookie.ts';
import { SignInLimiter } from './sign-in-limiter.ts';
import { TOTP_STEP_MS, totpCode } from './totp.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-operators-'));
const ADMIN_TOKEN = crypto.randomBytes(24).toString('hex');
const clock = { t: Date.UTC(2026, 0, 5, 9, 0, 0) };
const now = () => clock.t;
let stores: RegionStores;
let audit: AuditLog;
let plane: OperatorPlane;
let app: FastifyInstance;
let limiter: SignInLimiter;

before(async () => {
  stores = await openRegionStores(
    { regions: { main: { driver: 'sqlite', path: path.join(dir, 'o.db') } } },
    { masterKey: crypto.randomBytes(32).toString('hex'), logger: pino({ level: 'silent' }) },
  );
  const masterKey = crypto.randomBytes(32);
  audit = new AuditLog({ store: stores.control.store, masterKey, logger: pino({ level: 'silent' }), now });
  plane = createOperatorPlane({
    store: stores.control.store,
    masterKey,
    audit,
    adminToken: ADMIN_TOKEN,
    sessionIdleMinutes: 30,
    sessionMaxHours: 12,
    webauthnOrigin: 'https://console.conclave.test',
    now,
  });
  limiter = new SignInLimiter({ burst: 1000, perMinute: 1000, now });
  app = Fastify();
  app.setErrorHandler(sendHttpError);
  await app.register(authRoutes, { ...plane, audit, limiter });
  await app.register(operatorRoutes, { ...plane, requirePermission: plane.access.requirePermission, audit });
  app.get('/t/read', { preHandler: plane.access.requirePermission('apps.read') }, async (r) => ({ who: r.principal }));
  app.post('/t/write', { preHandler: plane.access.requirePermission('apps.write') }, async (r) => ({
    who: r.principal,
  }));
});
after(async () => {
  await app.close();
  await audit.close();
  await stores.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const signIn = (role: 'owner' | 'admin' | 'support' | 'auditor') =>
  signInOperator({ app, operators: plane }, { role, now });
const tick = () => (clock.t += 2 * TOTP_STEP_MS);

async function passwordStep(c: { operator: { email: string }; password: string }) {
  const res = await app.inject({
    method: 'POST',
    url: '/console/api/auth/sign-in',
    payload: { email: c.operator.email, password: c.password },
  });
  const cookie = sessionCookieOf(res.headers['set-cookie']);
  return { res, body: res.json(), headers: { cookie: cookie ?? '', 'x-csrf-token': res.json().csrfToken as string } };
}

test('first sign-in: enrolment (secret, otpauth URL, QR SVG), cookie flags, then signed in with 10 recovery codes', async () => {
  const owner = await plane.accounts.create({ email: 'first@ops.test', role: 'owner', password: 'first password!' });
  const { res, body, headers } = await passwordStep({ operator: owner, password: 'first password!' });
  assert.equal(res.statusCode, 200);
  assert.equal(body.state, 'enrol_totp');
  assert.match(body.enrolment.otpauthUrl, /^otpauth:\/\/totp\//);
  assert.match(body.enrolment.qrSvg, /<svg/);
  const setCookie = String(res.headers['set-cookie']);
  for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) assert.ok(setCookie.includes(flag), flag);
  // Pending: nothing but the factor steps.
  const pending = await app.inject({ method: 'GET', url: '/t/read', headers });
  assert.equal(pending.statusCode, 401);
  assert.equal(pending.json().error.code, 'OPERATOR_SECOND_FACTOR_REQUIRED');
  const session = await app.inject({ method: 'GET', url: '/console/api/auth/session', headers });
  assert.equal(session.json().error.code, 'OPERATOR_SECOND_FACTOR_REQUIRED');
  const wrong = await app.inject({
    method: 'POST',
    url: '/console/api/auth/totp/enrol',
    headers,
    payload: { code: '000000' },
  });
  assert.equal(wrong.json().error.code, 'OPERATOR_TOTP_INVALID');
  const ok = await app.inject({
    method: 'POST',
    url: '/console/api/auth/totp/enrol',
    headers,
    payload: { code: totpCode(body.enrolment.secret, now()) },
  });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().state, 'signed_in');
  assert.equal(ok.json().recoveryCodes.length, 10);
  const read = await app.inject({
    method: 'GET',
    url: '/t/read',
    headers: { ...headers, 'x-csrf-token': ok.json().csrfToken },
  });
  assert.equal(read.json().who.kind, 'operator');
  const actions = (await audit.list({ actorId: owner.id })).map((r) => `${r.action}:${r.result}`);
  for (const a of [
    'operators.sign_in.password:ok',
    'operators.totp_failed:denied',
    'operators.totp_enrol:ok',
    'operators.sign_in:ok',
  ])
    assert.ok(actions.includes(a), a);
});

test('second sign-in with TOTP: a replayed code is refused, the next works; recovery code works once', async () => {
  const c = await signIn('support');
  const used = totpCode(c.totpSecret, now());
  const again = await passwordStep(c);
  assert.deepEqual(again.body, {
    state: 'second_factor',
    methods: ['totp', 'recovery'],
    csrfToken: again.body.csrfToken,
  });
  const replay = await app.inject({
    method: 'POST',
    url: '/console/api/auth/totp',
    headers: again.headers,
    payload: { code: used },
  });
  assert.equal(replay.statusCode, 401);
  assert.equal(replay.json().error.code, 'OPERATOR_TOTP_REPLAYED');
  tick();
  const fresh = await app.inject({
    method: 'POST',
    url: '/console/api/auth/totp',
    headers: again.headers,
    payload: { code: totpCode(c.totpSecret, now()) },
  });
  assert.equal(fresh.json().state, 'signed_in');
  const code = c.recoveryCodes[0] as string;
  const r1 = await passwordStep(c);
  const rec = await app.inject({
    method: 'POST',
    url: '/console/api/auth/recovery',
    headers: r1.headers,
    payload: { code },
  });
  assert.equal(rec.json().state, 'signed_in');
  const r2 = await passwordStep(c);
  const rec2 = await app.inject({
    method: 'POST',
    url: '/console/api/auth/recovery',
    headers: r2.headers,
    payload: { code },
  });
  assert.equal(rec2.json().error.code, 'OPERATOR_RECOVERY_CODE_INVALID');
});

test('lock-out over HTTP: 423 OPERATOR_LOCKED after 5 failures, also for the right password', async () => {
  const c = await signIn('auditor');
  const step = await passwordStep(c);
  const codes = [];
  for (let i = 0; i < 5; i++)
    codes.push(
      (
        await app.inject({
          method: 'POST',
          url: '/console/api/auth/totp',
          headers: step.headers,
          payload: { code: '111111' },
        })
      ).statusCode,
    );
  assert.deepEqual(codes, [401, 401, 401, 401, 423]);
  assert.equal((await passwordStep(c)).res.statusCode, 423);
  clock.t += 15 * 60_000;
  assert.equal((await passwordStep(c)).res.statusCode, 200);
});

test('CSRF: unsafe methods need the header; missing or wrong → 403 OPERATOR_CSRF_INVALID; GET needs none', async () => {
  const c = await signIn('admin');
  const noCsrf = await app.inject({ method: 'POST', url: '/t/write', headers: { cookie: c.cookie } });
  assert.equal(noCsrf.statusCode, 403);
  assert.equal(noCsrf.json().error.code, 'OPERATOR_CSRF_INVALID');
  const wrongCsrf = await app.inject({
    method: 'POST',
    url: '/t/write',
    headers: { cookie: c.cookie, 'x-csrf-token': 'f'.repeat(64) },
  });
  assert.equal(wrongCsrf.json().error.code, 'OPERATOR_CSRF_INVALID');
  assert.equal((await app.inject({ method: 'GET', url: '/t/read', headers: { cookie: c.cookie } })).statusCode, 200);
  assert.equal((await c.post('/t/write')).status, 200);
  const denied = await audit.list({ actorId: c.operator.id, action: 'access.apps.write' });
  assert.ok(denied.some((r) => r.result === 'denied' && r.detail === 'OPERATOR_CSRF_INVALID'));
});

test('roles: support may read apps but not write (403 OPERATOR_FORBIDDEN, audited); no credential → 401', async () => {
  const c = await signIn('support');
  assert.equal((await c.get('/t/read')).status, 200);
  const res = await c.post('/t/write');
  assert.equal(res.status, 403);
  assert.equal(res.json<{ error: { code: string } }>().error.code, 'OPERATOR_FORBIDDEN');
  const [record] = await audit.list({ actorId: c.operator.id, action: 'access.apps.write' });
  assert.equal(record?.result, 'denied');
  assert.equal(record?.detail, 'OPERATOR_FORBIDDEN');
  const anonymous = await app.inject({ method: 'GET', url: '/t/read' });
  assert.equal(anonymous.statusCode, 401);
  assert.equal(anonymous.json().error.code, 'OPERATOR_UNAUTHENTICATED');
});

test('admin token acts as automation (audited as such), cannot manage operators; a wrong token is refused', async () => {
  const ok = await app.inject({ method: 'POST', url: '/t/write', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.deepEqual(ok.json().who, { kind: 'automation', id: 'admin-token', role: 'admin' });
  const manage = await app.inject({
    method: 'GET',
    url: '/console/api/operators',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(manage.json().error.code, 'OPERATOR_FORBIDDEN');
  const wrong = await app.inject({
    method: 'GET',
    url: '/t/read',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}x` },
  });
  assert.equal(wrong.json().error.code, 'OPERATOR_UNAUTHENTICATED');
  const records = await audit.list({ actorId: 'admin-token' });
  assert.ok(
    records.some(
      (r) => r.action === 'access.operators.manage' && r.result === 'denied' && r.actor.kind === 'automation',
    ),
  );
  assert.ok(records.some((r) => r.action === 'access.apps.read' && r.detail === 'OPERATOR_UNAUTHENTICATED'));
});

test('sessions: idle expiry, absolute expiry, sign-out, sign-out everywhere', async () => {
  const c = await signIn('auditor');
  clock.t += 29 * 60_000;
  assert.equal((await c.get('/t/read')).status, 200);
  clock.t += 30 * 60_000;
  assert.equal((await c.get('/t/read')).json<{ error: { code: string } }>().error.code, 'OPERATOR_UNAUTHENTICATED');

  tick();
  const d = await signIn('auditor');
  for (let h = 0; h < 12 * 3; h++) {
    clock.t += 20 * 60_000;
    const status = (await d.get('/t/read')).status;
    assert.equal(status, h < 35 ? 200 : 401, `after ${(h + 1) * 20} min`);
  }

  tick();
  const e = await signIn('support');
  const signOut = await e.post('/console/api/auth/sign-out');
  assert.equal(signOut.status, 200);
  assert.match(String(signOut.headers['set-cookie']), /Max-Age=0/);
  assert.equal((await e.get('/t/read')).status, 401);

  tick();
  const f = await signIn('support');
  tick();
  const second = await passwordStep(f);
  await app.inject({
    method: 'POST',
    url: '/console/api/auth/totp',
    headers: second.headers,
    payload: { code: totpCode(f.totpSecret, now()) },
  });
  assert.equal((await app.inject({ method: 'GET', url: '/t/read', headers: second.headers })).statusCode, 200);
  assert.equal((await f.post('/console/api/auth/sign-out-everywhere')).json<{ ended: number }>().ended, 2);
  assert.equal((await f.get('/t/read')).status, 401);
  assert.equal((await app.inject({ method: 'GET', url: '/t/read', headers: second.headers })).statusCode, 401);
});

test('operators API: owner creates, lists, changes role; disabling ends sessions; last owner protected', async () => {
  tick();
  const owner = await signIn('owner');
  const created = await owner.post('/console/api/operators', {
    email: 'New@Ops.test',
    role: 'support',
    password: 'a long password',
  });
  assert.equal(created.status, 201);
  const id = created.json<{ operator: { id: string; email: string } }>().operator.id;
  assert.equal(created.json<{ operator: { email: string } }>().operator.email, 'new@ops.test');
  const dup = await owner.post('/console/api/operators', {
    email: 'new@ops.test',
    role: 'support',
    password: 'a long password',
  });
  assert.equal(dup.status, 409);
  const bad = await owner.post('/console/api/operators', { email: 'x@y.z', role: 'god', password: 'a long password' });
  assert.equal(bad.status, 400);
  const list = (await owner.get('/console/api/operators')).json<{
    operators: { id: string; totpEnrolled: boolean }[];
  }>();
  assert.ok(list.operators.some((o) => o.id === id && o.totpEnrolled === false));
  const promoted = await owner.patch(`/console/api/operators/${id}`, { role: 'admin' });
  assert.equal(promoted.json<{ operator: { role: string } }>().operator.role, 'admin');

  tick();
  const victim = await signIn('support');
  assert.equal((await victim.get('/t/read')).status, 200);
  const disabled = await owner.patch(`/console/api/operators/${victim.operator.id}`, { status: 'disabled' });
  assert.equal(disabled.json<{ operator: { status: string } }>().operator.status, 'disabled');
  assert.equal((await victim.get('/t/read')).status, 401);
  assert.equal((await passwordStep(victim)).res.statusCode, 401);

  // Every other owner disabled, the last one cannot demote itself.
  const owners = (await plane.accounts.list()).filter((o) => o.role === 'owner' && o.id !== owner.operator.id);
  for (const o of owners) await plane.accounts.update(o.id, { status: 'disabled' });
  const self = await owner.patch(`/console/api/operators/${owner.operator.id}`, { role: 'admin' });
  assert.equal(self.status, 409);
  const support = await signIn('support');
  assert.equal((await support.get('/console/api/operators')).status, 403);
  const changes = (await audit.list({ actorId: owner.operator.id })).map((r) => `${r.action}:${r.result}`);
  for (const a of ['operators.create:ok', 'operators.create:denied', 'operators.update:ok', 'operators.update:denied'])
    assert.ok(changes.includes(a), a);
});

test('WebAuthn: registration and authentication options; forged responses refused', async () => {
  tick();
  const c = await signIn('admin');
  const options = await c.post('/console/api/auth/webauthn/register/options');
  const creation = options.json<{ challenge: string; rp: { id: string }; user: { name: string } }>();
  assert.equal(creation.rp.id, 'console.conclave.test');
  assert.equal(creation.user.name, c.operator.email);
  assert.ok(creation.challenge.length >= 16);
  const forgedRegistration = await c.post('/console/api/auth/webauthn/register', {
    name: 'key',
    response: {
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      response: {
        clientDataJSON: Buffer.from('{"type":"webauthn.create"}').toString('base64url'),
        attestationObject: 'AAAA',
      },
      clientExtensionResults: {},
    },
  });
  assert.equal(forgedRegistration.status, 401);
  assert.equal(forgedRegistration.json<{ error: { code: string } }>().error.code, 'OPERATOR_WEBAUTHN_INVALID');

  // No key yet: no WebAuthn method offered, options refused.
  tick();
  const pending = await passwordStep(c);
  assert.deepEqual(pending.body.methods, ['totp', 'recovery']);
  const none = await app.inject({
    method: 'POST',
    url: '/console/api/auth/webauthn/options',
    headers: pending.headers,
  });
  assert.equal(none.statusCode, 409);

  // A credential (as if registered), then a forged assertion for it.
  const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await stores.control.store.db
    .insertInto('operator_webauthn_credentials')
    .values({
      id: 'Y3JlZGVudGlhbA',
      operator_id: c.operator.id,
      name: 'test key',
      public_key: publicKey.export({ format: 'der', type: 'spki' }),
      counter: 0,
      transports: '["usb"]',
      created_at: now(),
      last_used_at: null,
    })
    .execute();
  const withKey = await passwordStep(c);
  assert.deepEqual(withKey.body.methods, ['totp', 'webauthn', 'recovery']);
  const request = await app.inject({
    method: 'POST',
    url: '/console/api/auth/webauthn/options',
    headers: withKey.headers,
  });
  const requestOptions = request.json();
  assert.equal(requestOptions.rpId, 'console.conclave.test');
  assert.deepEqual(requestOptions.allowCredentials, [
    { id: 'Y3JlZGVudGlhbA', type: 'public-key', transports: ['usb'] },
  ]);
  const clientDataJSON = Buffer.from(
    JSON.stringify({
      type: 'webauthn.get',
      challenge: requestOptions.challenge,
      origin: 'https://console.conclave.test',
    }),
  ).toString('base64url');
  const forged = await app.inject({
    method: 'POST',
    url: '/console/api/auth/webauthn',
    headers: withKey.headers,
    payload: {
      response: {
        id: 'Y3JlZGVudGlhbA',
        rawId: 'Y3JlZGVudGlhbA',
        type: 'public-key',
        response: { clientDataJSON, authenticatorData: Buffer.alloc(37).toString('base64url'), signature: 'AAAA' },
        clientExtensionResults: {},
      },
    },
  });
  assert.equal(forged.statusCode, 401);
  assert.equal(forged.json().error.code, 'OPERATOR_WEBAUTHN_INVALID');
  // The challenge was used up: a retry without new options is refused too, and the session is still pending.
  const retry = await app.inject({
    method: 'POST',
    url: '/console/api/auth/webauthn',
    headers: withKey.headers,
    payload: { response: { id: 'Y3JlZGVudGlhbA' } },
  });
  assert.equal(retry.json().error.code, 'OPERATOR_WEBAUTHN_INVALID');
  assert.equal((await app.inject({ method: 'GET', url: '/t/read', headers: withKey.headers })).statusCode, 401);
  const failures = await audit.list({ actorId: c.operator.id, action: 'operators.webauthn_failed' });
  assert.ok(failures.length >= 2);
});

test('WebAuthn full ceremony with a software authenticator: register, sign in; replayed or cloned (stale counter) assertions fail', async () => {
  tick();
  const c = await signIn('auditor');
  const key = new SoftAuthenticator('https://console.conclave.test');
  const creation = (await c.post('/console/api/auth/webauthn/register/options')).json<{
    challenge: string;
    rp: { id: string };
  }>();
  const registered = await c.post('/console/api/auth/webauthn/register', {
    name: 'desk key',
    response: key.register(creation),
  });
  assert.equal(registered.status, 201);
  assert.equal(registered.json<{ credential: { id: string; name: string } }>().credential.id, key.id);
  // The same registration again (challenge used) is refused.
  const again = await c.post('/console/api/auth/webauthn/register', {
    name: 'again',
    response: key.register(creation),
  });
  assert.equal(again.status, 409);

  tick();
  const pending = await passwordStep(c);
  assert.deepEqual(pending.body.methods, ['totp', 'webauthn', 'recovery']);
  const request = (
    await app.inject({ method: 'POST', url: '/console/api/auth/webauthn/options', headers: pending.headers })
  ).json();
  const assertion = key.authenticate(request);
  const ok = await app.inject({
    method: 'POST',
    url: '/console/api/auth/webauthn',
    headers: pending.headers,
    payload: { response: assertion },
  });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().state, 'signed_in');
  assert.equal(
    (await app.inject({ method: 'GET', url: '/t/read', headers: { cookie: pending.headers.cookie } })).statusCode,
    200,
  );

  // A replayed assertion on a new challenge fails (challenge mismatch); so does a fresh one with a stale counter.
  const next = await passwordStep(c);
  await app.inject({ method: 'POST', url: '/console/api/auth/webauthn/options', headers: next.headers });
  const replayed = await app.inject({
    method: 'POST',
    url: '/console/api/auth/webauthn',
    headers: next.headers,
    payload: { response: assertion },
  });
  assert.equal(replayed.json().error.code, 'OPERATOR_WEBAUTHN_INVALID');
  // A cloned key: right key, right challenge, but its signature counter lags behind the one the server saw last.
  const clone = await passwordStep(c);
  const opts = (
    await app.inject({ method: 'POST', url: '/console/api/auth/webauthn/options', headers: clone.headers })
  ).json();
  const refused = await app.inject({
    method: 'POST',
    url: '/console/api/auth/webauthn',
    headers: clone.headers,
    payload: { response: key.authenticate(opts, 1) },
  });
  assert.equal(refused.json().error.code, 'OPERATOR_WEBAUTHN_INVALID');
  const actions = (await audit.list({ actorId: c.operator.id })).map(
    (r) => `${r.action}:${r.result}:${r.detail ?? ''}`,
  );
  assert.ok(actions.includes('operators.webauthn_register:ok:desk key'));
  assert.ok(actions.includes('operators.sign_in:ok:webauthn'));
});

test('sign-in attempts are rate-limited per IP (429 OPERATOR_RATE_LIMITED)', async () => {
  const limited = Fastify();
  await limited.register(authRoutes, { ...plane, audit, limiter: new SignInLimiter({ burst: 3, perMinute: 1, now }) });
  const codes = [];
  for (let i = 0; i < 5; i++)
    codes.push(
      (
        await limited.inject({
          method: 'POST',
          url: '/console/api/auth/sign-in',
          payload: { email: 'no@ops.test', password: 'whatever' },
        })
      ).statusCode,
    );
  assert.deepEqual(codes, [401, 401, 401, 429, 429]);
  await limited.close();
});

test('property: hostile cookies and CSRF headers never throw, never 5xx, never authenticate', async () => {
  tick();
  const c = await signIn('owner');
  const token = readSessionToken(c.cookie) as string;
  const hostile = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.constantFrom(token.slice(1), `${token}A`, token.toUpperCase(), `${token};`, ''),
    fc.string({ maxLength: 60 }).map((s) => `conclave_operator=${s}`),
    fc.string({ maxLength: 60 }).map((s) => `a=b; conclave_operator=${s}; c=d`),
  );
  fc.assert(
    fc.property(hostile, (header) => {
      const t = readSessionToken(header);
      assert.ok(t === undefined || typeof t === 'string');
    }),
    { numRuns: 500 },
  );
  await fc.assert(
    fc.asyncProperty(hostile, fc.string({ maxLength: 80 }), async (cookieValue, csrf) => {
      const cookie =
        cookieValue.startsWith('conclave_operator=') || cookieValue.includes('; ')
          ? cookieValue
          : `conclave_operator=${cookieValue}`;
      if (readSessionToken(cookie) === token) return; // the real token is not hostile
      const safe = /^[\t\x20-\x7e]*$/.test(cookie) && /^[\t\x20-\x7e]*$/.test(csrf);
      if (!safe) return; // not sendable as an HTTP header
      const get = await app.inject({ method: 'GET', url: '/t/read', headers: { cookie } });
      assert.equal(get.statusCode, 401);
      // The real cookie with a hostile CSRF token never passes an unsafe method.
      const post = await app.inject({
        method: 'POST',
        url: '/t/write',
        headers: { cookie: c.cookie, 'x-csrf-token': csrf },
      });
      assert.equal(post.statusCode, csrf === c.csrfToken ? 200 : 403);
    }),
    { numRuns: 150 },
  );
});
