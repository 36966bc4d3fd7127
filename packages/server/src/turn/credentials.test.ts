import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { iceServersFor, loadOrCreateTurnSecret, turnCredential } from './credentials.ts';
import { loadConfig } from '../config.ts';
import { turnserverConf } from './turn-service.ts';
import { isDeniedPeer, renderTurnserverConf } from './turnserver-conf.ts';

describe('TURN REST API credentials', () => {
  test('known vector: username <expiry>:<userId>, credential base64(HMAC-SHA1(secret, username))', () => {
    // Computed independently: printf %s '1700000000:alice' | openssl dgst -sha1 -hmac <secret> -binary | base64
    const got = turnCredential({
      secret: 'north-pole-shared-secret-0123456789',
      userId: 'alice',
      ttlSeconds: 3600,
      now: (1700000000 - 3600) * 1000 + 999,
    });
    assert.deepEqual(got, { username: '1700000000:alice', credential: 'oUFCCOoTOiP1iWX0fwg90nZ8Hvs=' });
  });

  test('iceServers: one entry with every URL, none without URLs', () => {
    const input = { secret: 's'.repeat(32), userId: 'bob', ttlSeconds: 60, now: 0 };
    assert.deepEqual(iceServersFor([], input), []);
    const [server, ...rest] = iceServersFor(['turn:t.example:3478?transport=udp', 'turns:t.example:443'], input);
    assert.deepEqual(rest, []);
    assert.deepEqual(server?.urls, ['turn:t.example:3478?transport=udp', 'turns:t.example:443']);
    assert.equal(server?.username, '60:bob');
  });

  test('the dev secret is generated once, 0600, and kept', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-turn-secret-'));
    try {
      const first = loadOrCreateTurnSecret(dir);
      assert.ok(first.length >= 32);
      assert.equal(loadOrCreateTurnSecret(dir), first);
      assert.equal(fs.statSync(path.join(dir, 'turn-secret')).mode & 0o777, 0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('turnserver.conf', () => {
  const base = {
    listenIp: '192.0.2.2',
    port: 3478,
    relayMinPort: 50000,
    relayMaxPort: 59999,
    realm: 'conclave',
    secret: 'x'.repeat(32),
    userQuota: 10,
    totalQuota: 2000,
    allowedPeerIps: ['10.0.0.5'],
  };

  test('ephemeral credentials only, quotas, denied private peers, the SFU allowed', () => {
    const lines = renderTurnserverConf({
      ...base,
      tls: { port: 443, certFile: '/etc/c.pem', keyFile: '/etc/k.pem' },
    }).split('\n');
    for (const expected of [
      'use-auth-secret',
      `static-auth-secret=${'x'.repeat(32)}`,
      'user-quota=10',
      'total-quota=2000',
      'no-multicast-peers',
      'no-cli',
      'fingerprint',
      'tls-listening-port=443',
      'denied-peer-ip=127.0.0.0-127.255.255.255',
      'denied-peer-ip=10.0.0.0-10.255.255.255',
      'denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'allowed-peer-ip=10.0.0.5',
    ])
      assert.ok(lines.includes(expected), expected);
    assert.ok(!lines.some((l) => l.startsWith('lt-cred-mech') || l.startsWith('user=')));
  });

  test('without a certificate there is no TLS listener', () => {
    const text = renderTurnserverConf(base);
    assert.match(text, /^no-tls$/m);
    assert.doesNotMatch(text, /^tls-listening-port/m);
  });

  test('a wildcard address listens on every interface', () => {
    const text = renderTurnserverConf({ ...base, listenIp: '0.0.0.0' });
    assert.doesNotMatch(text, /^(listening|relay)-ip=/m);
  });

  test('a value that would inject a directive is refused', () => {
    assert.throws(() => renderTurnserverConf({ ...base, realm: 'x\nallow-loopback-peers' }), RangeError);
    assert.throws(() => renderTurnserverConf({ ...base, allowedPeerIps: ['1.2.3.4 # x'] }), RangeError);
  });

  test('the denied ranges', () => {
    for (const ip of ['127.0.0.1', '10.9.9.9', '100.64.1.1', '169.254.169.254', '172.31.0.1', '192.168.0.1', '::1'])
      assert.equal(isDeniedPeer(ip), true, ip);
    for (const ip of ['fd00::1', 'fe80::1', '0.1.2.3']) assert.equal(isDeniedPeer(ip), true, ip);
    for (const ip of ['192.0.2.2', '8.8.8.8', '172.32.0.1', '2001:db8::1']) assert.equal(isDeniedPeer(ip), false, ip);
  });
});

describe('conclave turn-config', () => {
  test('renders the production configuration: 3478, TLS 443 with the HTTP certificate, the SFU private address allowed', async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        http: { tlsCertFile: '/etc/conclave/cert.pem', tlsKeyFile: '/etc/conclave/key.pem' },
        media: { listenIp: '10.0.0.8', announcedAddress: '198.51.100.4' },
        turn: { enabled: true, urls: ['turn:turn.example.com:3478'], secret: 's'.repeat(40), listenIp: '10.0.0.9' },
      },
    });
    const lines = (await turnserverConf(config)).split('\n');
    for (const expected of [
      'listening-ip=10.0.0.9',
      'listening-port=3478',
      'tls-listening-port=443',
      'cert=/etc/conclave/cert.pem',
      'allowed-peer-ip=10.0.0.8',
      `static-auth-secret=${'s'.repeat(40)}`,
    ])
      assert.ok(lines.includes(expected), expected);
  });

  test('TURN outside dev mode needs its secret and its URLs', () => {
    assert.throws(
      () => loadConfig({ env: {}, overrides: { turn: { enabled: true, urls: ['turn:t.example'] } } }),
      /turn\.secret/,
    );
    assert.throws(
      () => loadConfig({ env: {}, overrides: { turn: { enabled: true, secret: 's'.repeat(40) } } }),
      /turn\.urls/,
    );
    assert.throws(() => loadConfig({ env: {}, overrides: { turn: { urls: ['http://t.example'] } } }), /turn\.urls/);
    assert.throws(() => loadConfig({ env: {}, overrides: { turn: { port: 0 } } }), /turn\.port/);
    const fromEnv = loadConfig({
      env: {
        CONCLAVE_TURN_ENABLED: '1',
        CONCLAVE_TURN_URLS: 'turn:a.example:3478,turns:a.example:443?transport=tcp',
        CONCLAVE_TURN_SECRET: 's'.repeat(40),
      },
    });
    assert.deepEqual(fromEnv.turn.urls, ['turn:a.example:3478', 'turns:a.example:443?transport=tcp']);
  });
});
