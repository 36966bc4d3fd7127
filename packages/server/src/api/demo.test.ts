import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { demoContentSecurityPolicy, registerDemo } from './demo.ts';

describe('demo page', () => {
  let app: FastifyInstance;
  afterEach(() => app.close());

  function start(opts: Parameters<typeof registerDemo>[1]): FastifyInstance {
    app = Fastify();
    registerDemo(app, opts);
    return app;
  }

  it('serves the page at / with a strict CSP and security headers', async () => {
    const res = await start({ dev: true }).inject({ method: 'GET', url: '/', headers: { host: '127.0.0.1:8443' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:8443 wss:\/\/127\.0\.0\.1:8443(;|$)/);
    assert.match(csp, /media-src 'self' blob:/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-frame-options'], 'DENY');
  });

  it('has no inline script or style and loads the SDK from /sdk/trtc.js', async () => {
    const res = await start({ dev: false }).inject({ method: 'GET', url: '/' });
    const html = res.body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 2);
    for (const [, attributes, content] of scripts) {
      assert.match(String(attributes), /\bsrc="\/(sdk|demo)\//);
      assert.equal(String(content).trim(), '');
    }
    assert.ok(scripts.some(([, attributes]) => String(attributes).includes('src="/sdk/trtc.js"')));
    assert.doesNotMatch(html, /<style\b|\sstyle="|\son[a-z]+="/i);
  });

  it('serves the page assets with their content types and the same headers', async () => {
    start({ dev: true });
    for (const [url, type] of [
      ['/demo/demo.js', 'application/javascript; charset=utf-8'],
      ['/demo/demo.css', 'text/css; charset=utf-8'],
      ['/demo/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], type, url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.ok(res.headers['content-security-policy'], url);
    }
  });

  it('tells the page whether it runs in dev mode, without any key', async () => {
    const dev = await start({ dev: true }).inject({ method: 'GET', url: '/demo/config.json' });
    assert.deepEqual(dev.json(), { dev: true, sdkAppId: null });
    assert.equal(dev.headers['cache-control'], 'no-store');
    await app.close();

    const prod = await start({ dev: false, sdkAppId: 1400000001 }).inject({ method: 'GET', url: '/demo/config.json' });
    assert.deepEqual(prod.json(), { dev: false, sdkAppId: 1400000001 });
  });

  it('serves nothing else from the public folder', async () => {
    start({ dev: true });
    for (const url of [
      '/demo/index.html',
      '/demo/../src/api/demo.ts',
      '/demo/',
      '/public/demo/demo.js',
      '/index.html',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
    }
  });

  it('keeps a hostile Host header out of the CSP', () => {
    assert.equal(demoContentSecurityPolicy('evil.example; script-src *').includes('evil'), false);
    assert.equal(demoContentSecurityPolicy(undefined).includes('ws://'), false);
    assert.match(demoContentSecurityPolicy('[::1]:8443'), /wss:\/\/\[::1\]:8443/);
  });
});
