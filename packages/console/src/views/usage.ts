/** Participant time per UTC day of an app. */
import { api } from '../api.ts';
import { field, h, showError, statusLine, table } from '../dom.ts';
import { chosenApp, type View } from '../route.ts';

export const usageView: View = async (root, route) => {
  const app = chosenApp(route);
  const appField = field('SDKAppID', 'usage-app', { inputmode: 'numeric', value: app ?? '' });
  const form = h('form', { class: 'filters' }, appField.wrap, h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/usage?app=${encodeURIComponent(appField.input.value)}`;
  });
  const status = statusLine('usage-status');
  root.append(form, status);
  if (app === null) return;
  try {
    const { days } = await api<{ days: { day: string; participantSeconds: number }[] }>(
      'GET',
      `/console/api/apps/${app}/usage`,
    );
    root.appendChild(
      table(
        'Usage, last 30 days',
        [
          { label: 'Day (UTC)', cell: (d) => d.day },
          { label: 'Participant minutes', cell: (d) => (d.participantSeconds / 60).toFixed(1) },
        ],
        days,
        { id: 'usage-table' },
      ),
    );
  } catch (err) {
    showError(status, err);
  }
};
