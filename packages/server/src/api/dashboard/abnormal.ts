/**
 * Abnormal experience markers of a call (docs/console-api.md "Monitoring dashboard"): loss above 5 % in a sample,
 * a freeze (video or audio block time above 0, or decode rate 0 while video is on), RTT above 400 ms, and a failed
 * join: the user entered, never got media going (no media-connected or stream-start event) and its session ended by
 * timeout (exit reason 2), i.e. the client vanished instead of leaving. A listener who leaves normally is not one. Pure: the dashboard's quality route and the
 * Cloud API's DescribeUnusualEvent both derive their answers from here.
 */
import type { CallSeries } from '../../telemetry/telemetry-store.ts';
import { UserEventIds, type UserEvent } from '../../telemetry/records.ts';

export type AbnormalKind = 'loss' | 'freeze' | 'join_failed' | 'rtt';

/** One abnormal moment: who, when (epoch ms), what, and the measured value (%, ms, or the exit reason). */
export interface AbnormalMarker {
  userId: string;
  at: number;
  kind: AbnormalKind;
  value: number;
}

/** Thresholds of an abnormal sample. */
export const ABNORMAL_THRESHOLDS = { lossPercent: 5, rttMs: 400 } as const;

/** Events that prove media flowed for a user. */
const MEDIA_GOING = new Set<number>([
  UserEventIds.MEDIA_CONNECTED,
  UserEventIds.AUDIO_START,
  UserEventIds.VIDEO_START,
  UserEventIds.SUB_STREAM_START,
]);
/** The exit reason of a session that ended because the client went silent (call-recorder.ts EXIT_REASON). */
const EXIT_TIMEOUT = '2';

const at = (values: (number | null)[] | undefined, i: number): number | null => values?.[i] ?? null;

/**
 * Markers of the samples in `series` (both sources; one marker per user, time and kind) and of the failed joins in
 * `events`, ordered by time then user.
 */
export function abnormalMarkers(series: readonly CallSeries[], events: readonly UserEvent[] = []): AbnormalMarker[] {
  const out = new Map<string, AbnormalMarker>();
  const add = (m: AbnormalMarker) => {
    const key = `${m.userId}\u0000${m.at}\u0000${m.kind}`;
    const seen = out.get(key);
    if (seen === undefined || m.value > seen.value) out.set(key, m);
  };
  for (const s of series) {
    const m = s.metrics;
    s.sampledAt.forEach((t, i) => {
      const loss = Math.max(at(m.audioLoss, i) ?? 0, at(m.videoLoss, i) ?? 0);
      if (loss > ABNORMAL_THRESHOLDS.lossPercent) add({ userId: s.userId, at: t, kind: 'loss', value: loss });
      const rtt = at(m.rttMs, i);
      if (rtt !== null && rtt > ABNORMAL_THRESHOLDS.rttMs) add({ userId: s.userId, at: t, kind: 'rtt', value: rtt });
      const block = Math.max(at(m.videoBlockMs, i) ?? 0, at(m.audioBlockMs, i) ?? 0);
      const stalled = at(m.videoOn, i) === 1 && at(m.decodeFps, i) === 0;
      if (block > 0 || stalled) add({ userId: s.userId, at: t, kind: 'freeze', value: block });
    });
  }
  // Events arrive by user then time: an entry closes as failed when the exit comes before any media connected.
  let open: { userId: string; connected: boolean } | undefined;
  for (const e of events) {
    if (open !== undefined && open.userId !== e.userId) open = undefined;
    if (e.eventId === UserEventIds.ENTER_ROOM) open = { userId: e.userId, connected: false };
    else if (MEDIA_GOING.has(e.eventId) && open !== undefined) open.connected = true;
    else if (e.eventId === UserEventIds.EXIT_ROOM && open !== undefined) {
      if (!open.connected && e.paramOne === EXIT_TIMEOUT)
        add({ userId: e.userId, at: e.occurredAt, kind: 'join_failed', value: Number(EXIT_TIMEOUT) });
      open = undefined;
    }
  }
  return [...out.values()].sort((a, b) => a.at - b.at || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/**
 * The SQL condition of an abnormal sample (the per-sample rules above), for counting markers per call without
 * reading the samples. Join failures are not counted by it.
 */
export const ABNORMAL_SAMPLE_SQL = `(coalesce(audio_loss, 0) > ${ABNORMAL_THRESHOLDS.lossPercent}
  or coalesce(video_loss, 0) > ${ABNORMAL_THRESHOLDS.lossPercent}
  or coalesce(rtt_ms, 0) > ${ABNORMAL_THRESHOLDS.rttMs}
  or coalesce(video_block_ms, 0) > 0 or coalesce(audio_block_ms, 0) > 0
  or (video_on = 1 and decode_fps = 0))`;
