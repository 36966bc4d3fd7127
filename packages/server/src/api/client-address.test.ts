/**
 * `http.trustProxy`: behind a proxy every user arrives from the proxy's address; only a configured proxy may say
 * who the client is (X-Forwarded-For), and per-IP limits then see each user separately.
 */
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/** Opens a signaling socket claiming to be forwarded for `forwardedFor`; resolves 'open' or the refusal status. */
async function connect(t: TestServer, forwardedFor: string): Promise<'open' | number> {
  const ws = new WebSocket(t.server.url.replace(/^http/, 'ws') + '/signal', {
    headers: { 'x-forwarded-for': forwardedFor },
  });
  const status = await Promise.race([
    once(ws, 'open').then(() => 'open' as const),
    new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))),
  ]);
  ws.terminate();
  return status;
}

describe('client address behind a proxy', () => {
  let trusted: TestServer;
  let untrusted: TestServer;
  before(async () => {
    trusted = await startTestServer({
      http: { trustProxy: ['loopback'] },
      signaling: { connectionsPerIpPerMinute: 2 },
    });
    untrusted = await startTestServer({ signaling: { connectionsPerIpPerMinute: 2 } });
  });
  after(async () => {
    await trusted.close();
    await untrusted.close();
  });

  test('a trusted proxy’s X-Forwarded-For gives each user their own per-IP limit', async () => {
    const users = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
    for (const ip of users) {
      assert.equal(await connect(trusted, ip), 'open');
      assert.equal(await connect(trusted, ip), 'open');
    }
    assert.equal(await connect(trusted, users[0] as string), 429, 'the limit still applies per user');
  });

  test('without trustProxy the header is ignored: everyone shares the peer address', async () => {
    assert.equal(await connect(untrusted, '198.51.100.1'), 'open');
    assert.equal(await connect(untrusted, '198.51.100.2'), 'open');
    assert.equal(await connect(untrusted, '198.51.100.3'), 429);
  });
});
