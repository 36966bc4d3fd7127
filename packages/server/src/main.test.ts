import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { generate } from 'selfsigned';
import { ConclaveError } from '@conclave/protocol';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startConclave } from './main.ts';
import { resolveTransport } from './api/tls.ts';

const log = createLogger('silent');
const masterKey = crypto.randomBytes(32).toString('base64');

function getJson(
  url: string,
  ca: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

test('plain HTTP beyond loopback is refused unless explicitly allowed', async () => {
  const config = loadConfig({ env: {}, overrides: { http: { host: '0.0.0.0' } } });
  await assert.rejects(
    resolveTransport(config, log),
    (e: unknown) => e instanceof ConclaveError && e.code === 'CONFIG_INSECURE',
  );
  const allowed = loadConfig({ env: {}, overrides: { http: { host: '0.0.0.0', allowInsecureHttp: true } } });
  assert.deepEqual(await resolveTransport(allowed, log), { kind: 'http', reason: 'explicitly-allowed' });
  const loopback = loadConfig({ env: {} });
  assert.deepEqual(await resolveTransport(loopback, log), { kind: 'http', reason: 'loopback' });
});

test('dev mode on a non-loopback address generates and keeps a self-signed certificate', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-dev-'));
  const config = loadConfig({ env: {}, overrides: { dev: true, dataDir, http: { host: '0.0.0.0' } } });
  const first = await resolveTransport(config, log);
  assert.equal(first.kind, 'https');
  const second = await resolveTransport(config, log);
  assert.equal(
    first.kind === 'https' && second.kind === 'https' && first.cert === second.cert,
    true,
    'reused across restarts',
  );
});

test('with a configured certificate, /health and /metrics answer over TLS', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-tls-'));
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  fs.writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
  fs.writeFileSync(path.join(dir, 'key.pem'), pems.private);
  const config = loadConfig({
    env: { CONCLAVE_TLS_CERT: path.join(dir, 'cert.pem'), CONCLAVE_TLS_KEY: path.join(dir, 'key.pem') },
    overrides: {
      dataDir: dir,
      http: { port: 0 },
      media: { workers: 1, rtcMinPort: 42000, rtcMaxPort: 42999 },
      security: { masterKey },
      metrics: { token: 'scrape-token-0123456789abcdef' },
    },
  });
  const server = await startConclave(config, log);
  try {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await getJson(`${server.url}/health`, pems.cert);
    assert.equal(health.status, 200);
    assert.equal(JSON.parse(health.body).status, 'ok');
    assert.equal(health.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal((await getJson(`${server.url}/metrics`, pems.cert)).status, 401);
    const metrics = await getJson(`${server.url}/metrics`, pems.cert, {
      authorization: 'Bearer scrape-token-0123456789abcdef',
    });
    assert.match(metrics.body, /conclave_media_workers 1/);
    const missing = await getJson(`${server.url}/nope`, pems.cert);
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).error.code, 'NOT_FOUND');
  } finally {
    await server.close();
  }
});

test('outside dev mode without metrics.token, /metrics does not exist', async () => {
  const config = loadConfig({
    env: {},
    overrides: {
      http: { port: 0 },
      media: { workers: 1, rtcMinPort: 42600, rtcMaxPort: 42999 },
      security: { masterKey },
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-metrics-')),
    },
  });
  const server = await startConclave(config, log);
  try {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
  } finally {
    await server.close();
  }
});

test('dev mode beyond loopback refuses to start unless devAllowRemote is set', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-devremote-'));
  const base = { dev: true, dataDir, media: { workers: 1, rtcMinPort: 42700, rtcMaxPort: 42999 } };
  const exposed = loadConfig({ env: {}, overrides: { ...base, http: { host: '0.0.0.0', port: 0 } } });
  await assert.rejects(
    startConclave(exposed, log),
    (e: unknown) =>
      e instanceof ConclaveError && e.code === 'CONFIG_INVALID' && /refusing dev mode on 0\.0\.0\.0/.test(e.message),
  );
  const forced = loadConfig({
    env: { CONCLAVE_DEV_ALLOW_REMOTE: '1' },
    overrides: { ...base, http: { host: '0.0.0.0', port: 0 } },
  });
  const server = await startConclave(forced, log);
  await server.close();
});

test('a missing certificate file is a clear configuration error', async () => {
  const config = loadConfig({
    env: { CONCLAVE_TLS_CERT: '/nonexistent/c.pem', CONCLAVE_TLS_KEY: '/nonexistent/k.pem' },
  });
  await assert.rejects(resolveTransport(config, log), /tlsCertFile: cannot read a PEM file/);
});

test('security.txt names the configured contact and a future Expires', async () => {
  const config = loadConfig({
    env: {},
    overrides: {
      http: { port: 0 },
      media: { workers: 1, rtcMinPort: 42500, rtcMaxPort: 42999 },
      security: { contact: 'mailto:sec@example.org', masterKey },
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-sec-')),
    },
  });
  const server = await startConclave(config, log);
  try {
    const res = await fetch(`${server.url}/.well-known/security.txt`);
    const text = await res.text();
    assert.match(text, /^Contact: mailto:sec@example.org$/m);
    const expires = /^Expires: (.+)$/m.exec(text)?.[1];
    assert.ok(expires && Date.parse(expires) > Date.now());
    assert.match(text, /^Policy: http:\/\/127\.0\.0\.1:\d+\/security\/report$/m);
    const form = await fetch(`${server.url}/security/report`);
    assert.equal(form.status, 200);
    assert.match(String(form.headers.get('content-security-policy')), /form-action 'self'/);
    const posted = await fetch(`${server.url}/security/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'contact=mailto%3Ar%40example.org&feature=sdk&steps=0123456789+steps',
    });
    assert.equal(posted.status, 201);
    assert.match(await posted.text(), /VR-[A-Z2-7]{16}/);
  } finally {
    await server.close();
  }
});
