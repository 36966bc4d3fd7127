/**
 * The grant check of every call-data route ({@link CallDataAccess}, operators/access.ts). It runs after
 * `requirePermission('call_data.read')` has set `request.principal`, finds the principal's active grant for the app
 * and scope, and sets `request.grantId` for the route's own audit record. A refusal is audited here.
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import type { AuditSink } from '../audit/audit-entry.ts';
import type { CallDataAccess, CallDataScope } from './access.ts';
import type { GrantService } from './grants.ts';

/** Options of {@link createCallDataAccess}. */
export interface CallDataAccessOptions {
  grants: Pick<GrantService, 'authorize'>;
  audit: AuditSink;
  now?: () => number;
}

/** Builds the call-data check over the grant service. */
export function createCallDataAccess(options: CallDataAccessOptions): CallDataAccess {
  const { grants, audit } = options;
  const now = options.now ?? Date.now;
  return {
    requireCallData(scope: CallDataScope, appOf: (request: FastifyRequest) => number): preHandlerAsyncHookHandler {
      return async (request) => {
        const principal = request.principal;
        // requirePermission runs first and always sets it; without it the route is wired wrong.
        if (principal === undefined) throw new ConclaveError('INTERNAL', 'call-data route reached without a principal');
        const sdkAppId = appOf(request);
        try {
          const grant = await grants.authorize(principal, sdkAppId, scope, now());
          request.grantId = grant.id;
        } catch (err) {
          if (err instanceof ConclaveError)
            await audit.append({
              actor: principal,
              action: `call_data.read.${scope}`,
              target: { sdkAppId },
              sourceIp: request.ip,
              result: 'denied',
              detail: err.code,
            });
          throw err;
        }
      };
    },
  };
}
