/**
 * Test helper: creates an operator directly through the accounts service, signs in over HTTP (password, TOTP
 * enrolment with codes computed from the returned secret) and returns a client that sends the session cookie and
 * the CSRF header. Requests go through `app.inject` (real routing, hooks and handlers; no TLS to trust).
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { OperatorAccounts, OperatorRecord } from '../operators/accounts.ts';
import type { CallDataScope } from '../operators/access.ts';
import type { OperatorRole } from '../operators/principal.ts';
import { SESSION_COOKIE } from '../operators/sessions.ts';
import { totpCode } from '../operators/totp.ts';

/** What the helper needs of a server (ConclaveServer satisfies it). */
export interface OperatorTestTarget {
  readonly app: FastifyInstance;
  readonly operators: { readonly accounts: OperatorAccounts };
}

/** An answer. */
export interface OperatorResponse {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
  /** `body` typed by the caller (tests). */
  json<T = Record<string, unknown>>(): T;
}

/** A signed-in operator. */
export interface OperatorClient {
  readonly operator: OperatorRecord;
  readonly password: string;
  readonly totpSecret: string;
  readonly recoveryCodes: readonly string[];
  /** `conclave_operator=<token>` */
  readonly cookie: string;
  readonly csrfToken: string;
  request(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<OperatorResponse>;
  get(url: string): Promise<OperatorResponse>;
  post(url: string, body?: unknown): Promise<OperatorResponse>;
  patch(url: string, body?: unknown): Promise<OperatorResponse>;
  delete(url: string): Promise<OperatorResponse>;
}

/** The cookie pair of a Set-Cookie header, or undefined. */
export function sessionCookieOf(setCookie: unknown): string | undefined {
  const values = Array.isArray(setCookie) ? setCookie : [setCookie];
  for (const v of values) if (typeof v === 'string' && v.startsWith(`${SESSION_COOKIE}=`)) return v.split(';')[0];
  return undefined;
}

async function send(
  app: FastifyInstance,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<OperatorResponse> {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  let parsed: unknown = res.body;
  try {
    parsed = res.body === '' ? undefined : JSON.parse(res.body);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, json: <T>() => parsed as T };
}

/** Creates an operator of `role` and signs it in (first sign-in: TOTP enrolment). */
export async function signInOperator(
  target: OperatorTestTarget,
  options: { role: OperatorRole; email?: string; password?: string; now?: () => number },
): Promise<OperatorClient> {
  const now = options.now ?? Date.now;
  const email = options.email ?? `${options.role}-${crypto.randomBytes(4).toString('hex')}@operators.test`;
  const password = options.password ?? `pw-${crypto.randomBytes(12).toString('base64url')}`;
  const operator = await target.operators.accounts.create({ email, role: options.role, password });
  const signIn = await send(target.app, 'POST', '/console/api/auth/sign-in', {}, { email, password });
  const started = signIn.json<{ state: string; enrolment: { secret: string }; csrfToken: string }>();
  const cookie = sessionCookieOf(signIn.headers['set-cookie']);
  if (signIn.status !== 200 || started.state !== 'enrol_totp' || cookie === undefined)
    throw new Error(`sign-in failed: ${signIn.status} ${JSON.stringify(signIn.body)}`);
  const totpSecret = started.enrolment.secret;
  const enrol = await send(
    target.app,
    'POST',
    '/console/api/auth/totp/enrol',
    { cookie, 'x-csrf-token': started.csrfToken },
    { code: totpCode(totpSecret, now()) },
  );
  const done = enrol.json<{ state: string; csrfToken: string; recoveryCodes: string[] }>();
  if (enrol.status !== 200 || done.state !== 'signed_in')
    throw new Error(`TOTP enrolment failed: ${enrol.status} ${JSON.stringify(enrol.body)}`);
  const headers = { cookie, 'x-csrf-token': done.csrfToken };
  const request: OperatorClient['request'] = (method, url, body) => send(target.app, method, url, headers, body);
  return {
    operator: await target.operators.accounts.get(operator.id),
    password,
    totpSecret,
    recoveryCodes: done.recoveryCodes,
    cookie,
    csrfToken: done.csrfToken,
    request,
    get: (url) => request('GET', url),
    post: (url, body) => request('POST', url, body ?? {}),
    patch: (url, body) => request('PATCH', url, body ?? {}),
    delete: (url) => request('DELETE', url),
  };
}

/**
 * A support operator holding an active grant for `sdkAppId` and `scopes`: requested by the support operator and
 * approved by a second operator (admin), as the console does it.
 */
export async function operatorWithGrant(
  target: OperatorTestTarget,
  sdkAppId: number,
  scopes: readonly CallDataScope[],
): Promise<OperatorClient> {
  const support = await signInOperator(target, { role: 'support' });
  const admin = await signInOperator(target, { role: 'admin' });
  const asked = await support.post('/console/api/grants', {
    sdkAppId,
    scopes,
    reason: 'test: reading call data under a grant',
    durationMinutes: 60,
  });
  if (asked.status !== 201) throw new Error(`grant request failed: ${asked.status} ${JSON.stringify(asked.body)}`);
  const { grant } = asked.json<{ grant: { id: string } }>();
  const approved = await admin.post(`/console/api/grants/${grant.id}/approve`);
  if (approved.status !== 200)
    throw new Error(`grant approval failed: ${approved.status} ${JSON.stringify(approved.body)}`);
  return support;
}
