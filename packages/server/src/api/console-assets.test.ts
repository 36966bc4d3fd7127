// The console's assets: index.html at /console and /console/ with the console CSP, hashed assets as immutable,
// 404 for any other name, 503 before a build.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { CONSOLE_CSP, registerConsoleAssets } from './console-assets.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-console-assets-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const JS = 'app-0123456789abcdef.js';
const CSS = 'app-fedcba9876543210.css';

async function server() {
  const app = Fastify();
  registerConsoleAssets(app, { distDir: dir });
  await app.ready();
  return app;
}

test('before a build the page answers 503 CONSOLE_NOT_BUILT and assets 404', async () => {
  const app = await server();
  const page = await app.inject({ method: 'GET', url: '/console/' });
  assert.equal(page.statusCode, 503);
  assert.equal(page.json().error.code, 'CONSOLE_NOT_BUILT');
  assert.equal((await app.inject({ method: 'GET', url: `/console/${JS}` })).statusCode, 404);
  await app.close();
});

test('the built console: page with the strict CSP, immutable hashed assets, 404 for anything else', async () => {
  fs.writeFileSync(path.join(dir, JS), 'console.log(1)');
  fs.writeFileSync(path.join(dir, CSS), 'body{}');
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ js: JS, css: CSS }));
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><script type="module" src="/console/${JS}"></script>`);
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'not served');
  const app = await server();
  for (const url of ['/console', '/console/']) {
    const page = await app.inject({ method: 'GET', url });
    assert.equal(page.statusCode, 200, url);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['content-security-policy'], CONSOLE_CSP);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.body, new RegExp(JS));
  }
  assert.match(CONSOLE_CSP, /script-src 'self'/);
  assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);

  const js = await app.inject({ method: 'GET', url: `/console/${JS}` });
  assert.equal(js.statusCode, 200);
  assert.match(String(js.headers['content-type']), /^application\/javascript/);
  assert.match(String(js.headers['cache-control']), /immutable/);
  assert.equal(js.body, 'console.log(1)');
  const css = await app.inject({ method: 'GET', url: `/console/${CSS}` });
  assert.match(String(css.headers['content-type']), /^text\/css/);

  for (const url of [
    '/console/secret.txt',
    '/console/manifest.json',
    '/console/app-0000000000000000.js',
    '/console/..%2Fsecret.txt',
    '/console/index.html.map',
  ]) {
    const r = await app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 404, url);
    assert.equal(r.json().error.code, 'NOT_FOUND');
  }
  await app.close();
});
