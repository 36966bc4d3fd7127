/**
 * Calls of an app, filterable by user, room and time. Up to 1,000 calls are fetched in pages of 500 and painted as
 * one table in one go (no request per row).
 */
import { api, withQuery } from '../api.ts';
import { field, h, showError, statusLine, table, time } from '../dom.ts';
import { chosenApp, type View } from '../route.ts';

export interface CallRow {
  commId: string;
  roomId: string;
  createdAt: number;
  destroyedAt: number | null;
  durationSeconds: number;
  userCount: number;
  status: 'live' | 'ended';
  abnormalCount: number;
}

const MAX_ROWS = 1000;

/** `datetime-local` text (UTC) ↔ epoch ms. */
const fromInput = (v: string): number | undefined => (v === '' ? undefined : Date.parse(`${v}Z`));
const toInput = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

export const callsView: View = async (root, route) => {
  const app = chosenApp(route);
  const q = route.query;
  const appField = field('SDKAppID', 'calls-app', { inputmode: 'numeric', required: true, value: app ?? '' });
  const user = field('User', 'calls-user', { value: q.get('userId') ?? '' });
  const room = field('Room', 'calls-room', { value: q.get('roomId') ?? '' });
  const from = field('From (UTC)', 'calls-from', { type: 'datetime-local', value: q.get('from') ?? '' });
  const to = field('To (UTC)', 'calls-to', { type: 'datetime-local', value: q.get('to') ?? '' });
  const status = statusLine('calls-status');
  const result = h('div', { id: 'calls-result' });
  const form = h(
    'form',
    { id: 'calls-filter', class: 'filters', role: 'search' },
    appField.wrap,
    user.wrap,
    room.wrap,
    from.wrap,
    to.wrap,
    h('button', { type: 'submit' }, 'Show calls'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of [
      ['app', appField.input.value],
      ['userId', user.input.value],
      ['roomId', room.input.value],
      ['from', from.input.value],
      ['to', to.input.value],
    ] as const)
      if (v !== '') params.set(k, v);
    location.hash = `#/calls?${params}`;
  });
  root.append(form, status, result);
  if (app === null) {
    status.textContent = 'Choose an app.';
    return;
  }
  if (from.input.value === '' && to.input.value === '') {
    from.input.value = toInput(Date.now() - 7 * 86_400_000);
  }
  const started = performance.now();
  try {
    const calls: CallRow[] = [];
    let before: string | undefined;
    do {
      const page = await api<{ calls: CallRow[]; nextBefore: string | null }>(
        'GET',
        withQuery(`/console/api/apps/${app}/calls`, {
          from: fromInput(from.input.value),
          to: fromInput(to.input.value),
          userId: user.input.value,
          roomId: room.input.value,
          limit: 500,
          before,
        }),
      );
      calls.push(...page.calls);
      before = page.nextBefore ?? undefined;
    } while (before !== undefined && calls.length < MAX_ROWS);
    result.replaceChildren(
      table(
        `Calls of app ${app}`,
        [
          {
            label: 'Room',
            cell: (c) => h('a', { href: `#/call/${app}/${encodeURIComponent(c.commId)}` }, c.roomId),
          },
          { label: 'Started', cell: (c) => time(c.createdAt) },
          { label: 'Ended', cell: (c) => time(c.destroyedAt) },
          { label: 'Duration (s)', cell: (c) => c.durationSeconds },
          { label: 'Users', cell: (c) => c.userCount },
          { label: 'Status', cell: (c) => c.status },
          {
            label: 'Abnormal',
            cell: (c) => (c.abnormalCount > 0 ? h('span', { class: 'warn' }, c.abnormalCount) : '0'),
          },
        ],
        calls.slice(0, MAX_ROWS),
        { id: 'calls-table', 'data-testid': 'calls-table', 'data-rows': calls.length },
      ),
    );
    status.textContent = `${calls.length} calls in ${Math.round(performance.now() - started)} ms`;
  } catch (err) {
    showError(status, err);
  }
};
