/**
 * Slow-loris against the real HTTP(S) server (issue 15, item 4): headers, a body or a TLS handshake sent
 * byte by byte are cut off by the server's deadlines, the WebSocket upgrade included, while a normal client is
 * served throughout.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { connectionsCheckingIntervalMs, createHttpServer } from './http-server.ts';

const log = createLogger('silent');
const config = loadConfig({ env: {}, overrides: { http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 } } });

async function listen(app: FastifyInstance): Promise<number> {
  app.get('/ok', async () => ({ ok: true }));
  app.post('/echo', async (request) => ({ got: request.body }));
  // An upgrade that completed would be answered 101; a slow client must never get that far.
  app.server.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n'));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

const MAX_DRIPS = 200;

interface Dribbled {
  /** Whether the server closed the socket before the client ran out of bytes. */
  closedByServer: boolean;
  /** What the server wrote before closing. */
  response: string;
}

/**
 * Writes `head` at once, then one byte every 100 ms until the server closes the socket — for at most 200 bytes
 * (20 s): ten times the deadlines under test, yet short of Node's defaults (a 30 s check interval, a 120 s TLS
 * handshake), so the test fails if those were in force. `whileOpen` runs once the socket is open.
 */
function dribble(
  port: number,
  head: string,
  whileOpen: () => Promise<void> = async () => undefined,
): Promise<Dribbled> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (response += d));
    socket.on('error', () => undefined); // a reset after the server's close is the outcome under test
    socket.once('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (++sent > MAX_DRIPS) {
          clearInterval(timer);
          resolve({ closedByServer: false, response });
          socket.destroy();
          return;
        }
        socket.write('a');
      }, 100);
      whileOpen().catch(reject);
    });
    socket.once('close', () => {
      clearInterval(timer);
      if (sent <= MAX_DRIPS) resolve({ closedByServer: true, response });
    });
  });
}

describe('slow clients over HTTP', () => {
  let app: FastifyInstance;
  let port: number;
  before(async () => {
    app = createHttpServer(config, { kind: 'http', reason: 'loopback' }, log);
    port = await listen(app);
  });
  after(() => app.close());

  it('checks the deadlines often enough to matter (not Node’s 30 s default)', () => {
    assert.equal(connectionsCheckingIntervalMs(config.http), 250);
    assert.equal(connectionsCheckingIntervalMs(loadConfig({ env: {} }).http), 2500);
  });

  it('headers sent byte by byte are cut off (headersTimeout) while another client is served', async () => {
    const result = await dribble(port, 'GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: ', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/ok`);
      assert.equal(res.status, 200);
    });
    assert.equal(result.closedByServer, true);
    assert.match(result.response, /^(HTTP\/1\.1 408|$)/);
  });

  it('a WebSocket upgrade whose headers never end is cut off before it is upgraded', async () => {
    const head =
      'GET /signal HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Slow: ';
    const result = await dribble(port, head);
    assert.equal(result.closedByServer, true);
    assert.doesNotMatch(result.response, /101 Switching Protocols/);
  });

  it('a body sent byte by byte is cut off (requestTimeout) while another client posts', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n';
    const result = await dribble(port, head, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      assert.deepEqual(await res.json(), { got: { a: 1 } });
    });
    assert.equal(result.closedByServer, true);
    assert.match(result.response, /^(HTTP\/1\.1 408|$)/);
  });
});

describe('slow clients over HTTPS', () => {
  let app: FastifyInstance;
  let port: number;
  before(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256' });
    app = createHttpServer(config, { kind: 'https', cert: pems.cert, key: pems.private, source: 'configured' }, log);
    port = await listen(app);
  });
  after(() => app.close());

  it('a TLS handshake that never completes is cut off (handshake deadline)', async () => {
    // A TLS record header announcing a ClientHello, then its body one byte at a time.
    const result = await dribble(port, '\x16\x03\x01\x02\x00');
    assert.equal(result.closedByServer, true);
  });
});
