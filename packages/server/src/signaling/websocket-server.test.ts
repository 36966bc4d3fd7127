// The Origin allow-list of /signal, against a real server and a real `ws` client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/** Opens /signal with an optional Origin: the HTTP status of a refused upgrade, or 101 when it opened. */
function upgrade(t: TestServer, origin?: string): Promise<number> {
  const ws = new WebSocket(`${t.server.url.replace(/^http/, 'ws')}/signal`, origin === undefined ? {} : { origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('signaling Origin allow-list', () => {
  let open: TestServer;
  let listed: TestServer;
  before(async () => {
    open = await startTestServer();
    listed = await startTestServer({
      signaling: { allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] },
    });
  });
  after(async () => {
    await open.close();
    await listed.close();
  });

  it('by default every Origin may connect (TRTC apps are served from customer origins)', async () => {
    assert.equal(await upgrade(open, 'https://anything.example'), 101);
    assert.equal(await upgrade(open), 101);
  });

  it('when set, a listed Origin connects and a foreign one is refused with 403 at upgrade', async () => {
    assert.equal(await upgrade(listed, 'https://app.example.com'), 101);
    assert.equal(await upgrade(listed, 'http://localhost:3000'), 101);
    assert.equal(await upgrade(listed, 'https://evil.example'), 403);
    assert.equal(await upgrade(listed, 'https://app.example.com.evil.example'), 403);
    assert.equal(await upgrade(listed, 'http://app.example.com'), 403, 'the scheme is part of the origin');
    assert.equal(await upgrade(listed, 'null'), 403, 'sandboxed and file: pages send "null"');
  });

  it('a client without an Origin (not a browser) is not refused', async () => {
    assert.equal(await upgrade(listed), 101);
  });
});
