import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerSdkAssets } from './sdk-assets.ts';

describe('SDK assets', () => {
  let distDir: string;
  let app: FastifyInstance;

  beforeEach(() => {
    distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-sdk-'));
    app = Fastify();
    registerSdkAssets(app, { distDir });
  });
  afterEach(async () => {
    await app.close();
    fs.rmSync(distDir, { recursive: true, force: true });
  });

  function build(files: Record<string, string>): void {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(distDir, name), content);
  }

  it('serves both bundles and the ESM source map with their content types', async () => {
    build({ 'trtc.js': 'window.TRTC = {};', 'trtc.esm.js': 'export default {};', 'trtc.esm.js.map': '{"version":3}' });
    for (const [url, type, body] of [
      ['/sdk/trtc.js', 'application/javascript; charset=utf-8', 'window.TRTC = {};'],
      ['/sdk/trtc.esm.js', 'application/javascript; charset=utf-8', 'export default {};'],
      ['/sdk/trtc.esm.js.map', 'application/json; charset=utf-8', '{"version":3}'],
    ] as const) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], type);
      assert.equal(res.headers['cache-control'], 'public, no-cache');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]+"$/);
      assert.equal(res.body, body);
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    build({ 'trtc.js': 'window.TRTC = {};' });
    const first = await app.inject({ method: 'GET', url: '/sdk/trtc.js' });
    const etag = String(first.headers.etag);
    const again = await app.inject({
      method: 'GET',
      url: '/sdk/trtc.js',
      headers: { 'if-none-match': `W/"x", ${etag}` },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  it('answers 503 SDK_NOT_BUILT while the bundle is missing, then serves a later build', async () => {
    const missing = await app.inject({ method: 'GET', url: '/sdk/trtc.js' });
    assert.equal(missing.statusCode, 503);
    assert.equal(missing.json().error.code, 'SDK_NOT_BUILT');
    assert.match(missing.json().error.message, /npm run build:client/);
    assert.equal(missing.headers['cache-control'], 'no-store');

    build({ 'trtc.js': 'window.TRTC = 1;' });
    const built = await app.inject({ method: 'GET', url: '/sdk/trtc.js' });
    assert.equal(built.statusCode, 200);
    assert.equal(built.body, 'window.TRTC = 1;');
  });

  it('picks up a rebuild and changes the ETag', async () => {
    build({ 'trtc.esm.js': 'export const v = 1;' });
    const first = await app.inject({ method: 'GET', url: '/sdk/trtc.esm.js' });
    build({ 'trtc.esm.js': 'export const v = 22;' });
    const second = await app.inject({ method: 'GET', url: '/sdk/trtc.esm.js' });
    assert.equal(second.body, 'export const v = 22;');
    assert.notEqual(second.headers.etag, first.headers.etag);
  });

  it('answers 404 for a missing source map, not SDK_NOT_BUILT', async () => {
    build({ 'trtc.js': 'window.TRTC = {};' });
    const res = await app.inject({ method: 'GET', url: '/sdk/trtc.js.map' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'NOT_FOUND');
  });

  it('serves nothing outside the fixed list of names', async () => {
    build({ 'trtc.js': 'window.TRTC = {};', 'secret.txt': 'no' });
    fs.writeFileSync(path.join(path.dirname(distDir), 'conclave-sdk-outside.txt'), 'no');
    for (const url of [
      '/sdk/secret.txt',
      '/sdk/../secret.txt',
      '/sdk/%2e%2e/conclave-sdk-outside.txt',
      '/sdk/..%2fconclave-sdk-outside.txt',
      '/sdk/trtc.js/../secret.txt',
      '/sdk/',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /^no$/, url);
    }
    fs.rmSync(path.join(path.dirname(distDir), 'conclave-sdk-outside.txt'));
  });
});
