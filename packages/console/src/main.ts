/**
 * The operator console: a router over `location.hash` (`#/view?query`), a navigation bar and one view at a time.
 * Each view is a module with `render(root, route)`; views fetch with api.ts and build DOM with dom.ts.
 */
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { h } from './dom.ts';
import { loadSession, operator, signOut } from './session.ts';
import type { Route, View } from './route.ts';
import { appsView } from './views/apps.ts';
import { auditView } from './views/audit.ts';
import { callDetailView } from './views/call-detail.ts';
import { callsView } from './views/calls.ts';
import { deletionsView } from './views/deletions.ts';
import { grantsView } from './views/grants.ts';
import { operatorsView } from './views/operators.ts';
import { realtimeView } from './views/realtime.ts';
import { reportsView } from './views/reports.ts';
import { signInView } from './views/sign-in.ts';
import { usageView } from './views/usage.ts';

// `roles`: who sees the view in the navigation — the roles holding the view's permission in the server's
// ROLE_PERMISSIONS (packages/server/src/operators/principal.ts); the server still decides every request.
const CALL_DATA = ['owner', 'admin', 'support'];
const VIEWS: Record<string, { title: string; view: View; nav?: boolean; roles?: string[] }> = {
  'sign-in': { title: 'Sign in', view: signInView },
  apps: { title: 'Apps', view: appsView, nav: true },
  calls: { title: 'Calls', view: callsView, nav: true, roles: CALL_DATA },
  call: { title: 'Call', view: callDetailView },
  realtime: { title: 'Realtime', view: realtimeView, nav: true, roles: CALL_DATA },
  usage: { title: 'Usage', view: usageView, nav: true },
  deletions: { title: 'Deletions', view: deletionsView, nav: true, roles: ['owner', 'admin'] },
  audit: { title: 'Audit log', view: auditView, nav: true, roles: ['owner', 'admin', 'auditor'] },
  grants: { title: 'Grants', view: grantsView, nav: true, roles: CALL_DATA },
  reports: { title: 'Vulnerability reports', view: reportsView, nav: true, roles: ['owner', 'admin'] },
  operators: { title: 'Operators', view: operatorsView, nav: true, roles: ['owner'] },
};

/** `#/call/1400000001/abc?x=1` → {name: 'call', parts: ['1400000001', 'abc'], query}. */
function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [name = '', ...parts] = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  return { name, parts, query: new URLSearchParams(search) };
}

/** Cancels the previous view's timers (realtime refresh) when the route changes. */
let stopCurrent: (() => void) | undefined;

async function render(): Promise<void> {
  stopCurrent?.();
  stopCurrent = undefined;
  const route = parseHash(location.hash);
  const nav = document.getElementById('nav') as HTMLElement;
  const main = document.getElementById('main') as HTMLElement;
  if (operator() === null && route.name !== 'sign-in') await loadSession();
  const op = operator();
  if (op === null && route.name !== 'sign-in') {
    location.hash = '#/sign-in';
    return;
  }
  const entry = VIEWS[route.name] ?? (VIEWS.apps as (typeof VIEWS)[string]);
  nav.replaceChildren(
    ...(op === null
      ? []
      : [
          h(
            'ul',
            {},
            ...Object.entries(VIEWS)
              .filter(([, v]) => v.nav === true && (v.roles === undefined || v.roles.includes(op.role)))
              .map(([name, v]) =>
                h(
                  'li',
                  {},
                  h(
                    'a',
                    {
                      href: `#/${name}`,
                      'data-testid': `nav-${name}`,
                      ...(route.name === name ? { 'aria-current': 'page' } : {}),
                    },
                    v.title,
                  ),
                ),
              ),
          ),
          h(
            'p',
            { class: 'who' },
            `${op.email} (${op.role}) `,
            h(
              'button',
              {
                type: 'button',
                id: 'sign-out',
                onclick: () => {
                  void signOut().then(() => (location.hash = '#/sign-in'));
                },
              },
              'Sign out',
            ),
          ),
        ]),
  );
  document.title = `${entry.title} — Conclave console`;
  const root = h('section', { 'aria-labelledby': 'view-title', 'data-view': route.name || 'apps' });
  root.appendChild(h('h1', { id: 'view-title', tabindex: '-1' }, entry.title));
  main.replaceChildren(root);
  try {
    stopCurrent = (await entry.view(root, route)) ?? undefined;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    root.appendChild(
      h('p', { class: 'status error', role: 'alert' }, `${e.code ?? 'ERROR'}: ${e.message ?? String(err)}`),
    );
  }
  (document.getElementById('view-title') as HTMLElement | null)?.focus();
}

window.addEventListener('hashchange', () => void render());
void render();
