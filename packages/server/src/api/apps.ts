/**
 * Admin routes of the app registry (the TRTC console's app management). Every route runs the injected
 * `requireAdmin` pre-handler first; responses carrying a secret are marked no-store.
 *   POST /admin/apps · GET /admin/apps · GET /admin/apps/:sdkAppId
 *   PATCH /admin/apps/:sdkAppId · POST /admin/apps/:sdkAppId/rotate-key · POST /admin/apps/:sdkAppId/terminate
 * The plugin installs the shared error handler (http-errors.ts) in its own scope, so it works standalone too.
 */
import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import type { AppCreateInput, AppRecord, AppUpdateInput } from '../apps/app-types.ts';
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
  /** Admin authentication (provided by the caller); must reply/throw to refuse. */
  requireAdmin: preHandlerAsyncHookHandler;
}

/** Fastify plugin: app management routes. Register with `app.register(appsRoutes, { apps, requireAdmin })`. */
export const appsRoutes: FastifyPluginAsync<AppsRoutesOptions> = async (app, { apps, requireAdmin }) => {
  app.setErrorHandler(sendHttpError);
  app.addHook('preHandler', requireAdmin);

  app.post<{ Body: AppCreateInput }>('/admin/apps', async (request, reply) => {
    const created = await apps.create(request.body);
    return reply.status(201).header('cache-control', 'no-store').send(created);
  });

  app.get('/admin/apps', async () => ({ apps: await apps.list() }));

  app.get<{ Params: { sdkAppId: string } }>('/admin/apps/:sdkAppId', async (request) => ({
    app: await apps.get(sdkAppIdParam(request.params.sdkAppId)),
  }));

  app.patch<{ Params: { sdkAppId: string }; Body: AppUpdateInput }>('/admin/apps/:sdkAppId', async (request) => ({
    app: await apps.update(sdkAppIdParam(request.params.sdkAppId), request.body),
  }));

  app.post<{ Params: { sdkAppId: string } }>('/admin/apps/:sdkAppId/rotate-key', async (request, reply) => {
    const sdkAppId = sdkAppIdParam(request.params.sdkAppId);
    const secretKey = await apps.rotateSecretKey(sdkAppId);
    return reply.header('cache-control', 'no-store').send({ sdkAppId, secretKey });
  });

  app.post<{ Params: { sdkAppId: string } }>('/admin/apps/:sdkAppId/terminate', async (request) => ({
    app: await apps.terminate(sdkAppIdParam(request.params.sdkAppId)),
  }));
};
