// Security headers on every response of the real HTTP server (light-my-request injection, no socket).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { ConclaveError } from '@conclave/protocol';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createHttpServer } from './http-server.ts';

const log = createLogger('silent');

function server(kind: 'http' | 'https', cert = '', key = '') {
  const app = createHttpServer(
    loadConfig({ env: {} }),
    kind === 'https' ? { kind, cert, key, source: 'configured' } : { kind, reason: 'loopback' },
    log,
  );
  app.get('/ok', async () => ({ ok: true }));
  app.get('/fails', async () => {
    throw new ConclaveError('APP_NOT_FOUND');
  });
  return app;
}

describe('HTTP security headers', () => {
  it('every response — a route, an error, a 404 — forbids framing and sniffing, with a locked-down CSP', async () => {
    const app = server('http');
    for (const url of ['/ok', '/fails', '/nope']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
      assert.match(String(res.headers['content-security-policy']), /^default-src 'none';.*frame-ancestors 'none'/, url);
      assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    }
    await app.close();
  });

  it('over TLS every response carries HSTS for a year', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256' });
    const app = server('https', pems.cert, pems.private);
    for (const url of ['/ok', '/fails', '/nope']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.headers['strict-transport-security'], 'max-age=31536000', url);
    }
    await app.close();
  });
});
