/**
 * Test stand-in for OperatorAccess.requirePermission, for route tests that exercise one plugin alone (operator
 * sign-in has its own tests in operators/): the principal comes from the `x-test-principal` header as JSON.
 * Without it: 401 OPERATOR_UNAUTHENTICATED; an operator or automation whose role lacks the permission: 403
 * OPERATOR_FORBIDDEN; a customer passes, so services can be tested refusing it themselves.
 */
import type { preHandlerAsyncHookHandler } from 'fastify';
import { can } from '../operators/principal.ts';
import type { Permission, Principal } from '../operators/principal.ts';

export function principalFromTestHeader(permission: Permission): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const raw = request.headers['x-test-principal'];
    if (typeof raw !== 'string') {
      await reply.status(401).send({ error: { code: 'OPERATOR_UNAUTHENTICATED', message: 'test: no principal' } });
      return;
    }
    const principal = JSON.parse(raw) as Principal;
    if (principal.kind !== 'customer' && !can(principal.role, permission)) {
      await reply.status(403).send({ error: { code: 'OPERATOR_FORBIDDEN', message: `test: needs ${permission}` } });
      return;
    }
    request.principal = principal;
  };
}

/** The header that makes `principalFromTestHeader` act as `principal`. */
export const asPrincipal = (principal: Principal): Record<string, string> => ({
  'x-test-principal': JSON.stringify(principal),
});
