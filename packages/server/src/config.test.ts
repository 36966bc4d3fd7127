import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConclaveError } from '@conclave/protocol';
import { loadConfig } from './config.ts';

function configError(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConclaveError);
    return error;
  }
  assert.fail('expected a configuration error');
}

test('defaults are safe: loopback, no dev mode, small body limit', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.http.host, '127.0.0.1');
  assert.equal(c.dev, false);
  assert.equal(c.http.bodyLimitBytes, 64 * 1024);
  assert.equal(c.http.allowInsecureHttp, false);
});

test('environment overrides a file, and flags override both', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'c.json');
  fs.writeFileSync(file, JSON.stringify({ http: { port: 9000, host: '127.0.0.2' }, media: { workers: 3 } }));
  const c = loadConfig({ env: { CONCLAVE_PORT: '9100' }, file, overrides: { media: { workers: 1 } } });
  assert.equal(c.http.port, 9100);
  assert.equal(c.http.host, '127.0.0.2');
  assert.equal(c.media.workers, 1);
});

test('bad values are refused with a message naming each field', () => {
  const err = configError(() => loadConfig({ env: { CONCLAVE_PORT: 'eighty', CONCLAVE_DEV: 'maybe' } }));
  assert.equal(err.code, 'CONFIG_INVALID');
  assert.match(err.message, /http\.port/);
  assert.match(err.message, /dev: .*boolean/);
  const ports = configError(() =>
    loadConfig({ env: { CONCLAVE_RTC_MIN_PORT: '50000', CONCLAVE_RTC_MAX_PORT: '40000' } }),
  );
  assert.match(ports.message, /media\.rtcMaxPort: must be ≥ rtcMinPort/);
});

test('unknown keys, half a TLS pair and a short master key are refused', () => {
  assert.match(
    configError(() => loadConfig({ env: {}, overrides: { htp: {} } as never })).message,
    /htp|Unrecognized/i,
  );
  assert.match(configError(() => loadConfig({ env: { CONCLAVE_TLS_CERT: '/x.pem' } })).message, /tlsKeyFile/);
  assert.match(configError(() => loadConfig({ env: { CONCLAVE_MASTER_KEY: 'c2hvcnQ=' } })).message, /32 bytes/);
});

test('edge-hardening keys: safe defaults, and malformed origins, hosts and tokens are refused', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c.callbacks, {
    allowedHosts: [],
    allowPrivateNetworks: false,
    allowInsecureHttp: false,
    concurrency: 32,
    maxSpooled: 10_000,
  });
  assert.deepEqual(c.signaling.allowedOrigins, []);
  assert.equal(c.metrics.token, undefined);
  assert.equal(c.devAllowRemote, false);
  const bad = configError(() =>
    loadConfig({
      env: { CONCLAVE_METRICS_TOKEN: 'short' },
      overrides: {
        signaling: { allowedOrigins: ['https://app.example.com/path'] },
        callbacks: { allowedHosts: ['http://hooks.corp'] },
      },
    }),
  );
  assert.match(bad.message, /signaling\.allowedOrigins\.0: must be an origin/);
  assert.match(bad.message, /callbacks\.allowedHosts\.0: must be a host name/);
  assert.match(bad.message, /metrics\.token/);
});

test('an unreadable or non-JSON file is a clear error', () => {
  assert.match(configError(() => loadConfig({ env: {}, file: '/nonexistent/conclave.json' })).message, /cannot read/);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'c.json');
  fs.writeFileSync(file, '{ not json');
  assert.match(configError(() => loadConfig({ env: {}, file })).message, /not valid JSON/);
});

test('the production example in examples/ is a valid configuration', () => {
  const file = path.join(import.meta.dirname, '../../../examples/conclave.production.json');
  const c = loadConfig({ env: {}, file });
  assert.deepEqual(Object.keys(c.storage.regions ?? {}), ['eu-1', 'ap-1']);
  assert.equal(c.http.tlsKeyFile, '/etc/conclave/tls/privkey.pem');
});

test('cluster: off by default; with a Redis URL the secret is required; env names every field', () => {
  assert.equal(loadConfig({ env: {} }).cluster.redisUrl, undefined);
  const env = {
    CONCLAVE_CLUSTER_REDIS_URL: 'redis://127.0.0.1:6379',
    CONCLAVE_CLUSTER_NODE_ID: 'eu-1',
    CONCLAVE_CLUSTER_REGION: 'eu',
    CONCLAVE_CLUSTER_PUBLIC_URL: 'https://eu-1.example.com:8443',
    CONCLAVE_CLUSTER_SECRET: 's'.repeat(32),
  };
  const { cluster } = loadConfig({ env });
  assert.deepEqual(cluster, {
    redisUrl: 'redis://127.0.0.1:6379',
    nodeId: 'eu-1',
    region: 'eu',
    publicUrl: 'https://eu-1.example.com:8443',
    secret: 's'.repeat(32),
    keyPrefix: 'conclave:',
  });
  const refused = (overrides: Record<string, unknown>, field: string) =>
    assert.throws(
      () => loadConfig({ env: {}, overrides: { cluster: overrides } }),
      (err: unknown) => err instanceof ConclaveError && err.message.includes(field),
    );
  refused({ redisUrl: 'redis://127.0.0.1:6379' }, 'cluster.secret');
  refused({ redisUrl: 'http://127.0.0.1:6379', secret: 's'.repeat(32) }, 'cluster.redisUrl');
  refused({ nodeId: 'has space' }, 'cluster.nodeId');
  refused({ publicUrl: 'ftp://x' }, 'cluster.publicUrl');
  refused({ secret: 'short' }, 'cluster.secret');
});
