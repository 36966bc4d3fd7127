/**
 * TRTC's monitoring queries over the telemetry of the app's region: DescribeRoomInfo, DescribeUserInfo and
 * DescribeScaleInfo here; DescribeCallDetailInfo and DescribeUserEvent in call-detail-actions.ts.
 * Parameter rules and response shapes are trtc.md §5 and tencentcloud-sdk-nodejs' trtc_models.d.ts.
 */
import { z } from 'zod';
import { userIdSchema } from '@conclave/protocol';
import type { RegionStores } from '../../storage/regions.ts';
import { defineAction, sdkAppIdParam, type CloudAction } from './action.ts';
import { callDetailActions } from './call-detail-actions.ts';
import { userInformation, usersInWindow } from './call-users.ts';
import { unusualEventActions } from './unusual-event-action.ts';
import {
  commIdParam,
  commIdOf,
  pageNumber,
  pageSize,
  paging,
  seconds,
  timeWindow,
  unixSeconds,
} from './query-params.ts';

const userIds = z.array(userIdSchema).min(1).max(100).optional();

/** The five monitoring actions. */
export function describeActions(stores: RegionStores): CloudAction[] {
  return [
    defineAction(
      'DescribeRoomInfo',
      z
        .object({
          SdkAppId: sdkAppIdParam,
          StartTime: unixSeconds,
          EndTime: unixSeconds,
          RoomId: z.string().min(1).max(64).optional(),
          PageNumber: pageNumber,
          PageSize: pageSize,
        })
        .strict(),
      async (p, context) => {
        const window = timeWindow(p, context.now, 86_400);
        const { offset, limit } = paging(p, 10, 100);
        const region = await stores.storeForApp(p.SdkAppId);
        const q = { sdkAppId: p.SdkAppId, ...window, ...(p.RoomId === undefined ? {} : { roomId: p.RoomId }) };
        const [total, rooms] = await Promise.all([
          region.telemetry.countRoomsInWindow(q),
          region.telemetry.roomsInWindow({ ...q, limit, offset }),
        ]);
        const creators = await region.telemetry.roomCreators(
          p.SdkAppId,
          rooms.map((r) => r.commId),
        );
        return {
          Total: total,
          RoomList: rooms.map((r) => ({
            CommId: r.commId,
            RoomString: r.roomId,
            CreateTime: seconds(r.createdAt),
            DestroyTime: r.destroyedAt === null ? 0 : seconds(r.destroyedAt),
            IsFinished: r.destroyedAt !== null,
            UserId: creators.get(r.commId) ?? '',
          })),
        };
      },
    ),
    defineAction(
      'DescribeUserInfo',
      z
        .object({
          CommId: commIdParam,
          StartTime: unixSeconds,
          EndTime: unixSeconds,
          SdkAppId: sdkAppIdParam,
          UserIds: userIds,
          PageNumber: pageNumber,
          PageSize: pageSize,
        })
        .strict(),
      async (p, context) => {
        const window = timeWindow(p, context.now, 4 * 3600);
        commIdOf(p.CommId, p.SdkAppId);
        const { offset, limit } = paging(p, 6, 100);
        const users = await usersInWindow(stores, {
          sdkAppId: p.SdkAppId,
          commId: p.CommId,
          ...window,
          userIds: p.UserIds,
        });
        return {
          Total: users.length,
          UserList: users.slice(offset, offset + limit).map((u) => userInformation(u, context.now)),
        };
      },
    ),
    defineAction(
      'DescribeScaleInfo',
      z.object({ SdkAppId: sdkAppIdParam, StartTime: unixSeconds, EndTime: unixSeconds }).strict(),
      async (p, context) => {
        const window = timeWindow(p, context.now);
        const region = await stores.storeForApp(p.SdkAppId);
        const days = await region.telemetry.scaleInfo({ sdkAppId: p.SdkAppId, ...window });
        return {
          Total: days.length,
          ScaleList: days.map((d) => ({
            Time: seconds(Date.parse(`${d.day}T00:00:00Z`)),
            UserNumber: d.userNumber,
            UserCount: d.userCount,
            RoomNumbers: d.roomNumbers,
          })),
        };
      },
    ),
    ...callDetailActions(stores),
    ...unusualEventActions(stores),
  ];
}
