/** The vulnerability inbox: reports from /security/report, their triage status. */
import { api } from '../api.ts';
import { h, showError, statusLine, table, time } from '../dom.ts';
import type { View } from '../route.ts';

interface Report {
  id: string;
  receivedAt: number;
  contact: string;
  feature: string;
  severity: string | null;
  status: string;
  steps?: string;
}

const STATUSES = ['new', 'triaged', 'fixed', 'rejected'];

export const reportsView: View = async (root) => {
  const status = statusLine('reports-status');
  const detail = h('div', { id: 'report-detail' });
  root.append(status);
  try {
    const { reports } = await api<{ reports: Report[] }>('GET', '/console/api/reports');
    const open = (r: Report) => {
      api<{ report: Report }>('GET', `/console/api/reports/${encodeURIComponent(r.id)}`)
        .then(({ report }) => {
          const select = h(
            'select',
            { id: 'report-status' },
            ...STATUSES.map((s) => h('option', { value: s, selected: s === report.status }, s)),
          );
          select.addEventListener('change', () => {
            api('PATCH', `/console/api/reports/${encodeURIComponent(report.id)}`, { status: select.value })
              .then(() => (status.textContent = `Report ${report.id}: ${select.value}`))
              .catch((err: unknown) => showError(status, err));
          });
          detail.replaceChildren(
            h('h2', {}, `Report ${report.id}`),
            h('p', {}, `${report.feature} — from ${report.contact}, ${time(report.receivedAt)}`),
            h('pre', { class: 'steps' }, report.steps ?? ''),
            h('label', { for: 'report-status' }, 'Status '),
            select,
          );
        })
        .catch((err: unknown) => showError(status, err));
    };
    root.appendChild(
      table(
        'Reports',
        [
          { label: 'Received', cell: (r) => time(r.receivedAt) },
          {
            label: 'Feature',
            cell: (r) => h('button', { type: 'button', class: 'link', onclick: () => open(r) }, r.feature),
          },
          { label: 'Severity', cell: (r) => r.severity ?? '—' },
          { label: 'Contact', cell: (r) => r.contact },
          { label: 'Status', cell: (r) => r.status },
        ],
        reports,
        { id: 'reports-table' },
      ),
    );
    root.appendChild(detail);
  } catch (err) {
    showError(status, err);
  }
};
