/**
 * The vulnerability inbox on the console (permission `reports.read`); every call is an audit record:
 *   GET   /console/api/reports?status&limit   {reports: [{id, receivedAt, contact, feature, severity, status}]}
 *   GET   /console/api/reports/:id            {report}
 *   PATCH /console/api/reports/:id            {status: new|triaged|fixed|rejected} → {report}
 */
import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import { sendHttpError } from '../api/http-errors.ts';
import type { AuditSink } from '../audit/audit-entry.ts';
import type { Permission, Principal } from '../operators/principal.ts';
import { REPORT_ID, REPORT_STATUSES } from './report-store.ts';
import type { ReportStore } from './report-store.ts';

/** Options of {@link inboxRoutes}. */
export interface InboxRoutesOptions {
  reports: ReportStore;
  audit: AuditSink;
  /** The operator access check (operators/access.ts): authenticates, checks the permission, sets `request.principal`. */
  requirePermission: (permission: Permission) => preHandlerAsyncHookHandler;
}

const listQuerySchema = z
  .object({
    status: z.enum(REPORT_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(200),
  })
  .strict();
const paramsSchema = z.object({ id: z.string().regex(REPORT_ID) }).strict();
const patchSchema = z.object({ status: z.enum(REPORT_STATUSES) }).strict();

function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new ConclaveError('INTERNAL', 'inbox route reached without a principal');
  return request.principal;
}

/** Fastify plugin: the inbox routes. */
export const inboxRoutes: FastifyPluginAsync<InboxRoutesOptions> = async (app, options) => {
  const { reports, audit } = options;
  app.setErrorHandler(sendHttpError);
  const readReports = options.requirePermission('reports.read');

  /** Runs `fn` and writes one audit record of its outcome. */
  async function audited<T>(
    request: FastifyRequest,
    action: string,
    subject: string,
    fn: () => Promise<{ value: T; detail: string }>,
  ): Promise<T> {
    const actor = principalOf(request);
    try {
      const { value, detail } = await fn();
      await audit.append({ actor, action, sourceIp: request.ip, result: 'ok', detail });
      return value;
    } catch (err) {
      if (err instanceof ConclaveError)
        await audit.append({
          actor,
          action,
          sourceIp: request.ip,
          result: 'denied',
          detail: `${err.code} ${subject}`.slice(0, 200),
        });
      throw err;
    }
  }

  const reportIdOf = (request: FastifyRequest): string => {
    const params = paramsSchema.safeParse(request.params);
    if (!params.success) throw new ConclaveError('REPORT_NOT_FOUND');
    return params.data.id;
  };

  app.get('/console/api/reports', { preHandler: readReports }, async (request) =>
    audited(request, 'reports.list', '', async () => {
      const query = listQuerySchema.safeParse(request.query);
      if (!query.success)
        throw new ConclaveError('REPORT_INVALID', `status must be one of ${REPORT_STATUSES.join(', ')}; limit 1..500`);
      const list = await reports.list(query.data);
      return { value: { reports: list }, detail: `${list.length} reports` };
    }),
  );

  app.get('/console/api/reports/:id', { preHandler: readReports }, async (request) =>
    audited(request, 'reports.read', 'report', async () => {
      const id = reportIdOf(request);
      const report = await reports.get(id);
      if (report === undefined) throw new ConclaveError('REPORT_NOT_FOUND');
      return { value: { report }, detail: id };
    }),
  );

  app.patch('/console/api/reports/:id', { preHandler: readReports, bodyLimit: 1024 }, async (request) =>
    audited(request, 'reports.update', 'report', async () => {
      const id = reportIdOf(request);
      const body = patchSchema.safeParse(request.body);
      if (!body.success)
        throw new ConclaveError('REPORT_INVALID', `status: one of ${REPORT_STATUSES.join(', ')}`, {
          details: { field: 'status' },
        });
      const report = await reports.setStatus(id, body.data.status);
      if (report === undefined) throw new ConclaveError('REPORT_NOT_FOUND');
      return { value: { report }, detail: `${id} → ${body.data.status}` };
    }),
  );
};
