/** Operators (owner/admin): list, create with a role, change role, disable. */
import { api } from '../api.ts';
import { field, h, showError, statusLine, table, time } from '../dom.ts';
import type { View } from '../route.ts';

interface OperatorRow {
  id: string;
  email: string;
  role: string;
  status: 'active' | 'disabled';
  totpEnrolled: boolean;
  createdAt: number;
  lastSignInAt: number | null;
}

const ROLES = ['owner', 'admin', 'support', 'auditor'];

export const operatorsView: View = async (root) => {
  const status = statusLine('operators-status');
  const email = field('Email', 'operator-email', { type: 'email', required: true });
  const password = field('Initial password', 'operator-password', { type: 'password', required: true, minlength: 12 });
  const role = h(
    'select',
    { id: 'operator-role' },
    ...ROLES.map((r) => h('option', { value: r, selected: r === 'support' }, r)),
  );
  const form = h(
    'form',
    { id: 'operator-form', class: 'card' },
    h('h2', {}, 'New operator'),
    email.wrap,
    h('div', { class: 'field' }, h('label', { for: 'operator-role' }, 'Role'), role),
    password.wrap,
    h('button', { type: 'submit' }, 'Create'),
  );
  const list = h('div', { id: 'operators-list' });
  async function load(): Promise<void> {
    const { operators } = await api<{ operators: OperatorRow[] }>('GET', '/console/api/operators');
    list.replaceChildren(
      table(
        'Operators',
        [
          { label: 'Email', cell: (o) => o.email },
          {
            label: 'Role',
            cell: (o) => {
              const select = h(
                'select',
                { 'aria-label': `Role of ${o.email}` },
                ...ROLES.map((r) => h('option', { value: r, selected: r === o.role }, r)),
              );
              select.addEventListener('change', () => {
                api('PATCH', `/console/api/operators/${encodeURIComponent(o.id)}`, { role: select.value })
                  .then(load)
                  .catch((err: unknown) => showError(status, err));
              });
              return select;
            },
          },
          { label: 'Status', cell: (o) => o.status },
          { label: 'TOTP', cell: (o) => (o.totpEnrolled ? 'enrolled' : 'not yet') },
          { label: 'Created', cell: (o) => time(o.createdAt) },
          { label: 'Last sign-in', cell: (o) => time(o.lastSignInAt) },
          {
            label: 'Actions',
            cell: (o) =>
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => {
                    const next = o.status === 'active' ? 'disabled' : 'active';
                    api('PATCH', `/console/api/operators/${encodeURIComponent(o.id)}`, { status: next })
                      .then(load)
                      .catch((err: unknown) => showError(status, err));
                  },
                },
                o.status === 'active' ? 'Disable' : 'Enable',
              ),
          },
        ],
        operators,
        { id: 'operators-table' },
      ),
    );
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api('POST', '/console/api/operators', {
      email: email.input.value,
      role: role.value,
      password: password.input.value,
    })
      .then(async () => {
        status.textContent = `Operator ${email.input.value} created`;
        form.reset();
        await load();
      })
      .catch((err: unknown) => showError(status, err));
  });
  root.append(form, status, list);
  await load().catch((err: unknown) => showError(status, err));
};
