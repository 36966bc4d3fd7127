/**
 * Admin route of the event-callback delivery log: what was sent to an app's callback URL, how many attempts
 * it took, the last HTTP status and latency, and the final state (pending, delivered, failed).
 *   GET /admin/apps/:sdkAppId/callbacks?limit=50&before=<id>
 */
import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import type { DeliveryLogEntry } from '../callbacks/outbox.ts';
import { sdkAppIdParam } from './apps.ts';
import type { OperatorAccess } from '../operators/access.ts';
import { sendHttpError } from './http-errors.ts';

/** Options of {@link callbackLogRoutes}. */
export interface CallbackLogRoutesOptions {
  /** Reads an app's log, newest first (unknown app → APP_NOT_FOUND). */
  deliveryLog(sdkAppId: number, options: { limit: number; beforeId?: number }): Promise<DeliveryLogEntry[]>;
  /** The operator access check; the route needs `call_data.read`. */
  requirePermission: OperatorAccess['requirePermission'];
  /** The grant check for the app's callbacks scope (operators/grants), run after the permission. */
  requireCallData?: preHandlerAsyncHookHandler;
}

const querySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.coerce.number().int().min(1).optional(),
  })
  .strict();

/** Fastify plugin: the delivery log route. */
export const callbackLogRoutes: FastifyPluginAsync<CallbackLogRoutesOptions> = async (app, options) => {
  app.setErrorHandler(sendHttpError);
  app.addHook('preHandler', options.requirePermission('call_data.read'));
  if (options.requireCallData) app.addHook('preHandler', options.requireCallData);

  app.get<{ Params: { sdkAppId: string }; Querystring: Record<string, string> }>(
    '/admin/apps/:sdkAppId/callbacks',
    async (request) => {
      const sdkAppId = sdkAppIdParam(request.params.sdkAppId);
      const query = querySchema.safeParse(request.query);
      if (!query.success) throw new ConclaveError('APP_INVALID', 'limit must be 1..500 and before a row id');
      const { limit, before } = query.data;
      return {
        deliveries: await options.deliveryLog(sdkAppId, before === undefined ? { limit } : { limit, beforeId: before }),
      };
    },
  );
};
