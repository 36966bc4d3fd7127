/** Grants to a customer's call data: request one, approve or reject others', revoke. */
import { api } from '../api.ts';
import { field, h, showError, statusLine, table, time } from '../dom.ts';
import type { View } from '../route.ts';
import { operator } from '../session.ts';

interface Grant {
  id: string;
  sdkAppId: number;
  scopes: string[];
  reason: string;
  durationMinutes: number;
  status: string;
  requestedBy: { id: string; email: string };
  requestedAt: number;
  decidedBy: { id: string; email: string } | null;
  expiresAt: number | null;
}

const SCOPES = ['calls', 'quality', 'events', 'logs', 'callbacks'];

export const grantsView: View = async (root) => {
  const status = statusLine('grants-status');
  const app = field('SDKAppID', 'grant-app', { inputmode: 'numeric', required: true });
  const reason = field('Reason', 'grant-reason', { required: true, maxlength: 500 });
  const minutes = field('Duration (minutes)', 'grant-minutes', { type: 'number', min: 1, max: 1440, value: 60 });
  const scopes = h(
    'fieldset',
    {},
    h('legend', {}, 'Scopes'),
    ...SCOPES.map((s) =>
      h(
        'span',
        { class: 'check' },
        h('input', { type: 'checkbox', id: `grant-scope-${s}`, value: s, checked: s !== 'callbacks' && s !== 'logs' }),
        h('label', { for: `grant-scope-${s}` }, ` ${s}`),
      ),
    ),
  );
  const form = h(
    'form',
    { id: 'grant-form', class: 'card' },
    h('h2', {}, 'Request access'),
    app.wrap,
    scopes,
    reason.wrap,
    minutes.wrap,
    h('button', { type: 'submit' }, 'Request'),
  );
  const list = h('div', { id: 'grants-list' });
  const act = (g: Grant, verb: 'approve' | 'reject' | 'revoke') =>
    h(
      'button',
      {
        type: 'button',
        'data-testid': `grant-${verb}-${g.id}`,
        onclick: () => {
          api('POST', `/console/api/grants/${encodeURIComponent(g.id)}/${verb}`)
            .then(load)
            .catch((err: unknown) => showError(status, err));
        },
      },
      verb,
    );
  async function load(): Promise<void> {
    const { grants } = await api<{ grants: Grant[] }>('GET', '/console/api/grants');
    const me = operator()?.id;
    list.replaceChildren(
      table(
        'Grants',
        [
          { label: 'App', cell: (g) => g.sdkAppId },
          { label: 'Scopes', cell: (g) => g.scopes.join(', ') },
          { label: 'Reason', cell: (g) => g.reason },
          { label: 'Requested by', cell: (g) => `${g.requestedBy.email} ${time(g.requestedAt)}` },
          { label: 'Status', cell: (g) => g.status },
          { label: 'Decided by', cell: (g) => g.decidedBy?.email ?? '—' },
          { label: 'Expires', cell: (g) => time(g.expiresAt) },
          {
            label: 'Actions',
            cell: (g) =>
              h(
                'span',
                {},
                g.status === 'pending' && g.requestedBy.id !== me ? act(g, 'approve') : null,
                g.status === 'pending' && g.requestedBy.id !== me ? act(g, 'reject') : null,
                g.status === 'active' ? act(g, 'revoke') : null,
              ),
          },
        ],
        grants,
        { id: 'grants-table' },
      ),
    );
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = SCOPES.filter((s) => (document.getElementById(`grant-scope-${s}`) as HTMLInputElement).checked);
    api('POST', '/console/api/grants', {
      sdkAppId: Number(app.input.value),
      scopes: chosen,
      reason: reason.input.value,
      durationMinutes: Number(minutes.input.value),
    })
      .then(async () => {
        status.textContent = 'Requested; another operator must approve it.';
        await load();
      })
      .catch((err: unknown) => showError(status, err));
  });
  root.append(form, status, list);
  await load().catch((err: unknown) => showError(status, err));
};
