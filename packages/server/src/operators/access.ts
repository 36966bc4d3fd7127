/**
 * The operator access check every console and admin route goes through (the contract; `operator-access.ts` builds
 * it from accounts, sessions and the admin token, `grants.ts` adds the call-data check).
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Permission } from './principal.ts';

/** What a grant can open: one kind of a customer's call data each. */
export const CALL_DATA_SCOPES = ['calls', 'quality', 'events', 'logs', 'callbacks'] as const;
export type CallDataScope = (typeof CALL_DATA_SCOPES)[number];

/** Authentication and role check. */
export interface OperatorAccess {
  /**
   * A pre-handler that authenticates the request (operator session cookie with a completed second factor, plus the
   * CSRF header on unsafe methods; or the admin bearer token as `automation`), checks `permission` against the
   * role table, and sets `request.principal`. Refusals answer 401/403 with a stable code and are audited.
   */
  requirePermission(permission: Permission): preHandlerAsyncHookHandler;
}

/** The grant check for a customer's call data (after `requirePermission('call_data.read')`). */
export interface CallDataAccess {
  /**
   * A pre-handler that finds an active grant of `request.principal` for the app `appOf(request)` covering `scope`,
   * sets `request.grantId`, or refuses with GRANT_REQUIRED / GRANT_PENDING / GRANT_EXPIRED / GRANT_REVOKED /
   * GRANT_OUT_OF_SCOPE (403), audited.
   */
  requireCallData(scope: CallDataScope, appOf: (request: FastifyRequest) => number): preHandlerAsyncHookHandler;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The grant a call-data read is made under; set by `requireCallData`. */
    grantId?: string;
  }
}
