/**
 * Admin routes of the app registry (the TRTC console's app management). Every route needs a permission of the
 * operator access check (`apps.read` to look, `apps.write` to change, `apps.secrets` to rotate the key); every
 * change is audited (api/admin-audit.ts); responses carrying a secret are marked no-store.
 *   POST /admin/apps · GET /admin/apps · GET /admin/apps/:sdkAppId
 *   PATCH /admin/apps/:sdkAppId · POST /admin/apps/:sdkAppId/rotate-key · POST /admin/apps/:sdkAppId/terminate
 * The plugin installs the shared error handler (http-errors.ts) in its own scope, so it works standalone too.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import type { AppCreateInput, AppRecord, AppUpdateInput } from '../apps/app-types.ts';
import type { AuditSink } from '../audit/audit-entry.ts';
import type { OperatorAccess } from '../operators/access.ts';
import { auditAdminChanges } from './admin-audit.ts';
import { sendHttpError } from './http-errors.ts';

/** Parses a `:sdkAppId` route parameter. */
export function sdkAppIdParam(value: string): number {
  if (!/^[0-9]{1,10}$/.test(value))
    throw new ConclaveError('INVALID_SDK_APP_ID', undefined, { details: { sdkAppId: value.slice(0, 16) } });
  return Number(value);
}

/** The registry operations these routes use (AppRegistry satisfies it). */
export interface AppAdmin {
  create(input: AppCreateInput): Promise<{ app: AppRecord; secretKey: string }>;
  list(): Promise<AppRecord[]>;
  get(sdkAppId: number): Promise<AppRecord>;
  update(sdkAppId: number, input: AppUpdateInput): Promise<AppRecord>;
  rotateSecretKey(sdkAppId: number): Promise<string>;
  terminate(sdkAppId: number): Promise<AppRecord>;
}

/** Options of {@link appsRoutes}. */
export interface AppsRoutesOptions {
  apps: AppAdmin;
  /** The operator access check (operators/access.ts). */
  requirePermission: OperatorAccess['requirePermission'];
  audit: AuditSink;
}

/** Fastify plugin: app management routes. */
export const appsRoutes: FastifyPluginAsync<AppsRoutesOptions> = async (app, { apps, requirePermission, audit }) => {
  app.setErrorHandler(sendHttpError);
  auditAdminChanges(app, audit);
  const read = { preHandler: requirePermission('apps.read') };
  const write = (action: string) => ({ preHandler: requirePermission('apps.write'), config: { audit: action } });
  const secrets = (action: string) => ({ preHandler: requirePermission('apps.secrets'), config: { audit: action } });

  app.post<{ Body: AppCreateInput }>('/admin/apps', write('apps.create'), async (request, reply) => {
    const created = await apps.create(request.body);
    request.auditSdkAppId = created.app.sdkAppId;
    return reply.status(201).header('cache-control', 'no-store').send(created);
  });

  app.get('/admin/apps', read, async () => ({ apps: await apps.list() }));

  app.get<{ Params: { sdkAppId: string } }>('/admin/apps/:sdkAppId', read, async (request) => ({
    app: await apps.get(sdkAppIdParam(request.params.sdkAppId)),
  }));

  app.patch<{ Params: { sdkAppId: string }; Body: AppUpdateInput }>(
    '/admin/apps/:sdkAppId',
    write('apps.update'),
    async (request) => ({
      app: await apps.update(sdkAppIdParam(request.params.sdkAppId), request.body),
    }),
  );

  app.post<{ Params: { sdkAppId: string } }>(
    '/admin/apps/:sdkAppId/rotate-key',
    secrets('apps.rotate_key'),
    async (request, reply) => {
      const sdkAppId = sdkAppIdParam(request.params.sdkAppId);
      const secretKey = await apps.rotateSecretKey(sdkAppId);
      return reply.header('cache-control', 'no-store').send({ sdkAppId, secretKey });
    },
  );

  app.post<{ Params: { sdkAppId: string } }>(
    '/admin/apps/:sdkAppId/terminate',
    write('apps.terminate'),
    async (request) => ({
      app: await apps.terminate(sdkAppIdParam(request.params.sdkAppId)),
    }),
  );
};
