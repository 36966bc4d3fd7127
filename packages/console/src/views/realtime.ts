/** Live rooms of an app and who is in them, refreshed every 5 s. */
import { api } from '../api.ts';
import { field, h, showError, statusLine, table, time } from '../dom.ts';
import { chosenApp, type View } from '../route.ts';

interface LiveRoom {
  roomId: string;
  commId: string;
  users: string[];
  since: number;
}

export const REFRESH_MS = 5000;

export const realtimeView: View = async (root, route) => {
  const app = chosenApp(route);
  const appField = field('SDKAppID', 'realtime-app', { inputmode: 'numeric', value: app ?? '' });
  const form = h('form', { class: 'filters' }, appField.wrap, h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/realtime?app=${encodeURIComponent(appField.input.value)}`;
  });
  const status = statusLine('realtime-status');
  const result = h('div', { id: 'realtime-result' });
  root.append(form, status, result);
  if (app === null) return;
  const refresh = async () => {
    try {
      const r = await api<{ rooms: LiveRoom[]; refreshedAt: number }>('GET', `/console/api/apps/${app}/realtime`);
      result.replaceChildren(
        table(
          `${r.rooms.length} live rooms`,
          [
            { label: 'Room', cell: (x) => h('a', { href: `#/call/${app}/${encodeURIComponent(x.commId)}` }, x.roomId) },
            { label: 'Since', cell: (x) => time(x.since) },
            { label: 'Users', cell: (x) => x.users.join(', ') },
          ],
          r.rooms,
          { id: 'realtime-table' },
        ),
      );
      status.classList.remove('error');
      status.textContent = `Refreshed ${time(r.refreshedAt)}; every ${REFRESH_MS / 1000} s`;
    } catch (err) {
      showError(status, err);
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  return () => clearInterval(timer);
};
