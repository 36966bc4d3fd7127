/** End-user deletions and their receipts; a new deletion request (needs privacy.erase). */
import { api } from '../api.ts';
import { field, h, showError, statusLine, table, time } from '../dom.ts';
import type { View } from '../route.ts';

interface Deletion {
  id: string;
  sdkAppId: number | null;
  status: string;
  startedAt: number;
  finishedAt: number | null;
  receipt: { region: string; subjectHash: string | null; deleted: Record<string, number> } | null;
}

export const deletionsView: View = async (root) => {
  const status = statusLine('deletions-status');
  const app = field('SDKAppID', 'deletion-app', { inputmode: 'numeric', required: true });
  const user = field('User ID', 'deletion-user', { required: true, maxlength: 32 });
  const form = h(
    'form',
    { id: 'deletion-form', class: 'card' },
    h('h2', {}, 'Erase an end user'),
    app.wrap,
    user.wrap,
    h('button', { type: 'submit' }, 'Erase'),
  );
  const list = h('div', { id: 'deletions-list' });
  const load = async () => {
    const { deletions } = await api<{ deletions: Deletion[] }>('GET', '/console/api/privacy/deletions');
    list.replaceChildren(
      table(
        'Deletions',
        [
          { label: 'Job', cell: (d) => d.id },
          { label: 'App', cell: (d) => d.sdkAppId ?? '—' },
          { label: 'Status', cell: (d) => d.status },
          { label: 'Started', cell: (d) => time(d.startedAt) },
          { label: 'Finished', cell: (d) => time(d.finishedAt) },
          {
            label: 'Receipt',
            cell: (d) =>
              d.receipt === null
                ? '—'
                : `${d.receipt.region}: ${Object.entries(d.receipt.deleted)
                    .map(([t, n]) => `${t} ${n}`)
                    .join(', ')}`,
          },
        ],
        deletions,
        { id: 'deletions-table' },
      ),
    );
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!confirm(`Erase every stored row of user ${user.input.value} in app ${app.input.value}?`)) return;
    api('POST', '/admin/privacy/deletions', { sdkAppId: Number(app.input.value), userId: user.input.value })
      .then(async () => {
        status.textContent = 'Erased; the receipt is listed below.';
        await load();
      })
      .catch((err: unknown) => showError(status, err));
  });
  root.append(form, status, list);
  await load().catch((err: unknown) => showError(status, err));
};
