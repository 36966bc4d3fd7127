// Who may read /metrics: bearer token, dev mode, or nobody.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { Gauge, Registry } from 'prom-client';
import { registerMetrics } from './metrics.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

function server(access: Parameters<typeof registerMetrics>[2]) {
  const registry = new Registry();
  new Gauge({ name: 'conclave_rooms', help: 'rooms', registers: [registry] }).set(3);
  const app = Fastify();
  registerMetrics(app, registry, access);
  return app;
}

describe('GET /metrics', () => {
  it('with metrics.token: only the bearer of the token reads metrics', async () => {
    const app = server({ token: TOKEN, open: false });
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer ']) {
      const res = await app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, 401, String(authorization));
      assert.equal(res.json().error.code, 'METRICS_UNAUTHORIZED');
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assert.doesNotMatch(res.body, /conclave_rooms/);
    }
    const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /^conclave_rooms 3$/m);
    await app.close();
  });

  it('a token is required in dev mode too once it is configured', async () => {
    const app = server({ token: TOKEN, open: true });
    assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    await app.close();
  });

  it('without a token: open in dev mode, absent (404) otherwise', async () => {
    const dev = server({ token: undefined, open: true });
    assert.equal((await dev.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    await dev.close();
    const prod = server({ token: undefined, open: false });
    assert.equal((await prod.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
    await prod.close();
  });
});
