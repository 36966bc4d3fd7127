// The abnormal-experience rules as a table: each row a sample (or an event sequence) and the markers it must give.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallSeries } from '../../telemetry/telemetry-store.ts';
import { UserEventIds, type UserEvent } from '../../telemetry/records.ts';
import { abnormalMarkers } from './abnormal.ts';

type Metrics = CallSeries['metrics'];
const one = (metrics: Record<string, number | null>, source: 'sdk' | 'server' = 'sdk'): CallSeries => ({
  userId: 'u1',
  source,
  sampledAt: [1000],
  metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, [v]])) as Metrics,
});

const cases: { name: string; metrics: Record<string, number | null>; want: [string, number][] }[] = [
  {
    name: 'healthy sample',
    metrics: { audioLoss: 1, videoLoss: 5, rttMs: 400, videoBlockMs: 0, videoOn: 1, decodeFps: 30 },
    want: [],
  },
  { name: 'absent metrics', metrics: { audioLoss: null, rttMs: null, videoOn: null, decodeFps: null }, want: [] },
  { name: 'audio loss above 5 %', metrics: { audioLoss: 5.5 }, want: [['loss', 5.5]] },
  { name: 'video loss wins when higher', metrics: { audioLoss: 6, videoLoss: 20 }, want: [['loss', 20]] },
  { name: 'RTT above 400 ms', metrics: { rttMs: 401 }, want: [['rtt', 401]] },
  { name: 'video block is a freeze', metrics: { videoBlockMs: 300 }, want: [['freeze', 300]] },
  { name: 'audio block is a freeze', metrics: { audioBlockMs: 120 }, want: [['freeze', 120]] },
  { name: 'decode 0 fps while video is on', metrics: { videoOn: 1, decodeFps: 0 }, want: [['freeze', 0]] },
  { name: 'decode 0 fps with video off is fine', metrics: { videoOn: 0, decodeFps: 0 }, want: [] },
  {
    name: 'several at once',
    metrics: { audioLoss: 30, rttMs: 900, videoBlockMs: 50 },
    want: [
      ['loss', 30],
      ['rtt', 900],
      ['freeze', 50],
    ],
  },
];

for (const c of cases) {
  test(`abnormal sample: ${c.name}`, () => {
    const got = abnormalMarkers([one(c.metrics)]).map((m) => [m.kind, m.value]);
    assert.deepEqual(got.sort(), [...c.want].sort());
  });
}

test('both sources reporting the same moment give one marker per kind, the worse value', () => {
  const got = abnormalMarkers([one({ rttMs: 500 }), one({ rttMs: 700 }, 'server')]);
  assert.deepEqual(got, [{ userId: 'u1', at: 1000, kind: 'rtt', value: 700 }]);
});

const ev = (userId: string, eventId: number, occurredAt: number, paramOne?: string): UserEvent => ({
  sdkAppId: 1400000001,
  commId: '1400000001_1_1',
  userId,
  eventId,
  occurredAt,
  ...(paramOne === undefined ? {} : { paramOne }),
});

test('a failed join: entered, no media, session timed out; a normal leave or media flowing is not one', () => {
  const { ENTER_ROOM: enter, EXIT_ROOM: exit, AUDIO_START: audio, MEDIA_CONNECTED: media } = UserEventIds;
  const events = [
    ev('a', enter, 1, 'anchor'),
    ev('a', exit, 9, '2'), // timed out, never published or connected: failed
    ev('a', enter, 20, 'anchor'),
    ev('a', audio, 21),
    ev('a', exit, 30, '2'), // timed out after media flowed: not a failed join
    ev('b', enter, 2, 'audience'),
    ev('b', exit, 5, '1'), // left normally
    ev('c', enter, 3, 'audience'),
    ev('c', media, 4),
    ev('c', exit, 8, '2'),
  ];
  assert.deepEqual(abnormalMarkers([], events), [{ userId: 'a', at: 9, kind: 'join_failed', value: 2 }]);
});

test('markers come ordered by time, then user', () => {
  const a: CallSeries = { userId: 'b', source: 'sdk', sampledAt: [1, 3], metrics: { rttMs: [500, 500] } };
  const b: CallSeries = { userId: 'a', source: 'sdk', sampledAt: [1, 2], metrics: { rttMs: [500, 500] } };
  assert.deepEqual(
    abnormalMarkers([a, b]).map((m) => `${m.at}${m.userId}`),
    ['1a', '1b', '2a', '3b'],
  );
});
