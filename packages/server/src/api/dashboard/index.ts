/**
 * The monitoring dashboard's console API (docs/console-api.md "Monitoring dashboard"). Call data needs
 * `call_data.read` and a grant for the app covering the route's scope; every read is audited once
 * (`call_data.read.<what>`, target app/room/user, the grant). Reads go to the app's region store.
 */
import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { sendHttpError } from '../http-errors.ts';
import { parseCommId } from '../../telemetry/comm-id.ts';
import type { CallDataScope } from '../../operators/access.ts';
import { callDetailUsers, findCall } from './call-detail.ts';
import { callListQuery, listCalls } from './calls.ts';
import {
  appOf,
  appParams,
  auditedRead,
  callParams,
  parse,
  timeRange,
  type DashboardOptions,
} from './dashboard-options.ts';
import { deletionsQuery, listDeletions } from './deletions.ts';
import { callEvents } from './events.ts';
import { callQuality, defaultBucketMs, qualityQuery } from './quality.ts';
import { liveRooms } from './realtime.ts';
import { usageDays, usageQuery } from './usage.ts';

export type { DashboardOptions } from './dashboard-options.ts';

const emptyQuery = z.object({}).strict();

/** The audit target of a call read: the app and, when the CommId parses, its room. */
function callTarget(sdkAppId: number, commId: string): { sdkAppId: number; roomId?: string } {
  try {
    return { sdkAppId, roomId: parseCommId(commId).roomId };
  } catch {
    return { sdkAppId };
  }
}

/** Fastify plugin: the dashboard routes. */
export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const { stores, audit } = options;
  const now = options.now ?? stores.now;
  app.setErrorHandler(sendHttpError);

  // The app id is validated before the grant check, so a malformed id is a 400, not a grant refusal.
  const checkApp: preHandlerAsyncHookHandler = async (request) => {
    parse(request.routeOptions.url?.includes(':commId') ? callParams : appParams, request.params);
  };
  const callData = (scope: CallDataScope) => [
    options.requirePermission('call_data.read'),
    checkApp,
    options.requireCallData(scope, appOf),
  ];

  app.get('/console/api/apps/:sdkAppId/calls', { preHandler: callData('calls') }, async (request) => {
    const { sdkAppId } = parse(appParams, request.params);
    return auditedRead(audit, request, 'call_data.read.calls', { sdkAppId }, async () => {
      const q = parse(callListQuery, request.query);
      const region = await stores.storeForApp(sdkAppId);
      const result = await listCalls(region.store, sdkAppId, q, now());
      return { result, detail: `${result.calls.length} calls` };
    });
  });

  app.get('/console/api/apps/:sdkAppId/calls/:commId', { preHandler: callData('calls') }, async (request) => {
    const { sdkAppId, commId } = parse(callParams, request.params);
    return auditedRead(audit, request, 'call_data.read.call', callTarget(sdkAppId, commId), async () => {
      parse(emptyQuery, request.query);
      const region = await stores.storeForApp(sdkAppId);
      const call = await findCall(region, sdkAppId, commId, now());
      const users = await callDetailUsers(region, sdkAppId, commId);
      return { result: { call: { ...call, userCount: users.length }, users }, detail: commId };
    });
  });

  app.get('/console/api/apps/:sdkAppId/calls/:commId/quality', { preHandler: callData('quality') }, async (request) => {
    const { sdkAppId, commId } = parse(callParams, request.params);
    const q = parse(qualityQuery, request.query);
    const target = { ...callTarget(sdkAppId, commId), ...(q.userId === undefined ? {} : { userId: q.userId }) };
    return auditedRead(audit, request, 'call_data.read.quality', target, async () => {
      const region = await stores.storeForApp(sdkAppId);
      const call = await findCall(region, sdkAppId, commId, now());
      const bucketMs = q.bucketMs ?? defaultBucketMs((call.destroyedAt ?? now()) - call.createdAt);
      const result = await callQuality(region, { sdkAppId, commId: call.commId, userId: q.userId, bucketMs });
      return { result, detail: commId };
    });
  });

  app.get('/console/api/apps/:sdkAppId/calls/:commId/events', { preHandler: callData('events') }, async (request) => {
    const { sdkAppId, commId } = parse(callParams, request.params);
    return auditedRead(audit, request, 'call_data.read.events', callTarget(sdkAppId, commId), async () => {
      parse(emptyQuery, request.query);
      const region = await stores.storeForApp(sdkAppId);
      const call = await findCall(region, sdkAppId, commId, now());
      return { result: { events: await callEvents(region, sdkAppId, call.commId) }, detail: commId };
    });
  });

  app.get('/console/api/apps/:sdkAppId/realtime', { preHandler: callData('calls') }, async (request) => {
    const { sdkAppId } = parse(appParams, request.params);
    return auditedRead(audit, request, 'call_data.read.realtime', { sdkAppId }, async () => {
      parse(emptyQuery, request.query);
      // Routing check: an unknown app is APP_NOT_FOUND here too.
      await stores.storeForApp(sdkAppId);
      const rooms = liveRooms(options.rooms, sdkAppId);
      return { result: { rooms, refreshedAt: now() }, detail: `${rooms.length} rooms` };
    });
  });

  app.get(
    '/console/api/apps/:sdkAppId/usage',
    { preHandler: [options.requirePermission('apps.read'), checkApp] },
    async (request) => {
      const { sdkAppId } = parse(appParams, request.params);
      return auditedRead(audit, request, 'apps.read.usage', { sdkAppId }, async () => {
        const q = parse(usageQuery, request.query);
        const { from, to } = timeRange(q, now(), 30 * 86_400_000);
        const region = await stores.storeForApp(sdkAppId);
        const days = await usageDays(region, sdkAppId, from, to);
        return { result: { days }, detail: `${days.length} days` };
      });
    },
  );

  app.get(
    '/console/api/privacy/deletions',
    { preHandler: options.requirePermission('privacy.erase') },
    async (request) =>
      auditedRead(audit, request, 'privacy.deletions.list', {}, async () => {
        const { limit } = parse(deletionsQuery, request.query);
        const deletions = await listDeletions(stores, limit);
        return { result: { deletions }, detail: `${deletions.length} deletions` };
      }),
  );
};
