/**
 * The one place admin changes are audited: a plugin calls {@link auditAdminChanges} once, each changing route
 * names its action in `config.audit`, and an onSend hook appends one record per answered request (before the answer leaves, so a caller that
 * has its answer finds the record) — who
 * (request.principal), what, which app (the `:sdkAppId` param, or `request.auditSdkAppId` set by the handler) and
 * the result. Refusals by the access check have no principal here: they were audited there.
 */
import type { FastifyInstance } from 'fastify';
import type { AuditSink } from '../audit/audit-entry.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Audit action of a changing admin route, e.g. `apps.create`. */
    audit?: string;
  }
  interface FastifyRequest {
    /** The app an admin change touched, when it is not in the URL (e.g. a created app). */
    auditSdkAppId?: number;
  }
}

/** Installs the audit hook in `app`'s scope. */
export function auditAdminChanges(app: FastifyInstance, audit: AuditSink): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const action = request.routeOptions.config.audit;
    if (action === undefined || request.principal === undefined) return payload;
    const param = (request.params as { sdkAppId?: unknown } | undefined)?.sdkAppId;
    const fromParam = typeof param === 'string' && /^[0-9]{1,10}$/.test(param) ? Number(param) : undefined;
    const sdkAppId = request.auditSdkAppId ?? fromParam;
    const ok = reply.statusCode < 400;
    await audit.append({
      actor: request.principal,
      action,
      ...(sdkAppId !== undefined ? { target: { sdkAppId } } : {}),
      ...(request.grantId !== undefined ? { grantId: request.grantId } : {}),
      sourceIp: request.ip,
      result: ok ? 'ok' : 'error',
      ...(ok ? {} : { detail: `HTTP ${reply.statusCode}` }),
    });
    return payload;
  });
}
