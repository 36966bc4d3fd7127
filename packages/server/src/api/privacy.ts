/**
 * Privacy routes: the public data inventory and the admin deletion request.
 *   GET  /privacy/inventory          public JSON of privacy/inventory.ts
 *   POST /admin/privacy/deletions    {sdkAppId, userId} → deletion receipt (`privacy.erase`, audited)
 */
import type { FastifyPluginAsync } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import { DATA_INVENTORY } from '../privacy/inventory.ts';
import type { DeletionReceipt } from '../privacy/erasure.ts';
import { DEFAULT_RETENTION } from '../privacy/retention-policy.ts';
import type { RetentionPolicy } from '../privacy/retention-policy.ts';
import type { AuditSink } from '../audit/audit-entry.ts';
import type { OperatorAccess } from '../operators/access.ts';
import { auditAdminChanges } from './admin-audit.ts';
import { sendHttpError } from './http-errors.ts';

/** Options of {@link privacyRoutes}. */
export interface PrivacyRoutesOptions {
  /** Performs a deletion request, e.g. `(r) => eraseUser(stores, r)`. */
  eraseUser: (request: { sdkAppId: number; userId: string }) => Promise<DeletionReceipt>;
  /** The operator access check; deletions need `privacy.erase`. */
  requirePermission: OperatorAccess['requirePermission'];
  audit: AuditSink;
  /** Retention actually in force, published with the inventory (default: the built-in defaults). */
  retention?: RetentionPolicy;
}

/** Fastify plugin: inventory and deletion routes. */
export const privacyRoutes: FastifyPluginAsync<PrivacyRoutesOptions> = async (app, options) => {
  app.setErrorHandler(sendHttpError);
  auditAdminChanges(app, options.audit);
  const inventory = { version: 1, retention: options.retention ?? DEFAULT_RETENTION, tables: DATA_INVENTORY };

  app.get('/privacy/inventory', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').send(inventory),
  );

  const erase = { preHandler: options.requirePermission('privacy.erase'), config: { audit: 'privacy.erase' } };
  app.post<{ Body: unknown }>('/admin/privacy/deletions', erase, async (request) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ConclaveError('DELETION_REQUEST_INVALID', 'Body must be {"sdkAppId": number, "userId": string}');
    const { sdkAppId, userId, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || typeof sdkAppId !== 'number' || typeof userId !== 'string') {
      throw new ConclaveError('DELETION_REQUEST_INVALID', 'Body must be {"sdkAppId": number, "userId": string}');
    }
    request.auditSdkAppId = sdkAppId;
    return { receipt: await options.eraseUser({ sdkAppId, userId }) };
  });
};
