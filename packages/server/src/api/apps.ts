/**
 * Admin routes of the app registry (the TRTC console's app management). Every route runs the injected
 * `requireAdmin` pre-handler first; responses carrying a secret are marked no-store.
 *   POST /admin/apps · GET /admin/apps · GET /admin/apps/:sdkAppId
 *   POST /admin/apps/:sdkAppId/rotate-key · POST /admin/apps/:sdkAppId/terminate
 */
import type {
  FastifyError,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import type { ErrorCode } from '@conclave/protocol';
import type { AppCreateInput, AppRecord, AppUpdateInput } from '../apps/app-types.ts';

// HTTP statuses of the data, app and privacy codes. The plugins here and in privacy.ts install this handler in
// their own scope; the JSON shape is http-server.ts's `{ error: { code, message, details? } }`.
const STATUS: Partial<Record<ErrorCode, number>> = {
  APP_NOT_FOUND: 404,
  APP_TERMINATED: 409,
  APP_INVALID: 400,
  APP_KEY_DESTROYED: 410,
  API_CREDENTIAL_NOT_FOUND: 404,
  REGION_UNKNOWN: 400,
  SAMPLE_INVALID: 400,
  TELEMETRY_RECORD_INVALID: 400,
  COMM_ID_INVALID: 400,
  DELETION_REQUEST_INVALID: 400,
  INVALID_USER_ID: 400,
  INVALID_SDK_APP_ID: 400,
  STORE_UNAVAILABLE: 503,
};

/** HTTP status of a data/app/privacy error code (500 for codes that mean a server fault). */
export function dataHttpStatus(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** Error handler for the apps and privacy plugins. Internal faults are logged and answered without detail. */
export function sendDataError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ConclaveError) {
    const status = dataHttpStatus(error.code);
    if (status >= 500) request.log.error({ code: error.code, err: error.message }, 'request failed');
    return reply.status(status).send({ error: error.toJSON() });
  }
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  const status = typeof statusCode === 'number' ? statusCode : 500;
  if (status >= 500) request.log.error({ err: error.message }, 'request failed');
  return reply.status(status).send({
    error: {
      code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL',
      message: status < 500 ? error.message : 'internal error',
    },
  });
}

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
  app.setErrorHandler(sendDataError);
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
