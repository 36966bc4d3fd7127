/**
 * Apps: list, create (the secret key is shown once), and per app: rotate the key, terminate, callbacks, E2EE
 * policy and Cloud API credentials (secrets shown once).
 */
import { api } from '../api.ts';
import { field, h, showError, statusLine, table, time } from '../dom.ts';
import type { View } from '../route.ts';

interface App {
  sdkAppId: number;
  name: string;
  region: string;
  status: 'active' | 'terminated';
  requireE2ee: boolean;
  callbackUrl: string | null;
  hasCallbackKey: boolean;
  createdAt: number;
}

/** A box for a secret shown once. */
function secretBox(title: string, values: Record<string, string>): HTMLElement {
  return h(
    'div',
    { class: 'secret', role: 'alert', 'data-testid': 'secret-once' },
    h('strong', {}, `${title} — shown once, copy it now`),
    h('dl', {}, ...Object.entries(values).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', {}, v))])),
  );
}

interface Delivery {
  id: number;
  eventType: number;
  status: string;
  attempts: number;
  createdAt: number;
  lastStatus: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
}

/** The callback delivery log (needs a grant with the `callbacks` scope). */
async function callbackLog(id: number): Promise<HTMLTableElement> {
  const answer = await api<{ deliveries: Delivery[] }>('GET', `/admin/apps/${id}/callbacks?limit=100`);
  return table(
    `Callback deliveries of ${id}`,
    [
      { label: 'Created', cell: (d) => time(d.createdAt) },
      { label: 'Event', cell: (d) => d.eventType },
      { label: 'Status', cell: (d) => d.status },
      { label: 'Attempts', cell: (d) => d.attempts },
      { label: 'Last HTTP status', cell: (d) => d.lastStatus ?? '—' },
      { label: 'Latency (ms)', cell: (d) => d.lastLatencyMs ?? '—' },
      { label: 'Error', cell: (d) => d.lastError ?? '' },
    ],
    answer.deliveries,
    { id: `callback-log-table-${id}` },
  );
}

function appPanel(app: App, status: HTMLElement, refresh: () => void): HTMLElement {
  const id = app.sdkAppId;
  const out = h('div', { class: 'app-output', id: `app-output-${id}` });
  const act = (label: string, testid: string, run: () => Promise<void>, confirmText?: string) =>
    h(
      'button',
      {
        type: 'button',
        'data-testid': `${testid}-${id}`,
        disabled: app.status !== 'active',
        onclick: () => {
          if (confirmText !== undefined && !confirm(confirmText)) return;
          run().catch((err: unknown) => showError(status, err));
        },
      },
      label,
    );
  const callbackUrl = field('Callback URL', `callback-url-${id}`, { type: 'url', value: app.callbackUrl ?? '' });
  const callbackKey = field('Callback key (leave empty to keep)', `callback-key-${id}`, { type: 'password' });
  const e2ee = h('input', { type: 'checkbox', id: `e2ee-${id}`, checked: app.requireE2ee });
  const callbacks = h(
    'form',
    { class: 'inline' },
    callbackUrl.wrap,
    callbackKey.wrap,
    h('button', { type: 'submit', disabled: app.status !== 'active' }, 'Save callbacks'),
  );
  callbacks.addEventListener('submit', (event) => {
    event.preventDefault();
    const body: Record<string, string | null> = { callbackUrl: callbackUrl.input.value || null };
    if (callbackKey.input.value !== '') body.callbackKey = callbackKey.input.value;
    api('PATCH', `/admin/apps/${id}`, body)
      .then(() => (status.textContent = `Callbacks of ${id} saved`))
      .catch((err: unknown) => showError(status, err));
  });
  e2ee.addEventListener('change', () => {
    api('PATCH', `/admin/apps/${id}`, { requireE2ee: e2ee.checked })
      .then(() => (status.textContent = `E2EE policy of ${id}: ${e2ee.checked ? 'required' : 'optional'}`))
      .catch((err: unknown) => showError(status, err));
  });
  return h(
    'details',
    { class: 'app-panel', 'data-testid': `app-${id}` },
    h('summary', {}, `${app.name} (${id}) — ${app.region}, ${app.status}`),
    h(
      'div',
      { class: 'actions' },
      act(
        'Rotate secret key',
        'rotate',
        async () => {
          const r = await api<{ secretKey: string }>('POST', `/admin/apps/${id}/rotate-key`);
          out.replaceChildren(secretBox('New secret key', { secretKey: r.secretKey }));
        },
        `Rotate the secret key of ${id}? Existing UserSigs stop working.`,
      ),
      act('New API credential', 'credential', async () => {
        const r = await api<Record<string, string>>('POST', `/admin/apps/${id}/api-credentials`);
        out.replaceChildren(secretBox('API credential', r));
      }),
      act(
        'Terminate',
        'terminate',
        async () => {
          await api('POST', `/admin/apps/${id}/terminate`);
          refresh();
        },
        `Terminate app ${id}? Its data will be deleted.`,
      ),
      h(
        'button',
        {
          type: 'button',
          'data-testid': `callback-log-${id}`,
          onclick: () => {
            callbackLog(id)
              .then((log) => out.replaceChildren(log))
              .catch((err: unknown) => showError(status, err));
          },
        },
        'Callback log',
      ),
      h('a', { href: `#/calls?app=${id}` }, 'Calls'),
      h('a', { href: `#/realtime?app=${id}` }, 'Realtime'),
      h('a', { href: `#/usage?app=${id}` }, 'Usage'),
    ),
    callbacks,
    h('div', { class: 'field' }, e2ee, h('label', { for: `e2ee-${id}` }, ' Require end-to-end encryption')),
    out,
  );
}

export const appsView: View = async (root) => {
  const status = statusLine('apps-status');
  const list = h('div', { id: 'apps-list' });
  const created = h('div', { id: 'app-created' });
  const name = field('Name', 'app-name', { required: true, maxlength: 64 });
  // The server requires a region; offered: the region of the existing apps (the deployment's first region).
  const region = field('Region', 'app-region', { required: true, maxlength: 64, value: 'default' });
  const create = h(
    'form',
    { id: 'app-create', class: 'card' },
    h('h2', {}, 'New app'),
    name.wrap,
    region.wrap,
    h('button', { type: 'submit' }, 'Create'),
  );
  const load = async () => {
    const { apps } = await api<{ apps: App[] }>('GET', '/admin/apps');
    if (!region.input.dataset.touched && apps[0] !== undefined) region.input.value = apps[0].region;
    list.replaceChildren(
      table(
        'Apps',
        [
          { label: 'SDKAppID', cell: (a) => a.sdkAppId },
          { label: 'Name', cell: (a) => a.name },
          { label: 'Region', cell: (a) => a.region },
          { label: 'Status', cell: (a) => a.status },
          { label: 'E2EE', cell: (a) => (a.requireE2ee ? 'required' : 'optional') },
          { label: 'Created', cell: (a) => time(a.createdAt) },
        ],
        apps,
        { id: 'apps-table' },
      ),
      ...apps.map((a) => appPanel(a, status, () => void load().catch((err: unknown) => showError(status, err)))),
    );
  };
  region.input.addEventListener('input', () => (region.input.dataset.touched = '1'));
  create.addEventListener('submit', (event) => {
    event.preventDefault();
    api<{ app: App; secretKey: string }>('POST', '/admin/apps', { name: name.input.value, region: region.input.value })
      .then(async (r) => {
        created.replaceChildren(secretBox(`App ${r.app.sdkAppId} created`, { secretKey: r.secretKey }));
        await load();
      })
      .catch((err: unknown) => showError(status, err));
  });
  root.append(status, create, created, list);
  await load();
};
