// API credentials on a real SQLite-backed registry: sealed like app secrets, revocable, shredded with the app.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { cachedCredentialLookup } from '../api/cloud-api/credential-cache.ts';
import { rejectsWithCode } from '../storage/contract.ts';
import { openRegionStores } from '../storage/regions.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-akid-'));
const file = path.join(dir, 'c.db');
const stores = await openRegionStores(
  { regions: { main: { driver: 'sqlite', path: file } } },
  { masterKey: crypto.randomBytes(32).toString('hex'), logger: pino({ level: 'silent' }) },
);
const credentials = stores.apps.apiCredentials;
after(async () => {
  await stores.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('create → find → list (no key) → revoke: the key is shown once and stored only sealed', async () => {
  const { app } = await stores.apps.create({ name: 'api', region: 'main' });
  const { credential, secretKey } = await credentials.create(app.sdkAppId);
  assert.match(credential.secretId, /^AKID[0-9a-f]{32}$/);
  assert.match(secretKey, /^[A-Za-z0-9]{32}$/);
  assert.deepEqual(await credentials.find(credential.secretId), {
    secretId: credential.secretId,
    secretKey,
    sdkAppId: app.sdkAppId,
  });
  const listed = await credentials.list(app.sdkAppId);
  assert.deepEqual(listed, [credential]);
  assert.ok(!JSON.stringify(listed).includes(secretKey));
  const row = await stores.control.store.db.selectFrom('api_credentials').selectAll().executeTakeFirstOrThrow();
  assert.ok(row.secret_key_ciphertext && !row.secret_key_ciphertext.includes(Buffer.from(secretKey)));

  const revoked = await credentials.revoke(app.sdkAppId, credential.secretId);
  assert.equal(revoked.status, 'revoked');
  assert.equal(await credentials.find(credential.secretId), undefined);
  assert.equal(
    (await credentials.revoke(app.sdkAppId, credential.secretId)).revokedAt,
    revoked.revokedAt,
    'idempotent',
  );
  const after = await stores.control.store.db
    .selectFrom('api_credentials')
    .selectAll()
    .where('secret_id', '=', credential.secretId)
    .executeTakeFirstOrThrow();
  assert.equal(after.secret_key_ciphertext, null, 'a revoked key is destroyed');
  await rejectsWithCode(() => credentials.revoke(app.sdkAppId, 'AKIDunknown'), 'API_CREDENTIAL_NOT_FOUND');
  await rejectsWithCode(() => credentials.create(1400000000), 'APP_NOT_FOUND');
});

test('ensure (dev mode) is idempotent and the configured key wins', async () => {
  const { app } = await stores.apps.create({ name: 'dev-like', region: 'main' });
  const secretId = `AKID${'a'.repeat(32)}`;
  await credentials.ensure(app.sdkAppId, secretId, 'first-key-000000000000000000000000');
  await credentials.ensure(app.sdkAppId, secretId, 'first-key-000000000000000000000000');
  assert.equal((await credentials.list(app.sdkAppId)).length, 1);
  await credentials.revoke(app.sdkAppId, secretId);
  await credentials.ensure(app.sdkAppId, secretId, 'second-key-00000000000000000000000');
  assert.equal((await credentials.find(secretId))?.secretKey, 'second-key-00000000000000000000000');
  const other = await stores.apps.create({ name: 'other', region: 'main' });
  await rejectsWithCode(() => credentials.ensure(other.app.sdkAppId, secretId, 'x'.repeat(32)), 'APP_INVALID');
});

test('a terminated app’s credentials stop at once; crypto-shredding deletes them', async () => {
  const { app } = await stores.apps.create({ name: 'doomed', region: 'main' });
  const { credential } = await credentials.create(app.sdkAppId);
  await stores.apps.terminate(app.sdkAppId);
  assert.equal(await credentials.find(credential.secretId), undefined);
  await stores.apps.destroyKeys(app.sdkAppId);
  const rows = await stores.control.store.db
    .selectFrom('api_credentials')
    .selectAll()
    .where('sdk_app_id', '=', app.sdkAppId)
    .execute();
  assert.deepEqual(rows, []);
});

test('the endpoint’s cache: hits within the TTL, a revocation is seen once it expires, bounded size', async () => {
  const clock = { t: 0 };
  let reads = 0;
  const answers = new Map([['AKIDx', { secretId: 'AKIDx', secretKey: 'k', sdkAppId: 1 }]]);
  const cache = cachedCredentialLookup(
    {
      find: async (id) => {
        reads++;
        return answers.get(id);
      },
    },
    { ttlMs: 2_000, capacity: 3, now: () => clock.t },
  );
  assert.equal((await cache.find('AKIDx'))?.secretKey, 'k');
  answers.delete('AKIDx'); // revoked
  clock.t = 1_999;
  assert.equal((await cache.find('AKIDx'))?.secretKey, 'k');
  assert.equal(reads, 1);
  clock.t = 2_000;
  assert.equal(await cache.find('AKIDx'), undefined);
  for (const id of ['a', 'b', 'c', 'd']) await cache.find(id);
  assert.equal(reads, 6);
  await cache.find('a'); // evicted when the cache was emptied at capacity
  assert.equal(reads, 7);
});
