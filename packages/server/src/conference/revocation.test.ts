/**
 * Revocation revokes (issue 17, item 2): rotating an app's key or terminating the app ends its live sessions
 * (KICKED_OUT `banned`), refuses their resumes and stores nothing more for a terminated app — whether the change
 * was made in this process (admin API) or by another one (the CLI, another node) on the same registry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { JoinAnswer } from '@conclave/protocol';
import { parseMasterKey } from '../apps/envelope.ts';
import { AppRegistry } from '../apps/registry.ts';
import { generateUserSig } from '../auth/index.ts';
import { CloseCode } from '../signaling/close-codes.ts';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let t: TestServer;
/** A second registry on the same store, as the CLI or another node has: its changes emit nothing here. */
let elsewhere: AppRegistry;

before(async () => {
  t = await startTestServer();
  const keys = JSON.parse(fs.readFileSync(path.join(t.dataDir, 'dev-keys.json'), 'utf8')) as { masterKey: string };
  elsewhere = new AppRegistry({
    store: t.server.stores.control.store,
    masterKey: parseMasterKey(keys.masterKey),
    regions: t.server.stores.regionNames,
    logger: pino({ level: 'silent' }),
    now: Date.now,
  });
});
after(() => t.close());

async function appWithUser(userId: string, roomId: number) {
  const { app, secretKey } = await t.server.stores.apps.create({ name: `revoke-${roomId}`, region: 'default' });
  const client = await SignalTestClient.connect(t.server.url);
  const answer = await client.request('join', {
    sdkAppId: app.sdkAppId,
    userId,
    userSig: generateUserSig({ sdkAppId: app.sdkAppId, userId, secretKey, expireSeconds: 3600 }),
    roomId,
  });
  assert.equal(answer.ok, true, JSON.stringify(answer.error));
  return { sdkAppId: app.sdkAppId, client, resumeToken: (answer.data as JoinAnswer).resumeToken };
}

async function resume(token: string) {
  const c = await SignalTestClient.connect(t.server.url);
  return c.request('resume', { resumeToken: token });
}

async function backendLogs(sdkAppId: number): Promise<string[]> {
  await t.server.stores.flush();
  const rows = await t.server.stores.control.store.db
    .selectFrom('backend_logs')
    .select('action')
    .where('sdk_app_id', '=', sdkAppId)
    .orderBy('occurred_at')
    .execute();
  return rows.map((r) => r.action);
}

describe('revocation ends live sessions', () => {
  test('rotating the key kicks the app’s participants (banned) and their resume is refused', async () => {
    const a = await appWithUser('alice', 9101);
    await t.server.stores.apps.rotateSecretKey(a.sdkAppId);
    assert.deepEqual(await a.client.next('kicked'), {
      reason: 'banned',
      message: "the app's secret key was rotated",
    });
    assert.equal((await a.client.closed).code, CloseCode.Kicked);
    assert.equal((await resume(a.resumeToken)).error?.code, 'SESSION_RESUME_FAILED');
    assert.equal([...t.server.conference.sessions.values()].filter((s) => s.app.sdkAppId === a.sdkAppId).length, 0);
  });

  test('terminating the app kicks its participants and nothing more is stored for it', async () => {
    const a = await appWithUser('bob', 9102);
    assert.deepEqual(await backendLogs(a.sdkAppId), ['enter']);
    await t.server.stores.apps.terminate(a.sdkAppId);
    assert.deepEqual(await a.client.next('kicked'), { reason: 'banned', message: 'the app was terminated' });
    await a.client.closed;
    // The exit that the kick causes is not written: the app's data is due for purging.
    assert.deepEqual(await backendLogs(a.sdkAppId), ['enter']);
  });

  test('a key rotated by another process ends the sessions too (the registry is re-read)', async () => {
    const a = await appWithUser('carol', 9103);
    await elsewhere.rotateSecretKey(a.sdkAppId);
    assert.deepEqual(await a.client.next('kicked'), {
      reason: 'banned',
      message: "the app's secret key was rotated",
    });
    await a.client.closed;
  });

  test('a dropped participant whose app was terminated elsewhere cannot resume', async () => {
    const a = await appWithUser('dave', 9104);
    a.client.ws.terminate();
    await a.client.closed;
    await elsewhere.terminate(a.sdkAppId);
    const refused = await resume(a.resumeToken);
    // Refused by the resume itself (SESSION_REVOKED) or, if the periodic re-read came first, because the
    // session is already gone.
    assert.ok(
      refused.error?.code === 'SESSION_REVOKED' || refused.error?.code === 'SESSION_RESUME_FAILED',
      JSON.stringify(refused),
    );
    assert.equal([...t.server.conference.sessions.values()].filter((s) => s.app.sdkAppId === a.sdkAppId).length, 0);
  });

  test('other apps’ sessions are untouched', async () => {
    const keep = await appWithUser('erin', 9105);
    const other = await appWithUser('frank', 9106);
    await t.server.stores.apps.terminate(other.sdkAppId);
    await other.client.closed;
    const alive = await keep.client.request('heartbeat');
    assert.equal(alive.ok, true);
    keep.client.close();
  });
});
