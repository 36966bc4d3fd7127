/**
 * Console API of the audit log (JSON, permission `audit.read`); every call is itself an audit record.
 *   GET  /console/api/audit?limit&before&action&operatorId&sdkAppId   records newest first, `nextBefore` pages on
 *   GET  /console/api/audit/verify                                     the verify result and the checkpoint key
 *   POST /console/api/audit/checkpoint                                 signs the current head now
 */
import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import { sendHttpError } from '../api/http-errors.ts';
import type { Permission, Principal } from '../operators/principal.ts';
import type { AuditLog } from './audit-log.ts';

/** Options of {@link auditRoutes}. */
export interface AuditRoutesOptions {
  audit: AuditLog;
  /** The operator access check (operators/access.ts): authenticates, checks the permission, sets `request.principal`. */
  requirePermission: (permission: Permission) => preHandlerAsyncHookHandler;
}

const querySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.coerce.number().int().min(1).optional(),
    action: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
      .optional(),
    operatorId: z.string().min(1).max(128).optional(),
    sdkAppId: z.coerce.number().int().min(1).max(4_294_967_295).optional(),
  })
  .strict();

function principalOf(request: FastifyRequest): Principal {
  // requirePermission always sets it; a route registered without it is a wiring bug, not a client error.
  if (request.principal === undefined) throw new ConclaveError('INTERNAL', 'audit route reached without a principal');
  return request.principal;
}

/** Fastify plugin: the audit log routes. */
export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (app, options) => {
  const { audit } = options;
  app.setErrorHandler(sendHttpError);
  const readAudit = options.requirePermission('audit.read');

  app.get<{ Querystring: Record<string, string> }>('/console/api/audit', { preHandler: readAudit }, async (request) => {
    const actor = principalOf(request);
    const query = querySchema.safeParse(request.query);
    if (!query.success) {
      await audit.append({
        actor,
        action: 'audit.list',
        sourceIp: request.ip,
        result: 'denied',
        detail: 'AUDIT_QUERY_INVALID',
      });
      throw new ConclaveError(
        'AUDIT_QUERY_INVALID',
        'limit must be 1..500, before a seq, action [A-Za-z0-9_.:-]{1,128}, operatorId up to 128 characters, sdkAppId a number',
      );
    }
    const { limit, before, action, operatorId, sdkAppId } = query.data;
    const records = await audit.list({
      limit,
      ...(before !== undefined ? { before } : {}),
      ...(action !== undefined ? { action } : {}),
      ...(operatorId !== undefined ? { actorId: operatorId } : {}),
      ...(sdkAppId !== undefined ? { sdkAppId } : {}),
    });
    await audit.append({
      actor,
      action: 'audit.list',
      ...(sdkAppId !== undefined ? { target: { sdkAppId } } : {}),
      sourceIp: request.ip,
      result: 'ok',
      detail: JSON.stringify({ ...query.data, returned: records.length }),
    });
    const last = records.at(-1);
    return { records, nextBefore: records.length === limit && last !== undefined ? last.seq : null };
  });

  app.get('/console/api/audit/verify', { preHandler: readAudit }, async (request) => {
    const actor = principalOf(request);
    const result = await audit.verify();
    await audit.append({
      actor,
      action: 'audit.verify',
      sourceIp: request.ip,
      result: 'ok',
      detail: result.ok
        ? `ok ${result.records} records`
        : `problem ${result.firstProblem?.kind} at ${result.firstProblem?.seq}`,
    });
    return { ...result, publicKey: audit.publicKeyHex, keyId: audit.keyId };
  });

  app.post('/console/api/audit/checkpoint', { preHandler: readAudit }, async (request) => {
    const actor = principalOf(request);
    const checkpoint = await audit.checkpoint();
    await audit.append({
      actor,
      action: 'audit.checkpoint',
      sourceIp: request.ip,
      result: 'ok',
      detail: checkpoint ? `seq ${checkpoint.seq}` : 'empty log',
    });
    return { checkpoint: checkpoint ?? null };
  });
};
