/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, LOG_LEVEL, setLogLevel } from './logger.ts';
import { SignalClient, SignalFailure, type Notification } from './signal-client.ts';
import { FakeSocket } from './test-socket.ts';

setLogLevel(LOG_LEVEL.NONE);
const log = createLogger('test');

async function connected(server?: ConstructorParameters<typeof FakeSocket>[0], timeoutMs?: number) {
  let socket!: FakeSocket;
  const client = new SignalClient({
    url: 'ws://x/signal',
    log,
    requestTimeoutMs: timeoutMs,
    createSocket: () => (socket = new FakeSocket(server)),
  });
  await client.connect();
  return { client, socket };
}

test('a request resolves with the response of the same id; notifications are forwarded', async () => {
  const { client, socket } = await connected((req) =>
    req.method === 'heartbeat' ? { ok: true, data: { serverTime: 42 } } : undefined,
  );
  const notes: Notification[] = [];
  client.on('notification', (n) => notes.push(n));
  socket.push({ v: 1, id: 999, ok: true, data: {} }); // unknown id: ignored
  socket.push('not json');
  socket.push({ v: 2, notification: 'kicked', data: {} }); // wrong version: ignored
  socket.push({ v: 1, notification: 'participantJoined', data: { userId: 'u2', role: 'anchor' } });
  assert.deepEqual(await client.request('heartbeat', {}), { serverTime: 42 });
  assert.deepEqual(socket.sent[0], { v: 1, id: 1, method: 'heartbeat', data: {} });
  assert.deepEqual(notes, [{ name: 'participantJoined', data: { userId: 'u2', role: 'anchor' } }]);
  assert.equal(client.pendingCount, 0);
});

test("a server refusal rejects with kind 'server' and the server's code", async () => {
  const { client } = await connected(() => ({ ok: false, code: 'ROLE_CANNOT_PUBLISH' }));
  const err = await client.request('leave', {}).catch((e: unknown) => e);
  assert.ok(err instanceof SignalFailure);
  assert.equal(err.kind, 'server');
  assert.equal(err.serverCode, 'ROLE_CANNOT_PUBLISH');
});

test('an unanswered request times out and leaves the pending map', async () => {
  const { client } = await connected(undefined, 20);
  const err = await client.request('leave', {}).catch((e: unknown) => e);
  assert.ok(err instanceof SignalFailure && err.kind === 'timeout');
  assert.equal(client.pendingCount, 0);
});

test("a socket close rejects every pending request with 'closed' and emits close", async () => {
  const { client, socket } = await connected();
  const closes: number[] = [];
  client.on('close', ({ code }) => closes.push(code));
  const pending = [client.request('leave', {}), client.request('heartbeat', {})].map((p) => p.catch((e: unknown) => e));
  socket.serverClose(1006);
  for (const err of await Promise.all(pending)) assert.ok(err instanceof SignalFailure && err.kind === 'closed');
  assert.deepEqual(closes, [1006]);
  assert.equal(client.isOpen, false);
  const after = await client.request('leave', {}).catch((e: unknown) => e);
  assert.ok(after instanceof SignalFailure && after.kind === 'closed');
});

test("close() rejects pending requests with 'aborted' and emits no close event", async () => {
  const { client } = await connected();
  let closed = false;
  client.on('close', () => (closed = true));
  const pending = client.request('leave', {}).catch((e: unknown) => e);
  client.close();
  const err = await pending;
  assert.ok(err instanceof SignalFailure && err.kind === 'aborted');
  assert.equal(closed, false);
});

test('an oversized request is refused before it is sent', async () => {
  const { client, socket } = await connected();
  const err = await client
    .request('qualitySample', {
      ts: 1,
      audioEnabled: true,
      videoEnabled: true,
      audioMuted: false,
      videoMuted: false,
      padding: 'x'.repeat(20_000),
    } as never)
    .catch((e: unknown) => e);
  assert.ok(err instanceof SignalFailure && err.kind === 'too_large');
  assert.equal(socket.sent.length, 0);
});

test('a socket that never opens fails connect()', async () => {
  const client = new SignalClient({ url: 'ws://x/signal', log, createSocket: () => new FakeSocket(undefined, false) });
  const err = await client.connect().catch((e: unknown) => e);
  assert.ok(err instanceof SignalFailure && err.kind === 'connect');
});
