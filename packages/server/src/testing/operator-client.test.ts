// The operator test client against a real server (main.ts wiring): sign-in, permissions on the admin and audit
// routes, and the admin token still working as automation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadOrCreateDevKeys } from '../dev-keys.ts';
import { signInOperator } from './operator-client.ts';
import { startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

test('operators signed in through the real server reach what their role allows, and the changes are audited', async () => {
  const admin = await signInOperator(t.server, { role: 'admin' });
  const session = await admin.get('/console/api/auth/session');
  assert.equal(session.status, 200);
  assert.equal(session.json<{ operator: { id: string } }>().operator.id, admin.operator.id);
  const created = await admin.post('/admin/apps', { name: 'From the console', region: 'default' });
  assert.equal(created.status, 201);
  const sdkAppId = created.json<{ app: { sdkAppId: number } }>().app.sdkAppId;
  assert.equal((await admin.get('/console/api/audit/verify')).status, 200);

  const support = await signInOperator(t.server, { role: 'support' });
  assert.equal((await support.get(`/admin/apps/${sdkAppId}`)).status, 200);
  assert.equal((await support.post(`/admin/apps/${sdkAppId}/rotate-key`)).status, 403);
  assert.equal((await support.get('/console/api/audit')).status, 403);

  const { adminToken } = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
  const res = await t.server.app.inject({
    method: 'GET',
    url: '/admin/apps',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  assert.equal(res.statusCode, 200);
  const records = await t.server.audit.list({ sdkAppId });
  assert.ok(records.some((r) => r.action === 'apps.create' && r.actor.id === admin.operator.id && r.result === 'ok'));
  const denied = await t.server.audit.list({ actorId: support.operator.id, action: 'access.apps.secrets' });
  assert.equal(denied[0]?.detail, 'OPERATOR_FORBIDDEN');
});
