/**
 * One call: its users (sessions, client facts), uPlot charts per metric with one line per user (bitrate, loss,
 * RTT, frame rate, resolution), the abnormal markers, and the user events.
 */
import uPlot from 'uplot';
import { api } from '../api.ts';
import { h, showError, statusLine, table, time } from '../dom.ts';
import type { View } from '../route.ts';

interface Series {
  userId: string;
  source: 'sdk' | 'server';
  t: number[];
  videoBitrateKbps: (number | null)[];
  audioBitrateKbps: (number | null)[];
  audioLoss: (number | null)[];
  videoLoss: (number | null)[];
  rttMs: (number | null)[];
  fps: (number | null)[];
  width: (number | null)[];
  height: (number | null)[];
}
interface Marker {
  userId: string;
  at: number;
  kind: string;
  value: number;
}
interface User {
  userId: string;
  role: string | null;
  sessions: { joinedAt: number; leftAt: number | null; reason: number | null }[];
  sdkVersion: string | null;
  os: string | null;
  clientIp: string | null;
}

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7ea4', '#6e7781'];

const CHARTS: { key: string; title: string; unit: string; value: (s: Series, i: number) => number | null }[] = [
  { key: 'video-bitrate', title: 'Video bitrate', unit: 'kbit/s', value: (s, i) => s.videoBitrateKbps[i] ?? null },
  { key: 'audio-bitrate', title: 'Audio bitrate', unit: 'kbit/s', value: (s, i) => s.audioBitrateKbps[i] ?? null },
  {
    key: 'loss',
    title: 'Packet loss',
    unit: '%',
    value: (s, i) =>
      Math.max(s.audioLoss[i] ?? -1, s.videoLoss[i] ?? -1) < 0
        ? null
        : Math.max(s.audioLoss[i] ?? 0, s.videoLoss[i] ?? 0),
  },
  { key: 'rtt', title: 'Round-trip time', unit: 'ms', value: (s, i) => s.rttMs[i] ?? null },
  { key: 'fps', title: 'Frame rate', unit: 'fps', value: (s, i) => s.fps[i] ?? null },
  { key: 'height', title: 'Resolution (height)', unit: 'px', value: (s, i) => s.height[i] ?? null },
];

/** uPlot wants one shared x axis: the union of sample times (s), each user's values aligned to it. */
function aligned(series: Series[], value: (s: Series, i: number) => number | null): uPlot.AlignedData {
  const times = [...new Set(series.flatMap((s) => s.t))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const col: (number | null)[] = new Array<number | null>(times.length).fill(null);
    s.t.forEach((t, i) => (col[index.get(t) as number] = value(s, i)));
    return col;
  });
  return [times.map((t) => t / 1000), ...columns] as uPlot.AlignedData;
}

/** Draws abnormal markers as red ticks at the top of the plot. */
function markerPlugin(markers: Marker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u: uPlot) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = '#d1242f';
          for (const m of markers) {
            const x = u.valToPos(m.at / 1000, 'x', true);
            ctx.fillRect(x - 1, u.bbox.top, 2, 8 * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

export const callDetailView: View = async (root, route) => {
  const [app, commId] = route.parts;
  const status = statusLine('call-status');
  root.appendChild(status);
  if (app === undefined || commId === undefined) {
    status.textContent = 'No call chosen.';
    return;
  }
  const base = `/console/api/apps/${encodeURIComponent(app)}/calls/${encodeURIComponent(commId)}`;
  try {
    const detail = await api<{
      call: { roomId: string; createdAt: number; destroyedAt: number | null; status: string; durationSeconds: number };
      users: User[];
    }>('GET', base);
    const c = detail.call;
    root.appendChild(
      h(
        'p',
        { id: 'call-summary' },
        `Room ${c.roomId} · ${c.status} · started ${time(c.createdAt)} · ended ${time(c.destroyedAt)} · ${c.durationSeconds} s`,
      ),
    );
    root.appendChild(
      table(
        'Users',
        [
          { label: 'User', cell: (u) => u.userId },
          { label: 'Role', cell: (u) => u.role ?? '—' },
          {
            label: 'Sessions',
            cell: (u) =>
              u.sessions
                .map(
                  (s) => `${time(s.joinedAt)} → ${time(s.leftAt)}${s.reason === null ? '' : ` (reason ${s.reason})`}`,
                )
                .join('; '),
          },
          { label: 'SDK', cell: (u) => u.sdkVersion ?? '—' },
          { label: 'OS', cell: (u) => u.os ?? '—' },
          { label: 'Client IP', cell: (u) => u.clientIp ?? '—' },
        ],
        detail.users,
        { id: 'call-users' },
      ),
    );
  } catch (err) {
    showError(status, err);
    return;
  }
  const charts = h('div', { id: 'call-charts', class: 'charts' });
  const markersBox = h('div', { id: 'call-abnormal' });
  const eventsBox = h('div', { id: 'call-events' });
  root.append(
    h('h2', {}, 'Quality'),
    charts,
    h('h2', {}, 'Abnormal experience'),
    markersBox,
    h('h2', {}, 'Events'),
    eventsBox,
  );
  const [quality, events] = await Promise.allSettled([
    api<{ series: Series[]; abnormal: Marker[] }>('GET', `${base}/quality`),
    api<{ events: { userId: string; name: string; at: number; paramOne: string | null; paramTwo: string | null }[] }>(
      'GET',
      `${base}/events`,
    ),
  ]);
  if (quality.status === 'fulfilled') {
    const sdk = quality.value.series.filter((s) => s.source === 'sdk');
    const shown = sdk.length > 0 ? sdk : quality.value.series;
    const width = Math.max(320, Math.min(900, charts.clientWidth || 900));
    for (const chart of CHARTS) {
      const box = h(
        'figure',
        { 'data-testid': `chart-${chart.key}` },
        h('figcaption', {}, `${chart.title} (${chart.unit})`),
      );
      charts.appendChild(box);
      new uPlot(
        {
          width,
          height: 180,
          series: [
            {},
            ...shown.map((s, i) => ({ label: s.userId, stroke: COLORS[i % COLORS.length] as string, spanGaps: false })),
          ],
          axes: [{}, { label: chart.unit }],
          plugins: [markerPlugin(quality.value.abnormal)],
        },
        aligned(shown, chart.value),
        box,
      );
    }
    markersBox.appendChild(
      table(
        `${quality.value.abnormal.length} abnormal moments`,
        [
          { label: 'Time', cell: (m) => time(m.at) },
          { label: 'User', cell: (m) => m.userId },
          { label: 'Kind', cell: (m) => m.kind },
          { label: 'Value', cell: (m) => m.value },
        ],
        quality.value.abnormal.slice(0, 500),
        { id: 'abnormal-table' },
      ),
    );
  } else showError(charts.appendChild(statusLine('quality-status')), quality.reason);
  if (events.status === 'fulfilled') {
    eventsBox.appendChild(
      table(
        'User events',
        [
          { label: 'Time', cell: (e) => time(e.at) },
          { label: 'User', cell: (e) => e.userId },
          { label: 'Event', cell: (e) => e.name },
          { label: 'Parameters', cell: (e) => [e.paramOne, e.paramTwo].filter((p) => p !== null).join(', ') },
        ],
        events.value.events,
        { id: 'events-table' },
      ),
    );
  }
  // A grant may cover quality but not events: each refusal shows where its data would be.
  else showError(eventsBox.appendChild(statusLine('events-status')), events.reason);
};
