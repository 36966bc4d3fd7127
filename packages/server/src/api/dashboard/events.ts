/** GET /console/api/apps/:sdkAppId/calls/:commId/events — the call's user events by user then time, named. */
import type { RegionStore } from '../../storage/regions.ts';
import { UserEventIds } from '../../telemetry/records.ts';

const EVENT_NAMES = new Map<number, string>(Object.entries(UserEventIds).map(([name, id]) => [id, name.toLowerCase()]));

/** One event as the console lists it. */
export interface CallEvent {
  userId: string;
  eventId: number;
  name: string;
  at: number;
  paramOne: string | null;
  paramTwo: string | null;
}

export async function callEvents(region: RegionStore, sdkAppId: number, commId: string): Promise<CallEvent[]> {
  const events = await region.telemetry.userEvents({ sdkAppId, commId });
  return events.map((e) => ({
    userId: e.userId,
    eventId: e.eventId,
    name: EVENT_NAMES.get(e.eventId) ?? `event_${e.eventId}`,
    at: e.occurredAt,
    paramOne: e.paramOne ?? null,
    paramTwo: e.paramTwo ?? null,
  }));
}
