/**
 * Issue 15's restrictive networks for real: Chromium runs in a network namespace behind a NAT namespace
 * (iptables MASQUERADE, see netns.ts) while the server, the SFU and coturn run on the host's address.
 *  - Only signaling and TURN may leave the NAT: the call connects through coturn, and getStats shows a relay
 *    candidate pair selected (no iceTransportPolicy needed: nothing else gets through).
 *  - UDP is blocked entirely: the call connects over TCP (ICE-TCP to the SFU, or TURN over TCP).
 * Needs root, ip and iptables; fails with the reason when they are absent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startE2E, type E2E } from './harness.ts';
import { oneWayVideoCall, selectedPairs, testInterfaceAddress } from './network.ts';
import { createNatNetwork, natUnavailable, type NatNetwork } from './netns.ts';

const IP = testInterfaceAddress();

describe('calls from behind NAT (network namespaces, Chromium, coturn)', { timeout: 120_000 }, () => {
  let nat: NatNetwork;
  let e2e: E2E;
  before(async () => {
    const missing = natUnavailable();
    if (missing) throw new Error(`the NAT test cannot run: ${missing}`);
    nat = createNatNetwork(process.env.CONCLAVE_CHROMIUM ?? '/usr/bin/chromium');
    e2e = await startE2E(
      {
        // Bound beyond loopback, dev mode serves HTTPS with its self-signed certificate (TURN over TLS reuses it).
        devAllowRemote: true,
        http: { host: IP },
        media: { listenIp: IP },
        turn: { enabled: true, spawn: true, port: 0, tlsPort: 0, relayMinPort: 62300, relayMaxPort: 62500 },
      },
      { executablePath: nat.chromiumWrapper, ignoreHTTPSErrors: true },
    );
  });
  after(async () => {
    await e2e?.close();
    nat?.close();
  });

  const signalingPort = () => String(new URL(e2e.test.server.url).port);

  test('only signaling and TURN get out: the call is relayed by coturn', async (t) => {
    const turn = e2e.test.server.turn?.settings;
    assert.ok(turn, 'TURN is running');
    nat.firewall([
      ['-p', 'tcp', '-d', IP, '--dport', signalingPort()],
      ['-p', 'udp', '-d', IP, '--dport', String(turn.port)],
      ['-p', 'tcp', '-d', IP, '--dport', String(turn.port)],
    ]);
    const [a, b] = await oneWayVideoCall(e2e, 9201, { timeoutMs: 30_000 });
    for (const page of [a, b]) {
      const pairs = await selectedPairs(page);
      t.diagnostic(`${page.name} selected pairs: ${JSON.stringify(pairs)}`);
      assert.ok(pairs.length >= 1, `${page.name}: no selected candidate pair`);
      for (const pair of pairs) assert.equal(pair.localType, 'relay', `${page.name}: ${JSON.stringify(pair)}`);
    }
    await Promise.all([a.close(), b.close()]);
  });

  test('UDP blocked: the call goes over TCP', async (t) => {
    nat.firewall([['-p', 'tcp']]);
    const [a, b] = await oneWayVideoCall(e2e, 9202, { timeoutMs: 30_000 });
    for (const page of [a, b]) {
      const pairs = await selectedPairs(page);
      t.diagnostic(`${page.name} selected pairs: ${JSON.stringify(pairs)}`);
      assert.ok(pairs.length >= 1, `${page.name}: no selected candidate pair`);
      for (const pair of pairs) {
        const overTcp = pair.localProtocol === 'tcp' || pair.relayProtocol === 'tcp' || pair.relayProtocol === 'tls';
        assert.ok(overTcp, `${page.name}: ${JSON.stringify(pair)}`);
      }
    }
    await Promise.all([a.close(), b.close()]);
  });
});
