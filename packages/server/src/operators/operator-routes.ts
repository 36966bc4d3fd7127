/**
 * Operator management (`operators.manage`): list, create, change role or status. Disabling ends the operator's
 * sessions. The last active owner cannot be demoted or disabled. Every change is audited.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import type { AuditSink } from '../audit/audit-entry.ts';
import { sendHttpError } from '../api/http-errors.ts';
import type { OperatorAccounts } from './accounts.ts';
import type { OperatorAccess } from './access.ts';
import { principalOf } from './operator-access.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.ts';
import { OPERATOR_ROLES } from './principal.ts';
import type { OperatorSessions } from './sessions.ts';

/** Options of {@link operatorRoutes}. */
export interface OperatorRoutesOptions {
  accounts: OperatorAccounts;
  sessions: OperatorSessions;
  requirePermission: OperatorAccess['requirePermission'];
  audit: AuditSink;
}

const createBody = z
  .object({
    email: z.string().min(3).max(254),
    role: z.enum(OPERATOR_ROLES),
    password: z.string().min(PASSWORD_MIN).max(PASSWORD_MAX),
  })
  .strict();
const patchBody = z
  .object({ role: z.enum(OPERATOR_ROLES).optional(), status: z.enum(['active', 'disabled']).optional() })
  .strict();
const idParam = z.string().regex(/^op_[0-9a-f]{24}$/);

/** Fastify plugin: operator management routes. */
export const operatorRoutes: FastifyPluginAsync<OperatorRoutesOptions> = async (app, options) => {
  const { accounts, sessions, audit } = options;
  app.setErrorHandler(sendHttpError);
  const manage = options.requirePermission('operators.manage');

  app.get('/console/api/operators', { preHandler: manage }, async () => ({ operators: await accounts.list() }));

  app.post('/console/api/operators', { preHandler: manage }, async (request, reply) => {
    const body = createBody.safeParse(request.body ?? {});
    if (!body.success) throw new ConclaveError('OPERATOR_INVALID', body.error.issues[0]?.message);
    const actor = principalOf(request);
    try {
      const operator = await accounts.create(body.data);
      await audit.append({
        actor,
        action: 'operators.create',
        target: { operatorId: operator.id },
        sourceIp: request.ip,
        result: 'ok',
        detail: `role ${operator.role}`,
      });
      return reply.status(201).send({ operator });
    } catch (err) {
      if (err instanceof ConclaveError)
        await audit.append({
          actor,
          action: 'operators.create',
          sourceIp: request.ip,
          result: 'denied',
          detail: err.code,
        });
      throw err;
    }
  });

  app.patch<{ Params: { id: string } }>('/console/api/operators/:id', { preHandler: manage }, async (request) => {
    const actor = principalOf(request);
    const id = idParam.safeParse(request.params.id);
    if (!id.success) throw new ConclaveError('OPERATOR_NOT_FOUND');
    const body = patchBody.safeParse(request.body ?? {});
    if (!body.success) throw new ConclaveError('OPERATOR_INVALID', body.error.issues[0]?.message);
    const change = body.data;
    const before = await accounts.get(id.data);
    const losesOwner =
      before.role === 'owner' &&
      before.status === 'active' &&
      ((change.role !== undefined && change.role !== 'owner') || change.status === 'disabled');
    if (losesOwner) {
      const owners = (await accounts.list()).filter((o) => o.role === 'owner' && o.status === 'active');
      if (owners.length <= 1) {
        await audit.append({
          actor,
          action: 'operators.update',
          target: { operatorId: id.data },
          sourceIp: request.ip,
          result: 'denied',
          detail: 'OPERATOR_STATE_CONFLICT last owner',
        });
        throw new ConclaveError('OPERATOR_STATE_CONFLICT', 'the last active owner cannot be demoted or disabled');
      }
    }
    const operator = await accounts.update(id.data, {
      ...(change.role !== undefined ? { role: change.role } : {}),
      ...(change.status !== undefined ? { status: change.status } : {}),
    });
    const ended = change.status === 'disabled' ? await sessions.endAll(id.data) : 0;
    await audit.append({
      actor,
      action: 'operators.update',
      target: { operatorId: id.data },
      sourceIp: request.ip,
      result: 'ok',
      detail: JSON.stringify({ ...change, from: { role: before.role, status: before.status }, sessionsEnded: ended }),
    });
    return { operator };
  });
};
