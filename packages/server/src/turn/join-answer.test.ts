/**
 * TURN through the whole server: with `turn.enabled` + `turn.spawn` the join answer carries iceServers whose
 * credential the spawned coturn accepts; without TURN there are none; closing the server stops coturn.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { JoinAnswer } from '@conclave/protocol';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { TurnClient } from './turn-client.ts';

const IP = process.env.CONCLAVE_TEST_IP ?? firstInterfaceAddress();

function firstInterfaceAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    const found = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  throw new Error('the TURN test needs a non-loopback IPv4 interface (or CONCLAVE_TEST_IP)');
}

async function join(t: TestServer, userId: string): Promise<JoinAnswer> {
  const c = await SignalTestClient.connect(t.server.url);
  try {
    const answer = await c.request('join', { sdkAppId: t.sdkAppId, userId, userSig: t.userSig(userId), roomId: 8800 });
    assert.equal(answer.ok, true, JSON.stringify(answer.error));
    return answer.data as JoinAnswer;
  } finally {
    c.ws.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('iceServers in the join answer', { timeout: 30_000 }, () => {
  test('a spawned coturn accepts the credential of the join answer; closing the server stops it', async () => {
    const t = await startTestServer({
      media: { listenIp: IP },
      turn: { enabled: true, spawn: true, port: 0, relayMinPort: 61300, relayMaxPort: 61400 },
    });
    let pid = 0;
    try {
      const pidFile = path.join(t.dataDir, 'turn', 'turnserver.pid');
      pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      assert.ok(alive(pid), 'coturn runs');
      assert.equal(fs.statSync(path.join(t.dataDir, 'turn', 'turnserver.conf')).mode & 0o777, 0o600);
      const answer = await join(t, 'carol');
      const [server, ...rest] = answer.iceServers ?? [];
      assert.ok(server, 'iceServers present');
      assert.deepEqual(rest, []);
      const expiry = Number(server.username.split(':')[0]);
      assert.equal(server.username, `${expiry}:carol`);
      assert.ok(Math.abs(expiry - (Date.now() / 1000 + 3600)) < 60, 'expires after credentialTtlSeconds');
      const udp = server.urls.find((u) => u.endsWith('?transport=udp'));
      const port = Number(/:(\d+)\?/.exec(udp ?? '')?.[1]);
      assert.equal(udp, `turn:${IP}:${port}?transport=udp`);
      const c = await TurnClient.open({ host: IP, port, username: server.username, password: server.credential });
      try {
        const allocation = await c.allocate();
        assert.equal(allocation.ok, true, JSON.stringify(allocation.ok ? {} : allocation));
        // The SFU's address is public here, so the relay may reach it; the host's loopback it may not.
        assert.equal((await c.createPermission(IP)).ok, true);
        const loopback = await c.createPermission('127.0.0.1');
        assert.equal(loopback.ok ? 0 : loopback.code, 403);
      } finally {
        c.close();
      }
    } finally {
      await t.close();
    }
    assert.equal(alive(pid), false, 'coturn stopped with the server');
  });

  test('without TURN the join answer has no iceServers', async () => {
    const t = await startTestServer();
    try {
      const answer = await join(t, 'dave');
      assert.equal(answer.iceServers, undefined);
    } finally {
      await t.close();
    }
  });
});
