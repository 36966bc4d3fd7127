/**
 * DescribeUnusualEvent: up to 20 abnormal user experiences of an app (optionally one room) in a window of at most
 * one hour within the last 14 days, each with its possible causes. Built on the dashboard's abnormal markers
 * (api/dashboard/abnormal.ts), so the Cloud API and the console agree.
 *
 * Conclave's numbering (TRTC publishes its own id tables; ours keeps to the few causes we measure):
 *   ExperienceId    1 media lag (freeze, loss or RTT), 2 failed entry
 *   AbnormalEventId 1 freeze, 2 packet loss above 5 %, 3 RTT above 400 ms, 4 media never connected
 */
import { z } from 'zod';
import type { RegionStores } from '../../storage/regions.ts';
import { abnormalMarkers, type AbnormalKind, type AbnormalMarker } from '../dashboard/abnormal.ts';
import { defineAction, sdkAppIdParam, type CloudAction } from './action.ts';
import { seconds, timeWindow, unixSeconds } from './query-params.ts';

export const UNUSUAL_EVENT_IDS: Record<AbnormalKind, number> = { freeze: 1, loss: 2, rtt: 3, join_failed: 4 };
export const EXPERIENCE_IDS = { mediaLag: 1, entryFailed: 2 } as const;
const MAX_EXPERIENCES = 20;

/** TRTC's AbnormalExperience. */
export interface AbnormalExperience {
  UserId: string;
  ExperienceId: number;
  RoomId: string;
  AbnormalEventList: { AbnormalEventId: number; PeerId: string }[];
  EventTime: number;
}

/** One experience per user and call: its first marker's time and every kind of cause seen. */
export function experiencesOf(roomId: string, markers: readonly AbnormalMarker[]): AbnormalExperience[] {
  const byUser = new Map<string, { first: number; kinds: Set<AbnormalKind> }>();
  for (const m of markers) {
    const u = byUser.get(m.userId);
    if (u === undefined) byUser.set(m.userId, { first: m.at, kinds: new Set([m.kind]) });
    else {
      u.first = Math.min(u.first, m.at);
      u.kinds.add(m.kind);
    }
  }
  return [...byUser.entries()]
    .map(([userId, u]) => ({
      UserId: userId,
      ExperienceId: u.kinds.has('join_failed') ? EXPERIENCE_IDS.entryFailed : EXPERIENCE_IDS.mediaLag,
      RoomId: roomId,
      AbnormalEventList: [...u.kinds]
        .map((k) => UNUSUAL_EVENT_IDS[k])
        .sort((a, b) => a - b)
        .map((id) => ({ AbnormalEventId: id, PeerId: '' })),
      EventTime: seconds(u.first),
    }))
    .sort((a, b) => a.EventTime - b.EventTime);
}

export function unusualEventActions(stores: RegionStores): CloudAction[] {
  return [
    defineAction(
      'DescribeUnusualEvent',
      z
        .object({
          SdkAppId: sdkAppIdParam,
          StartTime: unixSeconds,
          EndTime: unixSeconds,
          RoomId: z.string().min(1).max(64).optional(),
        })
        .strict(),
      async (p, context) => {
        const window = timeWindow(p, context.now, 3600);
        const region = await stores.storeForApp(p.SdkAppId);
        const calls = await region.telemetry.roomsInWindow({
          sdkAppId: p.SdkAppId,
          ...window,
          ...(p.RoomId === undefined ? {} : { roomId: p.RoomId }),
          limit: 1000,
        });
        const found: AbnormalExperience[] = [];
        for (const call of calls) {
          if (found.length >= MAX_EXPERIENCES) break;
          const timeline = await region.telemetry.callTimeline({
            sdkAppId: p.SdkAppId,
            commId: call.commId,
            ...window,
            metrics: ['audioLoss', 'videoLoss', 'rttMs', 'videoBlockMs', 'audioBlockMs', 'videoOn', 'decodeFps'],
          });
          found.push(...experiencesOf(call.roomId, abnormalMarkers(timeline.series, timeline.events)));
        }
        const list = found.slice(0, MAX_EXPERIENCES);
        return { Total: list.length, AbnormalExperienceList: list };
      },
    ),
  ];
}
