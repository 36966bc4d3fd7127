// The CLI against the real app registry on a SQLite file. (Test-only reach into the server: it proves the
// registry satisfies AppCommandContext; the CLI source itself never imports the server.)
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { ConclaveError } from '@conclave/protocol';
import { openRegionStores } from '../../../server/src/storage/regions.ts';
import { appCommand } from './app.ts';
import type { AppCommandContext } from './app.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cli-'));
const stores = await openRegionStores(
  { regions: { 'eu-1': { driver: 'sqlite', path: path.join(dir, 'c.db') } } },
  { masterKey: crypto.randomBytes(32).toString('hex'), logger: pino({ level: 'silent' }) },
);
const ctx: AppCommandContext = { apps: stores.apps, regionNames: stores.regionNames };
after(async () => {
  await stores.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('create, list, rotate-key, terminate', async () => {
  const created = JSON.parse(await appCommand(['create', '--name', 'CLI demo', '--recording', '--json'], ctx)) as {
    app: { sdkAppId: number; region: string; recordingEnabled: boolean };
    secretKey: string;
  };
  assert.equal(created.app.region, 'eu-1');
  assert.equal(created.app.recordingEnabled, true);
  assert.equal(await stores.apps.getSecretKey(created.app.sdkAppId), created.secretKey);
  const id = String(created.app.sdkAppId);
  assert.match(await appCommand(['list'], ctx), new RegExp(`${id}\\s+active\\s+eu-1 .*CLI demo`));
  const rotated = await appCommand(['rotate-key', id], ctx);
  assert.ok(rotated.includes(await stores.apps.getSecretKey(created.app.sdkAppId)));
  assert.match(await appCommand(['terminate', id], ctx), /status\s+terminated/);
  assert.match(await appCommand(['list'], ctx), new RegExp(`${id}\\s+terminated`));
});

test('usage errors and store errors are ConclaveErrors with clear messages', async () => {
  const code = async (argv: string[]) =>
    appCommand(argv, ctx).then(
      () => 'ok',
      (e: unknown) => (e instanceof ConclaveError ? e.code : 'other'),
    );
  assert.equal(await code(['create']), 'APP_INVALID');
  assert.equal(await code(['create', '--name', 'x', '--bogus']), 'APP_INVALID');
  assert.equal(await code(['create', '--name', 'x', '--billing-mode', 'free']), 'APP_INVALID');
  assert.equal(await code(['create', '--name', 'x', '--region', 'mars']), 'REGION_UNKNOWN');
  assert.equal(await code(['rotate-key']), 'APP_INVALID');
  assert.equal(await code(['rotate-key', '1400000000']), 'APP_NOT_FOUND');
  assert.equal(await code(['explode']), 'APP_INVALID');
  assert.match(await appCommand([], ctx), /usage:/);
});

test('api-key create, list, revoke: the SecretKey is printed once and works until revoked', async () => {
  const { app } = await stores.apps.create({ name: 'keys', region: 'eu-1' });
  const id = String(app.sdkAppId);
  const created = JSON.parse(await appCommand(['api-key', 'create', id, '--json'], ctx)) as {
    credential: { secretId: string };
    secretKey: string;
  };
  const { secretId } = created.credential;
  assert.equal((await stores.apps.apiCredentials.find(secretId))?.secretKey, created.secretKey);
  const text = await appCommand(['api-key', 'create', id], ctx);
  assert.match(text, /SecretId {3}AKID[0-9a-f]{32}\nSecretKey {2}[A-Za-z0-9]{32}/);
  const list = await appCommand(['api-key', 'list', id], ctx);
  assert.match(list, new RegExp(`${secretId}\\s+active`));
  assert.ok(!list.includes(created.secretKey), 'list never prints a key');
  assert.match(await appCommand(['api-key', 'revoke', id, secretId], ctx), /revoked/);
  assert.equal(await stores.apps.apiCredentials.find(secretId), undefined);
  assert.match(await appCommand(['api-key', 'list', id], ctx), new RegExp(`${secretId}\\s+revoked`));
  const code = (argv: string[]) =>
    appCommand(argv, ctx).then(
      () => 'ok',
      (e: unknown) => (e instanceof ConclaveError ? e.code : 'other'),
    );
  assert.equal(await code(['api-key', 'revoke', id]), 'APP_INVALID');
  assert.equal(await code(['api-key', 'revoke', id, 'AKIDnope']), 'API_CREDENTIAL_NOT_FOUND');
  assert.equal(await code(['api-key', 'list']), 'APP_INVALID');
  assert.equal(await code(['api-key', 'explode', id]), 'APP_INVALID');
});

test('set-callback points event callbacks at a URL with a key, and --clear removes them', async () => {
  const { app } = JSON.parse(await appCommand(['create', '--name', 'Hooks', '--json'], ctx)) as {
    app: { sdkAppId: number };
  };
  const id = String(app.sdkAppId);
  assert.match(
    await appCommand(
      ['set-callback', id, '--callback-url', 'https://hooks.example/trtc', '--callback-key', 'k3y'],
      ctx,
    ),
    /Event callbacks go to https:\/\/hooks\.example\/trtc/,
  );
  assert.deepEqual(await stores.apps.getCallbackConfig(app.sdkAppId), {
    url: 'https://hooks.example/trtc',
    key: 'k3y',
  });
  await appCommand(['set-callback', id, '--clear'], ctx);
  assert.equal(await stores.apps.getCallbackConfig(app.sdkAppId), null);
  await assert.rejects(appCommand(['set-callback', id], ctx), /--callback-url or --clear is required/);
});
