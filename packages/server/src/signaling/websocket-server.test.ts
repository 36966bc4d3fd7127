// The Origin allow-list and the per-IP limits of /signal, against a real server and a real `ws` client.
import assert from 'node:assert/strict';
import { once } from 'node:events';
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

/** Opens /signal claiming `forwardedFor` (believed from loopback with trustProxy): the socket, or the refusal. */
function connectFrom(
  t: TestServer,
  forwardedFor?: string,
): Promise<{ ws: WebSocket } | { status: number; body: { error?: { code?: string } } }> {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  const ws = new WebSocket(`${t.server.url.replace(/^http/, 'ws')}/signal`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as { error?: { code?: string } } });
        ws.terminate();
      });
    });
    ws.once('error', reject);
  });
}

function opened(r: Awaited<ReturnType<typeof connectFrom>>): WebSocket {
  assert.ok('ws' in r, `expected the upgrade to succeed, got ${JSON.stringify(r)}`);
  return r.ws;
}

describe('signaling connections per IP address', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      http: { trustProxy: ['loopback'] },
      signaling: { connectionsPerIp: 3, connectionsPerIpPerMinute: 6 },
    });
  });
  after(() => t.close());

  it('beyond connectionsPerIp open sockets an address gets 429 SIGNAL_CONNECTION_LIMIT; others connect', async () => {
    const held = [opened(await connectFrom(t)), opened(await connectFrom(t)), opened(await connectFrom(t))];
    const refused = await connectFrom(t);
    assert.ok('status' in refused);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error?.code, 'SIGNAL_CONNECTION_LIMIT');
    // Another address is unaffected, and the held sockets still work.
    const other = opened(await connectFrom(t, '203.0.113.7'));
    for (const ws of held) assert.equal(ws.readyState, WebSocket.OPEN);
    // A closed socket gives its place back.
    const gone = held.pop() as WebSocket;
    gone.close();
    await once(gone, 'close');
    let again: Awaited<ReturnType<typeof connectFrom>> | undefined;
    for (let i = 0; i < 100; i++) {
      again = await connectFrom(t);
      if ('ws' in again) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    held.push(opened(again as Awaited<ReturnType<typeof connectFrom>>));
    for (const ws of [...held, other]) ws.close();
  });

  it('beyond connectionsPerIpPerMinute new sockets an address gets 429 SIGNAL_CONNECTION_RATE_LIMITED', async () => {
    // 203.0.113.7 used one token above; five more fit in its minute, the next is refused.
    const ip = '203.0.113.7';
    for (let i = 0; i < 5; i++) {
      const ws = opened(await connectFrom(t, ip));
      ws.close();
      await once(ws, 'close');
    }
    const refused = await connectFrom(t, ip);
    assert.ok('status' in refused);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error?.code, 'SIGNAL_CONNECTION_RATE_LIMITED');
    // Another address still connects.
    const other = opened(await connectFrom(t, '198.51.100.9'));
    other.close();
  });
});
