/**
 * Issue 15's reach tests in real Chromium: a call whose pages may use only TURN relays (iceTransportPolicy
 * 'relay') connects through the spawned coturn, and a call to an SFU that offers only ICE-TCP candidates
 * still carries media. Loopback peers are denied by the TURN policy, so the relay test puts the SFU and
 * coturn on the machine's own interface address (CONCLAVE_TEST_IP, else the first non-internal IPv4).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startE2E, type E2E } from './harness.ts';
import { oneWayVideoCall, selectedPairs, testInterfaceAddress } from './network.ts';

const IP = testInterfaceAddress();

describe('TURN relay only (Chromium, coturn)', { timeout: 60_000 }, () => {
  let e2e: E2E;
  before(async () => {
    e2e = await startE2E({
      media: { listenIp: IP },
      turn: { enabled: true, spawn: true, listenIp: IP, port: 0, relayMinPort: 62000, relayMaxPort: 62200 },
    });
  });
  after(async () => {
    await e2e?.close();
  });

  test("with iceTransportPolicy 'relay' both pages connect through coturn and B decodes A's video", async () => {
    const [a, b] = await oneWayVideoCall(e2e, 9101, { createOptions: { iceTransportPolicy: 'relay' } });
    for (const page of [a, b]) {
      const pairs = await selectedPairs(page);
      assert.ok(pairs.length >= 1, `${page.name}: no selected candidate pair`);
      for (const pair of pairs) assert.equal(pair.localType, 'relay', `${page.name}: ${JSON.stringify(pair)}`);
    }
    await Promise.all([a.close(), b.close()]);
  });
});

describe('ICE-TCP fallback (Chromium, SFU without UDP)', { timeout: 60_000 }, () => {
  let e2e: E2E;
  before(async () => {
    e2e = await startE2E({ media: { enableUdp: false } });
  });
  after(async () => {
    await e2e?.close();
  });

  test('an SFU offering only TCP candidates still carries the call', async () => {
    const [a, b] = await oneWayVideoCall(e2e, 9102);
    for (const page of [a, b]) {
      const pairs = await selectedPairs(page);
      assert.ok(pairs.length >= 1, `${page.name}: no selected candidate pair`);
      for (const pair of pairs) assert.equal(pair.remoteProtocol, 'tcp', `${page.name}: ${JSON.stringify(pair)}`);
    }
    await Promise.all([a.close(), b.close()]);
  });
});
