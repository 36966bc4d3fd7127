/**
 * Telemetry persistence for one region store: writes (one transaction per batch) and the reads the TRTC Cloud
 * API needs (DescribeRoomInfo, DescribeUserInfo, DescribeCallDetailInfo, DescribeUserEvent, DescribeScaleInfo).
 * Every query is scoped by SDKAppID: apps are isolated even when they share a region.
 */
import type { Selectable } from 'kysely';
import type { RoomSessionsTable } from '../storage/schema.ts';
import type { Store } from '../storage/store.ts';
import { makeCommId } from './comm-id.ts';
import { addToRollups } from './rollups.ts';
import { QUALITY_FIELDS, sampleFromRow, sampleRow } from './sample-rows.ts';
import type { QualityMetric } from './sample-rows.ts';
import type { BackendLog, QualitySample, UserEvent } from './records.ts';

// Keeps each INSERT under SQLite's and PostgreSQL's bound-parameter limits (28 columns × 500 rows).
const ROWS_PER_STATEMENT = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/** A call (room session) as DescribeRoomInfo reports it. */
export interface RoomSession {
  commId: string;
  sdkAppId: number;
  roomId: string;
  roomIdType: 0 | 1;
  createdAt: number;
  destroyedAt: number | null;
}

/** One user's presence in a call, as DescribeUserInfo reports it. */
export interface CallUser {
  userId: string;
  roomId: string;
  joinTs: number;
  leaveTs: number | null;
  sdkVersion: string | null;
  osType: string | null;
  clientIp: string | null;
  finished: boolean;
}

/** Which call (and optionally which users and time range) to read. */
export interface CallQuery {
  sdkAppId: number;
  commId: string;
  userIds?: readonly string[];
  start?: number;
  end?: number;
}

/** One user's samples from one source as parallel arrays (index i = the sample at sampledAt[i]). */
export interface CallSeries {
  userId: string;
  source: 'sdk' | 'server';
  sampledAt: number[];
  /** Flags read as 0/1; an absent metric in a sample is null. */
  metrics: Partial<Record<QualityMetric, (number | null)[]>>;
}

/** One call's timeline: series ordered by user, and events by user then time. */
export interface CallTimeline {
  series: CallSeries[];
  events: UserEvent[];
}

/** Per-UTC-day scale figures (DescribeScaleInfo). */
export interface DailyScale {
  day: string;
  /** Distinct users that entered. */
  userNumber: number;
  /** Room entries. */
  userCount: number;
  /** Distinct rooms. */
  roomNumbers: number;
  participantMinutes: number;
}

const sessionFromRow = (r: Selectable<RoomSessionsTable>): RoomSession => ({
  commId: r.comm_id,
  sdkAppId: r.sdk_app_id,
  roomId: r.room_id,
  roomIdType: r.room_id_type,
  createdAt: r.created_at,
  destroyedAt: r.destroyed_at,
});

/** UTC day of an epoch-ms time, `YYYY-MM-DD`. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Reads and writes telemetry rows of one store. Inputs are already validated (records.ts). */
export class TelemetryStore {
  constructor(readonly store: Store) {}

  get #db() {
    return this.store.db;
  }

  /** Inserts samples and adds them to the 10-second rollups, in one transaction: all or nothing. */
  async insertQualitySamples(samples: readonly QualitySample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const part of chunks(samples)) await trx.insertInto('quality_samples').values(part.map(sampleRow)).execute();
      await addToRollups(trx, samples);
    });
  }

  /** Inserts backend log records in one transaction. */
  async insertBackendLogs(logs: readonly BackendLog[]): Promise<void> {
    if (logs.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const part of chunks(logs)) {
        await trx
          .insertInto('backend_logs')
          .values(
            part.map((l) => ({
              sdk_app_id: l.sdkAppId,
              comm_id: l.commId,
              room_id: l.roomId,
              room_id_type: l.roomIdType,
              user_id: l.userId,
              action: l.action,
              reason: l.reason ?? null,
              client_ip: l.clientIp ?? null,
              sdk_version: l.sdkVersion ?? null,
              os_type: l.osType ?? null,
              occurred_at: l.occurredAt,
            })),
          )
          .execute();
      }
    });
  }

  /** Inserts user events in one transaction. */
  async insertUserEvents(events: readonly UserEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const part of chunks(events)) {
        await trx
          .insertInto('user_events')
          .values(
            part.map((e) => ({
              sdk_app_id: e.sdkAppId,
              comm_id: e.commId,
              user_id: e.userId,
              event_id: e.eventId,
              param_one: e.paramOne ?? null,
              param_two: e.paramTwo ?? null,
              occurred_at: e.occurredAt,
            })),
          )
          .execute();
      }
    });
  }

  /** Records a room's creation and returns its CommId (idempotent for the same room and second). */
  async openRoomSession(room: {
    sdkAppId: number;
    roomId: string;
    roomIdType: 0 | 1;
    createdAt: number;
  }): Promise<string> {
    const roomId = room.roomIdType === 1 ? Number(room.roomId) : room.roomId;
    const commId = makeCommId(room.sdkAppId, roomId, room.createdAt);
    await this.#db
      .insertInto('room_sessions')
      .values({
        comm_id: commId,
        sdk_app_id: room.sdkAppId,
        room_id: room.roomId,
        room_id_type: room.roomIdType,
        created_at: room.createdAt,
        destroyed_at: null,
      })
      .onConflict((oc) => oc.column('comm_id').doNothing())
      .execute();
    return commId;
  }

  /** Records a room's destruction. */
  async closeRoomSession(sdkAppId: number, commId: string, destroyedAt: number): Promise<void> {
    await this.#db
      .updateTable('room_sessions')
      .set({ destroyed_at: destroyedAt })
      .where('sdk_app_id', '=', sdkAppId)
      .where('comm_id', '=', commId)
      .execute();
  }

  /** Adds participant time to an app's usage of the UTC day containing `at`. */
  async addUsage(sdkAppId: number, at: number, seconds: number): Promise<void> {
    const whole = Math.max(0, Math.round(seconds));
    await this.#db
      .insertInto('usage_daily')
      .values({ sdk_app_id: sdkAppId, day: utcDay(at), participant_seconds: whole })
      .onConflict((oc) =>
        oc.columns(['sdk_app_id', 'day']).doUpdateSet((eb) => ({
          participant_seconds: eb('usage_daily.participant_seconds', '+', eb.ref('excluded.participant_seconds')),
        })),
      )
      .execute();
  }

  /** Calls of an app overlapping [start, end] (DescribeRoomInfo), oldest first. */
  async roomsInWindow(q: {
    sdkAppId: number;
    start: number;
    end: number;
    roomId?: string;
    limit?: number;
    offset?: number;
  }): Promise<RoomSession[]> {
    let query = this.#db
      .selectFrom('room_sessions')
      .selectAll()
      .where('sdk_app_id', '=', q.sdkAppId)
      .where('created_at', '<=', q.end)
      .where((eb) => eb.or([eb('destroyed_at', 'is', null), eb('destroyed_at', '>=', q.start)]));
    if (q.roomId !== undefined) query = query.where('room_id', '=', q.roomId);
    const rows = await query
      .orderBy('created_at')
      .orderBy('comm_id')
      .limit(q.limit ?? 100)
      .offset(q.offset ?? 0)
      .execute();
    return rows.map(sessionFromRow);
  }

  /** How many calls {@link roomsInWindow} would list without paging (DescribeRoomInfo's Total). */
  async countRoomsInWindow(q: { sdkAppId: number; start: number; end: number; roomId?: string }): Promise<number> {
    let query = this.#db
      .selectFrom('room_sessions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('sdk_app_id', '=', q.sdkAppId)
      .where('created_at', '<=', q.end)
      .where((eb) => eb.or([eb('destroyed_at', 'is', null), eb('destroyed_at', '>=', q.start)]));
    if (q.roomId !== undefined) query = query.where('room_id', '=', q.roomId);
    return Number((await query.executeTakeFirst())?.n ?? 0);
  }

  /** The first user to enter each of these calls (TRTC's room "creator"), by CommId. */
  async roomCreators(sdkAppId: number, commIds: readonly string[]): Promise<Map<string, string>> {
    if (commIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('backend_logs')
      .select(['comm_id', 'user_id'])
      .where('sdk_app_id', '=', sdkAppId)
      .where('comm_id', 'in', [...commIds])
      .where('action', '=', 'enter')
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    // Newest first, so the last write per call is its earliest entry.
    return new Map(rows.map((r) => [r.comm_id, r.user_id]));
  }

  /** One call's samples and events as columnar series per user and source (the monitoring timeline). */
  async callTimeline(q: CallQuery & { metrics?: readonly QualityMetric[] }): Promise<CallTimeline> {
    const fields =
      q.metrics === undefined ? QUALITY_FIELDS : QUALITY_FIELDS.filter(([key]) => q.metrics?.includes(key));
    let samples = this.#db
      .selectFrom('quality_samples')
      .select(['user_id', 'source', 'sampled_at'])
      .select(fields.map(([, column]) => column))
      .where('comm_id', '=', q.commId)
      .where('sdk_app_id', '=', q.sdkAppId);
    if (q.userIds !== undefined && q.userIds.length > 0) samples = samples.where('user_id', 'in', [...q.userIds]);
    if (q.start !== undefined) samples = samples.where('sampled_at', '>=', q.start);
    if (q.end !== undefined) samples = samples.where('sampled_at', '<=', q.end);
    // Array rows, not objects: an hour of a 10-user call is 18,000 rows × 26 values (see bench/storage.bench.ts).
    const [rows, events] = await Promise.all([
      this.store.selectArrays(samples.orderBy('user_id').orderBy('sampled_at').compile()),
      this.userEvents(q),
    ]);
    const byKey = new Map<string, CallSeries>();
    for (const row of rows) {
      const key = `${row[0] as string}\u0000${row[1] as string}`;
      let series = byKey.get(key);
      if (series === undefined) {
        series = { userId: row[0] as string, source: row[1] as 'sdk' | 'server', sampledAt: [], metrics: {} };
        for (const [metric] of fields) series.metrics[metric] = [];
        byKey.set(key, series);
      }
      series.sampledAt.push(row[2] as number);
      for (let i = 0; i < fields.length; i++)
        (series.metrics[(fields[i] as (typeof fields)[number])[0]] as (number | null)[]).push(
          row[i + 3] as number | null,
        );
    }
    return { series: [...byKey.values()], events };
  }

  /** One call's samples as objects (convenient for small reads and exports; use callTimeline for charts). */
  async callSamples(q: CallQuery): Promise<QualitySample[]> {
    let samples = this.#db
      .selectFrom('quality_samples')
      .selectAll()
      .where('comm_id', '=', q.commId)
      .where('sdk_app_id', '=', q.sdkAppId);
    if (q.userIds !== undefined && q.userIds.length > 0) samples = samples.where('user_id', 'in', [...q.userIds]);
    if (q.start !== undefined) samples = samples.where('sampled_at', '>=', q.start);
    if (q.end !== undefined) samples = samples.where('sampled_at', '<=', q.end);
    return (await samples.orderBy('user_id').orderBy('sampled_at').orderBy('id').execute()).map(sampleFromRow);
  }

  /** One call's user events, by user then time (DescribeUserEvent). */
  async userEvents(q: CallQuery): Promise<UserEvent[]> {
    let events = this.#db
      .selectFrom('user_events')
      .selectAll()
      .where('comm_id', '=', q.commId)
      .where('sdk_app_id', '=', q.sdkAppId);
    if (q.userIds !== undefined && q.userIds.length > 0) events = events.where('user_id', 'in', [...q.userIds]);
    if (q.start !== undefined) events = events.where('occurred_at', '>=', q.start);
    if (q.end !== undefined) events = events.where('occurred_at', '<=', q.end);
    const rows = await events.orderBy('user_id').orderBy('occurred_at').orderBy('id').execute();
    return rows.map((r) => {
      const e: UserEvent = {
        sdkAppId: r.sdk_app_id,
        commId: r.comm_id,
        userId: r.user_id,
        eventId: r.event_id,
        occurredAt: r.occurred_at,
      };
      if (r.param_one !== null) e.paramOne = r.param_one;
      if (r.param_two !== null) e.paramTwo = r.param_two;
      return e;
    });
  }

  /** Users of one call with entry/exit times and client facts (DescribeUserInfo). */
  async callUsers(q: { sdkAppId: number; commId: string }): Promise<CallUser[]> {
    const rows = await this.#db
      .selectFrom('backend_logs')
      .selectAll()
      .where('sdk_app_id', '=', q.sdkAppId)
      .where('comm_id', '=', q.commId)
      .orderBy('occurred_at')
      .orderBy('id')
      .execute();
    const users = new Map<string, CallUser & { open: number }>();
    for (const r of rows) {
      let u = users.get(r.user_id);
      if (u === undefined) {
        u = {
          userId: r.user_id,
          roomId: r.room_id,
          joinTs: r.occurred_at,
          leaveTs: null,
          sdkVersion: null,
          osType: null,
          clientIp: null,
          finished: false,
          open: 0,
        };
        users.set(r.user_id, u);
      }
      if (r.action === 'enter') {
        u.open++;
        u.sdkVersion = r.sdk_version ?? u.sdkVersion;
        u.osType = r.os_type ?? u.osType;
        u.clientIp = r.client_ip ?? u.clientIp;
      } else {
        u.open = Math.max(0, u.open - 1);
        u.leaveTs = r.occurred_at;
      }
    }
    return [...users.values()].map(({ open, ...u }) => ({ ...u, finished: open === 0 }));
  }

  /** Per-day users, entries, rooms and participant minutes of an app in [start, end] (DescribeScaleInfo). */
  async scaleInfo(q: { sdkAppId: number; start: number; end: number }): Promise<DailyScale[]> {
    const entries = await this.#db
      .selectFrom('backend_logs')
      .select(['user_id', 'comm_id', 'occurred_at'])
      .where('sdk_app_id', '=', q.sdkAppId)
      .where('action', '=', 'enter')
      .where('occurred_at', '>=', q.start)
      .where('occurred_at', '<=', q.end)
      .execute();
    const usage = await this.#db
      .selectFrom('usage_daily')
      .selectAll()
      .where('sdk_app_id', '=', q.sdkAppId)
      .where('day', '>=', utcDay(q.start))
      .where('day', '<=', utcDay(q.end))
      .execute();
    const days = new Map<string, { users: Set<string>; rooms: Set<string>; count: number; seconds: number }>();
    const day = (d: string) => {
      let v = days.get(d);
      if (v === undefined) days.set(d, (v = { users: new Set(), rooms: new Set(), count: 0, seconds: 0 }));
      return v;
    };
    for (const e of entries) {
      const d = day(utcDay(e.occurred_at));
      d.users.add(e.user_id);
      d.rooms.add(e.comm_id);
      d.count++;
    }
    for (const u of usage) day(u.day).seconds += u.participant_seconds;
    return [...days.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([d, v]) => ({
        day: d,
        userNumber: v.users.size,
        userCount: v.count,
        roomNumbers: v.rooms.size,
        participantMinutes: Math.round(v.seconds / 60),
      }));
  }
}
