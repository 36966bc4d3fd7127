/** The audit log, newest first, filterable, with the result of verifying the hash chain and checkpoints. */
import { api, withQuery } from '../api.ts';
import { field, h, showError, statusLine, table, time } from '../dom.ts';
import type { View } from '../route.ts';

/** A record as GET /console/api/audit answers it (audit/chain.ts, without the hashes the viewer does not show). */
interface AuditRecord {
  seq: number;
  at: number;
  actor: { kind: string; id: string; role: string | null };
  action: string;
  result: string;
  target: {
    sdkAppId: number | null;
    roomId: string | null;
    userId: string | null;
    operatorId: string | null;
    grantId: string | null;
  };
  grantId: string | null;
  detail: string | null;
}

export const auditView: View = async (root, route) => {
  const q = route.query;
  const action = field('Action', 'audit-action', { value: q.get('action') ?? '' });
  const operatorId = field('Operator', 'audit-operator', { value: q.get('operatorId') ?? '' });
  const app = field('SDKAppID', 'audit-app', { inputmode: 'numeric', value: q.get('sdkAppId') ?? '' });
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    action.wrap,
    operatorId.wrap,
    app.wrap,
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const p = new URLSearchParams();
    if (action.input.value) p.set('action', action.input.value);
    if (operatorId.input.value) p.set('operatorId', operatorId.input.value);
    if (app.input.value) p.set('sdkAppId', app.input.value);
    location.hash = `#/audit?${p}`;
  });
  const verify = h('p', { id: 'audit-verify', role: 'status' }, 'Verifying…');
  const status = statusLine('audit-status');
  const list = h('div', { id: 'audit-list' });
  root.append(verify, form, status, list);
  api<{ ok: boolean; records: number; firstProblem?: { kind: string; seq: number }; keyId?: string }>(
    'GET',
    '/console/api/audit/verify',
  )
    .then((r) => {
      verify.textContent = r.ok
        ? `Chain verified: ${r.records} records intact (key ${r.keyId ?? '?'})`
        : `PROBLEM: ${r.firstProblem?.kind} at record ${r.firstProblem?.seq}`;
      verify.className = r.ok ? 'ok' : 'error';
    })
    .catch((err: unknown) => showError(verify, err));
  try {
    const { records } = await api<{ records: AuditRecord[] }>(
      'GET',
      withQuery('/console/api/audit', {
        limit: 200,
        action: q.get('action') ?? undefined,
        operatorId: q.get('operatorId') ?? undefined,
        sdkAppId: q.get('sdkAppId') ?? undefined,
      }),
    );
    list.appendChild(
      table(
        'Audit records',
        [
          { label: '#', cell: (r) => r.seq },
          { label: 'Time', cell: (r) => time(r.at) },
          {
            label: 'Actor',
            cell: (r) => `${r.actor.kind} ${r.actor.id}${r.actor.role === null ? '' : ` (${r.actor.role})`}`,
          },
          { label: 'Action', cell: (r) => r.action },
          { label: 'App', cell: (r) => r.target.sdkAppId ?? '' },
          // The grant an access was made under, or the grant a grant step was about.
          { label: 'Grant', cell: (r) => r.grantId ?? r.target.grantId ?? '' },
          { label: 'Result', cell: (r) => r.result },
          { label: 'Detail', cell: (r) => r.detail ?? '' },
        ],
        records,
        { id: 'audit-table' },
      ),
    );
  } catch (err) {
    showError(status, err);
  }
};
