/**
 * DescribeCallDetailInfo (users of a call and their quality series under TRTC's metric names) and
 * DescribeUserEvent (one user's events in a call). Series come from the SDK's samples: TRTC's figures are what
 * each client measured ("PeerId" empty = the user's own view).
 */
import { z } from 'zod';
import { userIdSchema } from '@conclave/protocol';
import type { RegionStores } from '../../storage/regions.ts';
import type { QualityMetric } from '../../telemetry/sample-rows.ts';
import { UserEventIds } from '../../telemetry/records.ts';
import { defineAction, sdkAppIdParam, type CloudAction } from './action.ts';
import { userInformation, usersInWindow } from './call-users.ts';
import {
  commIdParam,
  commIdOf,
  invalidParameter,
  pageNumber,
  pageSize,
  paging,
  seconds,
  timeWindow,
  unixSeconds,
} from './query-params.ts';

/**
 * TRTC's metric names → stored sample fields (first non-null wins) and a unit factor. Bitrates are stored in
 * kbit/s and reported in bit/s. bigvDecFps is TRTC's render rate (decode rate when no render rate was
 * reported); bigvRecFps, the rate the cloud delivers, is the rate the receiving client decoded.
 */
export const CALL_DETAIL_METRICS: Record<string, { fields: readonly QualityMetric[]; factor?: number }> = {
  appCpu: { fields: ['appCpu'] },
  sysCpu: { fields: ['sysCpu'] },
  aBit: { fields: ['audioBitrateKbps'], factor: 1000 },
  aBlock: { fields: ['audioBlockMs'] },
  bigvBit: { fields: ['videoBitrateKbps'], factor: 1000 },
  bigvCapFps: { fields: ['captureFps'] },
  bigvEncFps: { fields: ['encodeFps'] },
  bigvDecFps: { fields: ['renderFps', 'decodeFps'] },
  bigvBlock: { fields: ['videoBlockMs'] },
  aLoss: { fields: ['audioLoss'] },
  bigvLoss: { fields: ['videoLoss'] },
  bigvWidth: { fields: ['videoWidth'] },
  bigvHeight: { fields: ['videoHeight'] },
  aCapEnergy: { fields: ['captureVolume'] },
  aPlayEnergy: { fields: ['playbackVolume'] },
  rtt: { fields: ['rttMs'] },
  bigvRecFps: { fields: ['decodeFps'] },
};

function metricNames(dataType: readonly string[]): string[] {
  if (dataType.includes('all')) return Object.keys(CALL_DETAIL_METRICS);
  for (const name of dataType)
    if (!Object.hasOwn(CALL_DETAIL_METRICS, name)) throw invalidParameter('DataType', `unknown metric "${name}"`);
  return [...new Set(dataType)];
}

/** TRTC's EventMessage.Type: 2 for events about the main ("big") video, 0 for the rest. */
const MAIN_VIDEO_EVENTS = new Set<number>([UserEventIds.VIDEO_START, UserEventIds.VIDEO_STOP]);
/** Roles are stored by name; TRTC's events carry them as numbers (20 anchor, 21 audience). */
const ROLE_NUMBER: Record<string, number> = { anchor: 20, audience: 21 };

function eventParam(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : (ROLE_NUMBER[value] ?? 0);
}

export function callDetailActions(stores: RegionStores): CloudAction[] {
  return [
    defineAction(
      'DescribeCallDetailInfo',
      z
        .object({
          CommId: commIdParam,
          StartTime: unixSeconds,
          EndTime: unixSeconds,
          SdkAppId: sdkAppIdParam,
          UserIds: z.array(userIdSchema).min(1).max(100).optional(),
          DataType: z.array(z.string().min(1).max(16)).max(32).optional(),
          PageNumber: pageNumber,
          PageSize: pageSize,
        })
        .strict(),
      async (p, context) => {
        const window = timeWindow(p, context.now, 3600);
        commIdOf(p.CommId, p.SdkAppId);
        const names = p.DataType === undefined || p.DataType.length === 0 ? [] : metricNames(p.DataType);
        // TRTC: with metrics at most 6 users per request, without them up to 100.
        if (names.length > 0 && (p.UserIds?.length ?? 0) > 6)
          throw invalidParameter('UserIds', 'at most 6 users when DataType is given', 'too_many_users');
        const { offset, limit } = paging(p, 6, names.length > 0 ? 6 : 100);
        const all = await usersInWindow(stores, {
          sdkAppId: p.SdkAppId,
          commId: p.CommId,
          ...window,
          userIds: p.UserIds,
        });
        const users = all.slice(offset, offset + limit);
        const Data: { UserId: string; PeerId: string; DataType: string; Content: { Time: number; Value: number }[] }[] =
          [];
        if (names.length > 0 && users.length > 0) {
          const region = await stores.storeForApp(p.SdkAppId);
          const fields = [...new Set(names.flatMap((n) => CALL_DETAIL_METRICS[n]?.fields ?? []))];
          const timeline = await region.telemetry.callTimeline({
            sdkAppId: p.SdkAppId,
            commId: p.CommId,
            userIds: users.map((u) => u.userId),
            ...window,
            metrics: fields,
          });
          for (const series of timeline.series) {
            if (series.source !== 'sdk') continue;
            for (const name of names) {
              const metric = CALL_DETAIL_METRICS[name];
              if (metric === undefined) continue;
              const Content: { Time: number; Value: number }[] = [];
              series.sampledAt.forEach((at, i) => {
                const value = metric.fields.map((f) => series.metrics[f]?.[i]).find((v) => v != null);
                if (value != null) Content.push({ Time: seconds(at), Value: value * (metric.factor ?? 1) });
              });
              Data.push({ UserId: series.userId, PeerId: '', DataType: name, Content });
            }
          }
        }
        return { Total: all.length, UserList: users.map((u) => userInformation(u, context.now)), Data };
      },
    ),
    defineAction(
      'DescribeUserEvent',
      z
        .object({
          CommId: commIdParam,
          StartTime: unixSeconds,
          EndTime: unixSeconds,
          UserId: userIdSchema,
          RoomId: z.string().min(1).max(64),
          SdkAppId: sdkAppIdParam,
        })
        .strict(),
      async (p, context) => {
        const window = timeWindow(p, context.now);
        if (commIdOf(p.CommId, p.SdkAppId).roomId !== p.RoomId)
          throw invalidParameter('RoomId', 'is not the room of this CommId');
        const region = await stores.storeForApp(p.SdkAppId);
        const events = await region.telemetry.userEvents({
          sdkAppId: p.SdkAppId,
          commId: p.CommId,
          userIds: [p.UserId],
          ...window,
        });
        if (events.length === 0) return { Data: [] };
        return {
          Data: [
            {
              PeerId: p.UserId,
              Content: events.map((e) => ({
                Type: MAIN_VIDEO_EVENTS.has(e.eventId) ? 2 : 0,
                Time: e.occurredAt,
                EventId: e.eventId,
                ParamOne: eventParam(e.paramOne),
                ParamTwo: eventParam(e.paramTwo),
              })),
            },
          ],
        };
      },
    ),
  ];
}
