/**
 * Console API of grants (docs/console-api.md "Grants"):
 *   POST /console/api/grants                 grants.request  {sdkAppId, scopes, reason, durationMinutes} → 201 {grant}
 *   GET  /console/api/grants?status=         grants.request  {grants} (own; all with grants.approve)
 *   POST /console/api/grants/:id/approve     grants.approve  {grant}
 *   POST /console/api/grants/:id/reject      grants.approve  {grant}
 *   POST /console/api/grants/:id/revoke      grants.request  {grant} (the requester, or a holder of grants.approve)
 * The rules and their audit records are in grants.ts; this file validates the edge only.
 */
import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import { sendHttpError } from '../api/http-errors.ts';
import type { Permission, Principal } from './principal.ts';
import { GRANT_STATUSES } from './grants.ts';
import type { GrantService } from './grants.ts';

/** Options of {@link grantsRoutes}. */
export interface GrantsRoutesOptions {
  grants: GrantService;
  /** The operator access check (operators/access.ts): authenticates, checks the permission, sets `request.principal`. */
  requirePermission: (permission: Permission) => preHandlerAsyncHookHandler;
}

const listQuerySchema = z
  .object({
    status: z.enum(GRANT_STATUSES).optional(),
    sdkAppId: z.coerce.number().int().min(1).max(4_294_967_295).optional(),
  })
  .strict();
const paramsSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict();
// Decisions carry no body; an empty JSON object is accepted for clients that always send one.
const emptyBodySchema = z.union([z.undefined(), z.null(), z.object({}).strict()]);

function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new ConclaveError('INTERNAL', 'grant route reached without a principal');
  return request.principal;
}

function grantIdOf(request: FastifyRequest): string {
  const params = paramsSchema.safeParse(request.params);
  // A malformed id names no grant.
  if (!params.success) throw new ConclaveError('GRANT_NOT_FOUND');
  if (!emptyBodySchema.safeParse(request.body).success)
    throw new ConclaveError('GRANT_INVALID', 'this step takes no body');
  return params.data.id;
}

/** Fastify plugin: the grant routes. */
export const grantsRoutes: FastifyPluginAsync<GrantsRoutesOptions> = async (app, options) => {
  const { grants } = options;
  app.setErrorHandler(sendHttpError);
  const asker = options.requirePermission('grants.request');
  const approver = options.requirePermission('grants.approve');
  const bodyLimit = 4096;

  app.post('/console/api/grants', { preHandler: asker, bodyLimit }, async (request, reply) => {
    const grant = await grants.request(principalOf(request), request.body, { sourceIp: request.ip });
    return reply.status(201).send({ grant });
  });

  app.get('/console/api/grants', { preHandler: asker }, async (request) => {
    const query = listQuerySchema.safeParse(request.query);
    if (!query.success)
      throw new ConclaveError('GRANT_INVALID', `status must be one of ${GRANT_STATUSES.join(', ')}; sdkAppId a number`);
    return { grants: await grants.list(principalOf(request), query.data) };
  });

  app.post('/console/api/grants/:id/approve', { preHandler: approver, bodyLimit }, async (request) => ({
    grant: await grants.approve(principalOf(request), grantIdOf(request), { sourceIp: request.ip }),
  }));

  app.post('/console/api/grants/:id/reject', { preHandler: approver, bodyLimit }, async (request) => ({
    grant: await grants.reject(principalOf(request), grantIdOf(request), { sourceIp: request.ip }),
  }));

  app.post('/console/api/grants/:id/revoke', { preHandler: asker, bodyLimit }, async (request) => ({
    grant: await grants.revoke(principalOf(request), grantIdOf(request), { sourceIp: request.ip }),
  }));
};
