/**
 * Console sign-in (docs/console-api.md "Authentication"): password → pending session cookie → second factor
 * (TOTP enrolment on first sign-in, TOTP, recovery code or WebAuthn) → signed in. Every step, failure, enrolment
 * and sign-out is audited; every step is rate-limited per client IP.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import type { AuditSink } from '../audit/audit-entry.ts';
import { sendHttpError } from '../api/http-errors.ts';
import type { OperatorAccounts, OperatorRecord } from './accounts.ts';
import { operatorPrincipal, principalOf } from './operator-access.ts';
import type { OperatorAccessControl } from './operator-access.ts';
import { PASSWORD_MAX } from './passwords.ts';
import { clearedSessionCookie, sessionCookie } from './session-cookie.ts';
import type { OperatorSession, OperatorSessions } from './sessions.ts';
import { SignInLimiter } from './sign-in-limiter.ts';
import type { OperatorWebauthn } from './webauthn.ts';

/** Options of {@link authRoutes}. */
export interface AuthRoutesOptions {
  accounts: OperatorAccounts;
  sessions: OperatorSessions;
  webauthn: OperatorWebauthn;
  access: OperatorAccessControl;
  audit: AuditSink;
  /** Absolute session lifetime (the cookie's Max-Age). */
  sessionMaxMs: number;
  limiter?: SignInLimiter;
}

const signInBody = z
  .object({ email: z.string().min(1).max(254), password: z.string().min(1).max(PASSWORD_MAX) })
  .strict();
const codeBody = z.object({ code: z.string().min(1).max(32) }).strict();
const webauthnBody = z.object({ response: z.record(z.string(), z.unknown()) }).strict();
const registerBody = z
  .object({ response: z.record(z.string(), z.unknown()), name: z.string().trim().min(1).max(64) })
  .strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new ConclaveError('OPERATOR_INVALID', parsed.error.issues[0]?.message);
  return parsed.data;
}

const publicOperator = (o: OperatorRecord) => ({ id: o.id, email: o.email, role: o.role });

/** Fastify plugin: the sign-in routes. */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, options) => {
  const { accounts, sessions, webauthn, access, audit } = options;
  const limiter = options.limiter ?? new SignInLimiter();
  app.setErrorHandler(sendHttpError);
  const pending = access.requireSession('pending');
  const signedIn = access.requireSession('signed_in');
  const limited = async (request: FastifyRequest) => limiter.take(request.ip);

  const sessionOf = (request: FastifyRequest): OperatorSession => {
    if (request.operatorSession === undefined) throw new ConclaveError('INTERNAL', 'no session on the request');
    return request.operatorSession;
  };

  /** Runs a factor step, auditing its failure as `action` (denied, detail = code) before rethrowing. */
  const step = async <T>(request: FastifyRequest, action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ConclaveError)
        await audit.append({
          actor: principalOf(request),
          action,
          sourceIp: request.ip,
          result: 'denied',
          detail: err.code,
        });
      throw err;
    }
  };

  /** Completes a sign-in: the session is promoted, the account's failures reset, the event audited. */
  const complete = async (request: FastifyRequest, method: string) => {
    const session = sessionOf(request);
    await sessions.promote(session.id);
    const operator = await accounts.signedIn(session.operatorId);
    await audit.append({
      actor: operatorPrincipal(operator, session.id),
      action: 'operators.sign_in',
      target: { operatorId: operator.id },
      sourceIp: request.ip,
      result: 'ok',
      detail: method,
    });
    return {
      state: 'signed_in' as const,
      operator: publicOperator(operator),
      csrfToken: sessions.csrfToken(session.id),
    };
  };

  app.post('/console/api/auth/sign-in', { preHandler: limited }, async (request, reply: FastifyReply) => {
    const { email, password } = parse(signInBody, request.body);
    let operator: OperatorRecord;
    try {
      operator = await accounts.checkPassword(email, password);
    } catch (err) {
      const known = err instanceof ConclaveError ? await accounts.findByEmail(email) : undefined;
      if (known && err instanceof ConclaveError)
        await audit.append({
          actor: operatorPrincipal(known, ''),
          action: 'operators.sign_in',
          target: { operatorId: known.id },
          sourceIp: request.ip,
          result: 'denied',
          detail: err.code,
        });
      throw err;
    }
    const { token, session } = await sessions.createPending(operator.id);
    reply.header('set-cookie', sessionCookie(token, Math.floor(options.sessionMaxMs / 1000)));
    reply.header('cache-control', 'no-store');
    await audit.append({
      actor: operatorPrincipal(operator, session.id),
      action: 'operators.sign_in.password',
      target: { operatorId: operator.id },
      sourceIp: request.ip,
      result: 'ok',
    });
    const csrfToken = sessions.csrfToken(session.id);
    if (!operator.totpEnrolled)
      return { state: 'enrol_totp', enrolment: await accounts.beginTotpEnrolment(operator.id), csrfToken };
    const methods = ['totp', ...((await webauthn.hasCredentials(operator.id)) ? ['webauthn'] : []), 'recovery'];
    return { state: 'second_factor', methods, csrfToken };
  });

  app.post('/console/api/auth/totp/enrol', { preHandler: [limited, pending] }, async (request, reply) => {
    const { code } = parse(codeBody, request.body);
    const session = sessionOf(request);
    const recoveryCodes = await step(request, 'operators.totp_failed', () =>
      accounts.completeTotpEnrolment(session.operatorId, code),
    );
    await audit.append({
      actor: principalOf(request),
      action: 'operators.totp_enrol',
      target: { operatorId: session.operatorId },
      sourceIp: request.ip,
      result: 'ok',
    });
    reply.header('cache-control', 'no-store');
    return { ...(await complete(request, 'totp_enrol')), recoveryCodes };
  });

  app.post('/console/api/auth/totp', { preHandler: [limited, pending] }, async (request) => {
    const { code } = parse(codeBody, request.body);
    await step(request, 'operators.totp_failed', () => accounts.checkTotp(sessionOf(request).operatorId, code));
    return complete(request, 'totp');
  });

  app.post('/console/api/auth/recovery', { preHandler: [limited, pending] }, async (request) => {
    const { code } = parse(codeBody, request.body);
    await step(request, 'operators.recovery_failed', () =>
      accounts.useRecoveryCode(sessionOf(request).operatorId, code),
    );
    return complete(request, 'recovery');
  });

  app.post('/console/api/auth/webauthn/options', { preHandler: [limited, pending] }, async (request) => {
    const session = sessionOf(request);
    const options = await webauthn.authenticationOptions(session.operatorId);
    await sessions.setChallenge(session.id, options.challenge);
    return options;
  });

  app.post('/console/api/auth/webauthn', { preHandler: [limited, pending] }, async (request) => {
    const { response } = parse(webauthnBody, request.body);
    const session = sessionOf(request);
    // The challenge is used once, whatever the outcome.
    await sessions.setChallenge(session.id, null);
    await step(request, 'operators.webauthn_failed', async () => {
      try {
        await webauthn.authenticate(session.operatorId, session.webauthnChallenge, response);
      } catch (err) {
        if (err instanceof ConclaveError && err.code === 'OPERATOR_WEBAUTHN_INVALID')
          await accounts.recordFailure(session.operatorId, 'OPERATOR_WEBAUTHN_INVALID');
        throw err;
      }
    });
    return complete(request, 'webauthn');
  });

  app.post('/console/api/auth/webauthn/register/options', { preHandler: signedIn }, async (request) => {
    const session = sessionOf(request);
    const operator = await accounts.get(session.operatorId);
    const options = await webauthn.registrationOptions(operator);
    await sessions.setChallenge(session.id, options.challenge);
    return options;
  });

  app.post('/console/api/auth/webauthn/register', { preHandler: signedIn }, async (request, reply) => {
    const { response, name } = parse(registerBody, request.body);
    const session = sessionOf(request);
    await sessions.setChallenge(session.id, null);
    const credential = await step(request, 'operators.webauthn_register', () =>
      webauthn.register(session.operatorId, session.webauthnChallenge, response, name),
    );
    await audit.append({
      actor: principalOf(request),
      action: 'operators.webauthn_register',
      target: { operatorId: session.operatorId },
      sourceIp: request.ip,
      result: 'ok',
      detail: credential.name,
    });
    return reply.status(201).send({ credential });
  });

  app.get('/console/api/auth/session', { preHandler: signedIn }, async (request, reply) => {
    const session = sessionOf(request);
    const operator = request.operatorAccount ?? (await accounts.get(session.operatorId));
    reply.header('cache-control', 'no-store');
    return {
      operator: publicOperator(operator),
      csrfToken: sessions.csrfToken(session.id),
      expiresAt: session.expiresAt,
    };
  });

  const signOut = (everywhere: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const session = sessionOf(request);
    const ended = everywhere ? await sessions.endAll(session.operatorId) : (await sessions.end(session.id), 1);
    await audit.append({
      actor: principalOf(request),
      action: everywhere ? 'operators.sign_out_everywhere' : 'operators.sign_out',
      target: { operatorId: session.operatorId },
      sourceIp: request.ip,
      result: 'ok',
      detail: `${ended} sessions`,
    });
    return reply.header('set-cookie', clearedSessionCookie()).send({ ended });
  };
  app.post('/console/api/auth/sign-out', { preHandler: access.requireSession('any') }, signOut(false));
  app.post('/console/api/auth/sign-out-everywhere', { preHandler: signedIn }, signOut(true));
};
