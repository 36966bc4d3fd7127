/**
 * The real coturn (Debian's `turnserver`, installed by `scripts/setup.sh --test`) on the rendered
 * configuration: Conclave's ephemeral credentials allocate a relay, wrong or expired ones do not, and the
 * peer policy refuses loopback and private addresses with 403 (Forbidden IP).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generate } from 'selfsigned';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { turnCredential } from './credentials.ts';
import { TurnClient } from './turn-client.ts';
import { TurnService } from './turn-service.ts';

// Loopback peers are refused by policy, so the server listens on the machine's own interface address.
const LISTEN_IP = process.env.CONCLAVE_TEST_IP ?? firstInterfaceAddress();
const SECRET = 'turn-test-secret-0123456789abcdef0123456789';

function firstInterfaceAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    const found = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  throw new Error('the TURN test needs a non-loopback IPv4 interface (or CONCLAVE_TEST_IP)');
}

let dataDir: string;
let service: TurnService;
let certPem: string;

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-turn-'));
  const pems = await generate([{ name: 'commonName', value: 'conclave-turn-test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: LISTEN_IP }] }],
  });
  certPem = pems.cert;
  fs.writeFileSync(path.join(dataDir, 'cert.pem'), pems.cert);
  fs.writeFileSync(path.join(dataDir, 'key.pem'), pems.private, { mode: 0o600 });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      turn: {
        enabled: true,
        spawn: true,
        secret: SECRET,
        listenIp: LISTEN_IP,
        port: 0,
        tlsPort: 0,
        tlsCertFile: path.join(dataDir, 'cert.pem'),
        tlsKeyFile: path.join(dataDir, 'key.pem'),
        relayMinPort: 61000,
        relayMaxPort: 61200,
        userQuota: 2,
      },
    },
  });
  const started = await TurnService.start(config, createLogger(process.env.CONCLAVE_TEST_LOG ?? 'silent'), {
    dataDir,
  });
  assert.ok(started);
  service = started;
});

after(async () => {
  await service?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function client(
  username: string,
  password: string,
  transport: 'udp' | 'tcp' | 'tls' = 'udp',
): Promise<TurnClient> {
  const port = transport === 'tls' ? service.settings.tls!.port : service.settings.port;
  return TurnClient.open({ host: LISTEN_IP, port, username, password, transport, ca: certPem });
}

describe('coturn with Conclave credentials', { timeout: 30_000 }, () => {
  test('the join answer credential allocates a relay on the configured address', async () => {
    const [server] = service.iceServers('alice');
    assert.ok(server);
    assert.match(server.username, /^\d+:alice$/);
    assert.deepEqual(
      server.urls.map((u) => u.replace(/:\d+\?/, ':PORT?')),
      [
        `turn:${LISTEN_IP}:PORT?transport=udp`,
        `turn:${LISTEN_IP}:PORT?transport=tcp`,
        `turns:${LISTEN_IP}:PORT?transport=tcp`,
      ],
    );
    const c = await client(server.username, server.credential);
    try {
      const allocation = await c.allocate();
      assert.equal(allocation.ok, true, JSON.stringify(allocation.ok ? {} : allocation));
      assert.equal(allocation.relayed?.address, LISTEN_IP);
      assert.ok(allocation.relayed.port >= 61000 && allocation.relayed.port <= 61200);
      // A public peer (TEST-NET-3 stands in for one) is permitted.
      assert.equal((await c.createPermission('203.0.113.7')).ok, true);
    } finally {
      c.close();
    }
  });

  test('TURN over TCP and over TLS (certificate checked) allocate too, with the same policy', async () => {
    for (const transport of ['tcp', 'tls'] as const) {
      const { username, credential } = turnCredential({ secret: SECRET, userId: `t-${transport}`, ttlSeconds: 600 });
      const c = await client(username, credential, transport);
      try {
        const allocation = await c.allocate();
        assert.equal(allocation.ok, true, `${transport}: ${JSON.stringify(allocation.ok ? {} : allocation)}`);
        const loopback = await c.createPermission('127.0.0.1');
        assert.equal(loopback.ok ? 0 : loopback.code, 403, transport);
      } finally {
        c.close();
      }
    }
  });

  test('a permission towards loopback, private or link-local addresses is refused with 403', async () => {
    const { username, credential } = turnCredential({ secret: SECRET, userId: 'mallory', ttlSeconds: 600 });
    const c = await client(username, credential);
    try {
      assert.equal((await c.allocate()).ok, true);
      for (const peer of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1']) {
        const result = await c.createPermission(peer);
        assert.equal(result.ok, false, `${peer} was permitted`);
        assert.equal(result.ok ? 0 : result.code, 403, peer);
      }
    } finally {
      c.close();
    }
  });

  test('a wrong secret, an expired credential and a tampered username are refused with 401', async () => {
    const cases = [
      turnCredential({ secret: 'another-secret-0123456789abcdef0123', userId: 'eve', ttlSeconds: 600 }),
      turnCredential({ secret: SECRET, userId: 'eve', ttlSeconds: 60, now: Date.now() - 3_600_000 }),
      { ...turnCredential({ secret: SECRET, userId: 'eve', ttlSeconds: 600 }), username: `${9_999_999_999}:eve` },
    ];
    for (const { username, credential } of cases) {
      const c = await client(username, credential);
      try {
        const result = await c.allocate();
        assert.equal(result.ok, false, username);
        assert.equal(result.ok ? 0 : result.code, 401, username);
      } finally {
        c.close();
      }
    }
  });

  test('the user quota bounds concurrent allocations of one username', async () => {
    const { username, credential } = turnCredential({ secret: SECRET, userId: 'greedy', ttlSeconds: 600 });
    const clients = await Promise.all([1, 2, 3].map(() => client(username, credential)));
    try {
      const results = [];
      for (const c of clients) results.push(await c.allocate());
      assert.deepEqual(
        results.map((r) => (r.ok ? 'ok' : r.code)),
        ['ok', 'ok', 486],
      );
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('a coturn left behind', { timeout: 30_000 }, () => {
  test('is stopped by the next start on the same data directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-turn-left-'));
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: dir,
        turn: {
          enabled: true,
          spawn: true,
          secret: SECRET,
          listenIp: LISTEN_IP,
          port: 0,
          relayMinPort: 61700,
          relayMaxPort: 61800,
        },
      },
    });
    const log = createLogger(process.env.CONCLAVE_TEST_LOG ?? 'silent');
    const first = await TurnService.start(config, log, { dataDir: dir });
    let second: TurnService | undefined;
    try {
      const pid = Number(fs.readFileSync(path.join(dir, 'turn', 'turnserver.pid'), 'utf8').trim());
      // The first server "crashed": it never closes its coturn.
      second = await TurnService.start(config, log, { dataDir: dir });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(
        fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '),
        false,
      );
      const { username, credential } = turnCredential({ secret: SECRET, userId: 'after', ttlSeconds: 600 });
      const c = await TurnClient.open({ host: LISTEN_IP, port: second!.settings.port, username, password: credential });
      try {
        assert.equal((await c.allocate()).ok, true);
      } finally {
        c.close();
      }
    } finally {
      await second?.close();
      await first?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
