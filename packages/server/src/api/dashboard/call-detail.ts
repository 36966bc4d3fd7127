/**
 * GET /console/api/apps/:sdkAppId/calls/:commId — the call and its users: role, every session (entry, exit, exit
 * reason) and the client facts of the latest entry. Device and network are not collected yet (null).
 */
import { ConclaveError } from '@conclave/protocol';
import type { RegionStore } from '../../storage/regions.ts';
import { UserEventIds } from '../../telemetry/records.ts';
import type { CallSummary } from './calls.ts';

/** A user of a call as the console shows it. */
export interface CallDetailUser {
  userId: string;
  role: string | null;
  sessions: { joinedAt: number; leftAt: number | null; reason: number | null }[];
  sdkVersion: string | null;
  os: string | null;
  device: string | null;
  network: string | null;
  clientIp: string | null;
}

/** The room session of a call, or CALL_NOT_FOUND (also for another app's CommId). */
export async function findCall(region: RegionStore, sdkAppId: number, commId: string, now: number) {
  const row = await region.store.db
    .selectFrom('room_sessions')
    .selectAll()
    .where('sdk_app_id', '=', sdkAppId)
    .where('comm_id', '=', commId)
    .executeTakeFirst();
  if (row === undefined) throw new ConclaveError('CALL_NOT_FOUND', undefined, { details: { commId } });
  return {
    commId: row.comm_id,
    roomId: row.room_id,
    createdAt: row.created_at,
    destroyedAt: row.destroyed_at,
    durationSeconds: Math.max(0, Math.round(((row.destroyed_at ?? now) - row.created_at) / 1000)),
    status: row.destroyed_at === null ? ('live' as const) : ('ended' as const),
  } satisfies Omit<CallSummary, 'userCount' | 'abnormalCount'>;
}

/** The users of a call in entry order. */
export async function callDetailUsers(
  region: RegionStore,
  sdkAppId: number,
  commId: string,
): Promise<CallDetailUser[]> {
  const [logs, roleEvents] = await Promise.all([
    region.store.db
      .selectFrom('backend_logs')
      .select(['user_id', 'action', 'reason', 'occurred_at', 'sdk_version', 'os_type', 'client_ip'])
      .where('sdk_app_id', '=', sdkAppId)
      .where('comm_id', '=', commId)
      .orderBy('occurred_at')
      .orderBy('id')
      .execute(),
    region.store.db
      .selectFrom('user_events')
      .select(['user_id', 'param_one'])
      .where('sdk_app_id', '=', sdkAppId)
      .where('comm_id', '=', commId)
      .where('event_id', 'in', [UserEventIds.ENTER_ROOM, UserEventIds.CHANGE_ROLE])
      .orderBy('occurred_at')
      .orderBy('id')
      .execute(),
  ]);
  const users = new Map<string, CallDetailUser>();
  for (const r of logs) {
    let u = users.get(r.user_id);
    if (u === undefined) {
      u = {
        userId: r.user_id,
        role: null,
        sessions: [],
        sdkVersion: null,
        os: null,
        device: null,
        network: null,
        clientIp: null,
      };
      users.set(r.user_id, u);
    }
    if (r.action === 'enter') {
      u.sessions.push({ joinedAt: r.occurred_at, leftAt: null, reason: null });
      u.sdkVersion = r.sdk_version ?? u.sdkVersion;
      u.os = r.os_type ?? u.os;
      u.clientIp = r.client_ip ?? u.clientIp;
    } else {
      const open = u.sessions.findLast((s) => s.leftAt === null);
      if (open !== undefined) {
        open.leftAt = r.occurred_at;
        open.reason = r.reason;
      }
    }
  }
  // The latest role wins (entry role, then role changes).
  for (const e of roleEvents) {
    const u = users.get(e.user_id);
    if (u !== undefined && e.param_one !== null) u.role = e.param_one;
  }
  return [...users.values()];
}
