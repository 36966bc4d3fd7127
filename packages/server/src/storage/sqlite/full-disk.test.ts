// A full disk on the embedded store, emulated without privileges: SQLite's `max_page_count` caps the real
// database file at its current size, so the next write that needs a page fails exactly as on a full disk.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ConclaveError } from '@conclave/protocol';
import { CallbackOutbox } from '../../callbacks/outbox.ts';
import { loadOrCreateDevKeys } from '../../dev-keys.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { joinRoom, publish } from '../../testing/trtc-client.ts';
import type { Store } from '../store.ts';

let t: TestServer;
let store: Store;
before(async () => {
  t = await startTestServer();
  store = t.server.stores.region('default').store;
});
after(() => t.close());

const pragma = async (statement: string) =>
  (await sql.raw(`PRAGMA ${statement}`).execute(store.db)).rows as Record<string, unknown>[];

const isFull = (e: unknown) => e instanceof ConclaveError && e.code === 'STORE_FULL';

test('a full SQLite store: STORE_FULL on writes, calls go on, no corruption, writes resume with space', async () => {
  const alice = await joinRoom(t, 'alice', { roomId: 9201 });
  await publish(alice.client, alice.answer.sendTransport.id, 'audio', 7001);

  const [{ page_count: pages }] = (await pragma('page_count')) as [{ page_count: number }];
  await pragma(`max_page_count = ${pages}`);
  const outbox = new CallbackOutbox(store);
  const body = 'x'.repeat(8 * 1024);
  let failure: unknown;
  for (let i = 0; i < 10_000 && failure === undefined; i++) {
    try {
      await outbox.enqueue({ sdkAppId: t.sdkAppId, eventType: 101, userId: 'u', body, at: Date.now() });
    } catch (err) {
      failure = err;
    }
  }
  assert.ok(isFull(failure), `writes fail with STORE_FULL, got ${String(failure)}`);
  const before = await outbox.pendingCount(t.sdkAppId);
  // A transaction that runs out of room fails with STORE_FULL too (not with the ROLLBACK that follows it).
  await assert.rejects(
    store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 20; i++)
        await trx
          .insertInto('callback_deliveries')
          .values({
            sdk_app_id: t.sdkAppId,
            event_type: 101,
            user_id: 'u',
            body,
            status: 'pending',
            attempts: 0,
            created_at: 1,
            next_attempt_at: 1,
          })
          .execute();
    }),
    isFull,
  );
  assert.equal(await outbox.pendingCount(t.sdkAppId), before, 'the failed transaction left nothing behind');

  // The registry's table still has room in its pages: fill them through the registry itself.
  let registryFull: unknown;
  for (let i = 0; i < 5_000 && registryFull === undefined; i++)
    await t.server.stores.apps
      .create({ name: `filler-${i}`, region: 'default' })
      .catch((e: unknown) => (registryFull = e));
  assert.ok(isFull(registryFull), `the registry refuses with STORE_FULL, got ${String(registryFull)}`);

  // An HTTP caller gets the stable code and 507.
  const { adminToken } = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
  const admin = { authorization: `Bearer ${adminToken}` };
  const refused = await t.server.app.inject({
    method: 'POST',
    url: '/admin/apps',
    headers: admin,
    payload: { name: 'x'.repeat(60), region: 'default' },
  });
  assert.equal(refused.statusCode, 507, refused.body);
  assert.equal(refused.json().error.code, 'STORE_FULL');

  // Calls go on: a second participant joins the room, publishes, and the first one hears of it.
  const bob = await joinRoom(t, 'bob', { roomId: 9201 });
  await publish(bob.client, bob.answer.sendTransport.id, 'video', 7002);
  const added = (await alice.client.next('streamAdded')) as { userId: string };
  assert.equal(added.userId, 'bob');
  assert.equal((await t.server.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);

  assert.deepEqual(await pragma('integrity_check'), [{ integrity_check: 'ok' }]);

  // Space returns: writes work again, through the same store.
  await pragma('max_page_count = 1073741823');
  await outbox.enqueue({ sdkAppId: t.sdkAppId, eventType: 101, userId: 'u', body, at: Date.now() });
  assert.equal(await outbox.pendingCount(t.sdkAppId), before + 1);
  const created = await t.server.app.inject({
    method: 'POST',
    url: '/admin/apps',
    headers: admin,
    payload: { name: 'after', region: 'default' },
  });
  assert.equal(created.statusCode, 201, created.body);
  assert.deepEqual(await pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  alice.client.close();
  bob.client.close();
  await Promise.all([alice.client.closed, bob.client.closed]);
});
