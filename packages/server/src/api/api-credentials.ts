/**
 * Admin routes of an app's Cloud API credentials (TRTC console: API keys). The SecretKey appears once, in the
 * creation response (no-store); listing shows SecretIds and states only.
 *   POST /admin/apps/:sdkAppId/api-credentials · GET /admin/apps/:sdkAppId/api-credentials
 *   DELETE /admin/apps/:sdkAppId/api-credentials/:secretId (revoke)
 */
import type { FastifyPluginAsync } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import type { ApiCredentialRecord } from '../apps/api-credentials.ts';
import { sdkAppIdParam } from './apps.ts';
import type { AuditSink } from '../audit/audit-entry.ts';
import type { OperatorAccess } from '../operators/access.ts';
import { auditAdminChanges } from './admin-audit.ts';
import { sendHttpError } from './http-errors.ts';

/** The credential operations these routes use (AppRegistry.apiCredentials satisfies it). */
export interface ApiCredentialAdmin {
  create(sdkAppId: number): Promise<{ credential: ApiCredentialRecord; secretKey: string }>;
  list(sdkAppId: number): Promise<ApiCredentialRecord[]>;
  revoke(sdkAppId: number, secretId: string): Promise<ApiCredentialRecord>;
}

/** Options of {@link apiCredentialRoutes}. */
export interface ApiCredentialRoutesOptions {
  credentials: ApiCredentialAdmin;
  /** The operator access check: every route needs `apps.secrets`. */
  requirePermission: OperatorAccess['requirePermission'];
  audit: AuditSink;
}

function secretIdParam(value: string): string {
  if (!/^[A-Za-z0-9]{1,128}$/.test(value))
    throw new ConclaveError('API_CREDENTIAL_NOT_FOUND', undefined, { details: { secretId: value.slice(0, 40) } });
  return value;
}

type Params = { Params: { sdkAppId: string } };

/** Fastify plugin: API credential routes. */
export const apiCredentialRoutes: FastifyPluginAsync<ApiCredentialRoutesOptions> = async (
  app,
  { credentials, requirePermission, audit },
) => {
  app.setErrorHandler(sendHttpError);
  auditAdminChanges(app, audit);
  app.addHook('preHandler', requirePermission('apps.secrets'));

  app.post<Params>(
    '/admin/apps/:sdkAppId/api-credentials',
    { config: { audit: 'apps.api_credentials.create' } },
    async (request, reply) => {
      const created = await credentials.create(sdkAppIdParam(request.params.sdkAppId));
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get<Params>('/admin/apps/:sdkAppId/api-credentials', async (request) => ({
    credentials: await credentials.list(sdkAppIdParam(request.params.sdkAppId)),
  }));

  app.delete<{ Params: { sdkAppId: string; secretId: string } }>(
    '/admin/apps/:sdkAppId/api-credentials/:secretId',
    { config: { audit: 'apps.api_credentials.revoke' } },
    async (request) => ({
      credential: await credentials.revoke(
        sdkAppIdParam(request.params.sdkAppId),
        secretIdParam(request.params.secretId),
      ),
    }),
  );
};
