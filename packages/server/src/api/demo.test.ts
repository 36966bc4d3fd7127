import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { generate } from 'selfsigned';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { DEMO_MODULES, demoContentSecurityPolicy, registerDemo } from './demo.ts';
import { createHttpServer } from './http-server.ts';

const read = (relative: string) => fs.readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8');

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
      ...DEMO_MODULES.map((file) => [`/demo/${file}`, 'application/javascript; charset=utf-8'] as const),
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

  it('serves every module of the page, and every module it imports', () => {
    const dir = fileURLToPath(new URL('../../public/demo/', import.meta.url));
    const onDisk = fs.readdirSync(dir).filter((f) => f.endsWith('.js'));
    assert.deepEqual([...onDisk].sort(), [...DEMO_MODULES].sort());
    for (const file of DEMO_MODULES) {
      for (const [, imported] of read(`../../public/demo/${file}`).matchAll(/from '\.\/([\w-]+\.js)'/g))
        assert.ok((DEMO_MODULES as readonly string[]).includes(String(imported)), `${file} imports ${imported}`);
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

  it('on the real server the page keeps its own CSP, gets HSTS over TLS, and the CSP allows what page and SDK do', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256' });
    const transport = { kind: 'https' as const, cert: pems.cert, key: pems.private, source: 'configured' as const };
    app = createHttpServer(loadConfig({ env: {} }), transport, createLogger('silent'));
    registerDemo(app, { dev: true });
    const res = await app.inject({ method: 'GET', url: '/', headers: { host: 'conclave.example:8443' } });
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    const csp = String(res.headers['content-security-policy']);
    const directive = (name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `)) ?? '';
    // Scripts: only this origin, and the page loads only /sdk/trtc.js and /demo/demo.js.
    assert.equal(directive('script-src'), "script-src 'self'");
    // The SDK starts its E2EE worker from a blob: URL (room-e2ee.ts), so worker-src must allow blob:.
    assert.match(read('../../../client/src/room-e2ee.ts'), /new Worker\(url/);
    assert.match(directive('worker-src'), /\bblob:/);
    // Signaling is a WebSocket back to the page's origin; local previews are MediaStreams.
    assert.match(directive('connect-src'), /'self' ws:\/\/conclave\.example:8443 wss:\/\/conclave\.example:8443$/);
    assert.match(directive('media-src'), /blob: mediastream:/);
    assert.equal(res.headers['permissions-policy'], 'camera=(self), microphone=(self), display-capture=(self)');
    // Nothing the page or the SDK bundle does needs 'unsafe-eval' or 'unsafe-inline'.
    const sources = [
      ...DEMO_MODULES.map((file) => read(`../../public/demo/${file}`)),
      read('../../../client/src/room-e2ee.ts'),
    ];
    const bundle = new URL('../../../client/dist/trtc.js', import.meta.url);
    if (fs.existsSync(bundle)) sources.push(fs.readFileSync(bundle, 'utf8'));
    for (const source of sources)
      assert.doesNotMatch(source, /\beval\(|new Function\(|setAttribute\(\s*['"]style|\.innerHTML\s*=|cssText/);
  });

  it('keeps a hostile Host header out of the CSP', () => {
    assert.equal(demoContentSecurityPolicy('evil.example; script-src *').includes('evil'), false);
    assert.equal(demoContentSecurityPolicy(undefined).includes('ws://'), false);
    assert.match(demoContentSecurityPolicy('[::1]:8443'), /wss:\/\/\[::1\]:8443/);
  });
});
