/**
 * Builds the OperatorAccess of operators/access.ts: a request is an operator with a signed-in session cookie
 * (plus `x-csrf-token` on unsafe methods), or automation with the admin bearer token; then the role table decides.
 * Every refusal of a request that presented a credential is audited (result `denied`, detail = the code).
 * Requests with no credential at all get 401 and are not audited, so anonymous noise cannot flood the log.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import type { ErrorCode } from '@conclave/protocol';
import type { AuditSink } from '../audit/audit-entry.ts';
import type { OperatorAccess } from './access.ts';
import type { OperatorAccounts, OperatorRecord } from './accounts.ts';
import { can } from './principal.ts';
import type { Permission, Principal } from './principal.ts';
import { sessionTokenOf } from './session-cookie.ts';
import type { OperatorSession, OperatorSessions } from './sessions.ts';

/** What {@link createOperatorAccess} needs. */
export interface OperatorAccessOptions {
  accounts: OperatorAccounts;
  sessions: OperatorSessions;
  /** The shared admin bearer token (automation); undefined disables it. */
  adminToken: string | undefined;
  audit: AuditSink;
}

/** The access check plus the session lookups the sign-in routes need. */
export interface OperatorAccessControl extends OperatorAccess {
  /** A pre-handler for the sign-in steps: needs a live session in `state`; sets `request.operatorSession`. */
  requireSession(state: 'pending' | 'signed_in' | 'any'): preHandlerAsyncHookHandler;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator session of the request (cookie), set by the access pre-handlers. */
    operatorSession?: OperatorSession;
    /** The account behind `operatorSession`. */
    operatorAccount?: OperatorRecord;
  }
}

const UNSAFE = (method: string) => method !== 'GET' && method !== 'HEAD';

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}

/** The principal set by `requirePermission`; a route without it is a wiring bug. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new ConclaveError('INTERNAL', 'route reached without a principal');
  return request.principal;
}

/** The operator principal of an account and session. */
export function operatorPrincipal(account: OperatorRecord, sessionId: string): Principal {
  return { kind: 'operator', id: account.id, email: account.email, role: account.role, sessionId };
}

/** Builds the operator access check. */
export function createOperatorAccess(options: OperatorAccessOptions): OperatorAccessControl {
  const { accounts, sessions, audit } = options;
  const adminDigest = options.adminToken === undefined ? undefined : digest(options.adminToken);

  const refuse = async (
    request: FastifyRequest,
    actor: Principal | undefined,
    code: ErrorCode,
    action: string,
  ): Promise<never> => {
    if (actor !== undefined)
      await audit.append({ actor, action, sourceIp: request.ip, result: 'denied', detail: code });
    throw new ConclaveError(code);
  };

  /** The session and account of the cookie, or a refusal. */
  const sessionOf = async (
    request: FastifyRequest,
    action: string,
  ): Promise<{ session: OperatorSession; account: OperatorRecord }> => {
    const token = sessionTokenOf(request);
    const session = await sessions.resolve(token);
    if (session === undefined) return refuse(request, undefined, 'OPERATOR_UNAUTHENTICATED', action);
    const account = await accounts.isActive(session.operatorId);
    if (account === undefined) {
      await sessions.end(session.id);
      return refuse(request, undefined, 'OPERATOR_UNAUTHENTICATED', action);
    }
    const actor = operatorPrincipal(account, session.id);
    if (UNSAFE(request.method) && !sessions.checkCsrf(session.id, request.headers['x-csrf-token']))
      return refuse(request, actor, 'OPERATOR_CSRF_INVALID', action);
    request.operatorSession = session;
    request.operatorAccount = account;
    return { session, account };
  };

  return {
    requirePermission(permission: Permission): preHandlerAsyncHookHandler {
      const action = `access.${permission}`;
      return async (request: FastifyRequest, _reply: FastifyReply) => {
        const header = request.headers.authorization;
        if (header !== undefined) {
          const given = header.startsWith('Bearer ') ? header.slice(7) : '';
          const automation: Principal = { kind: 'automation', id: 'admin-token', role: 'admin' };
          if (adminDigest === undefined || given === '' || !crypto.timingSafeEqual(digest(given), adminDigest))
            return refuse(request, automation, 'OPERATOR_UNAUTHENTICATED', action);
          if (!can(automation.role, permission)) return refuse(request, automation, 'OPERATOR_FORBIDDEN', action);
          request.principal = automation;
          return;
        }
        const { session, account } = await sessionOf(request, action);
        const actor = operatorPrincipal(account, session.id);
        if (session.state !== 'signed_in') return refuse(request, actor, 'OPERATOR_SECOND_FACTOR_REQUIRED', action);
        if (!can(account.role, permission)) return refuse(request, actor, 'OPERATOR_FORBIDDEN', action);
        request.principal = actor;
      };
    },

    requireSession(state: 'pending' | 'signed_in' | 'any'): preHandlerAsyncHookHandler {
      const action = `operators.session.${state}`;
      return async (request: FastifyRequest, _reply: FastifyReply) => {
        const { session, account } = await sessionOf(request, action);
        if (state !== 'any' && session.state !== state)
          return refuse(
            request,
            operatorPrincipal(account, session.id),
            state === 'signed_in' ? 'OPERATOR_SECOND_FACTOR_REQUIRED' : 'OPERATOR_STATE_CONFLICT',
            action,
          );
        request.principal = operatorPrincipal(account, session.id);
      };
    },
  };
}
