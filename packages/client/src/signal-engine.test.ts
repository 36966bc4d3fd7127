/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionState } from './constants.ts';
import { createLogger, LOG_LEVEL, setLogLevel } from './logger.ts';
import { SignalEngine } from './signal-engine.ts';
import { FakeSocket, type FakeServer } from './test-socket.ts';

setLogLevel(LOG_LEVEL.NONE);

const answer = (token: string) => ({ resumeToken: token, resumeGraceSeconds: 90, participants: [], streams: [] });
const join = { sdkAppId: 1400000001, userId: 'u1', userSig: 'sig', roomId: 1 };

function engineWith(server: FakeServer) {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const engine = new SignalEngine({
    url: 'ws://x/signal',
    log: createLogger('test'),
    rtpCapabilities: () => undefined,
    backoffMs: [0, 10],
    heartbeatMs: 60_000,
    createSocket: () => {
      const s = new FakeSocket(server);
      sockets.push(s);
      return s;
    },
  });
  engine.on('state', (_prev, next) => states.push(next));
  return { engine, sockets, states };
}

const nextSession = (engine: SignalEngine) =>
  new Promise<string>((resolve) => engine.once('session', (_a, how) => resolve(how)));

test('a dropped socket is resumed with the token; a refused resume rejoins with the credentials', async () => {
  let refuseResume = false;
  let tokens = 0;
  const { engine, sockets, states } = engineWith((req) => {
    if (req.method === 'join') return { ok: true, data: answer(`token-${++tokens}-xxxxxxxxxxxxxx`) };
    if (req.method === 'resume')
      return refuseResume
        ? { ok: false, code: 'SESSION_RESUME_FAILED' }
        : { ok: true, data: answer(`token-${++tokens}-xxxxxxxxxxxxxx`) };
    return { ok: true, data: {} };
  });
  await engine.join(join);
  assert.equal(engine.state, 'CONNECTED');

  let session = nextSession(engine);
  sockets[0]!.serverClose(1006);
  assert.equal(await session, 'resume');
  assert.equal(sockets[1]!.sent[0]!.method, 'resume');
  assert.equal(sockets[1]!.sent[0]!.data['resumeToken'], 'token-1-xxxxxxxxxxxxxx');

  refuseResume = true;
  session = nextSession(engine);
  sockets[1]!.serverClose(1006);
  assert.equal(await session, 'rejoin');
  const rejoin = sockets.at(-1)!.sent[0]!;
  assert.equal(rejoin.method, 'join');
  assert.equal(rejoin.data['userSig'], 'sig');
  assert.deepEqual(states, ['CONNECTING', 'CONNECTED', 'RECONNECTING', 'CONNECTED', 'RECONNECTING', 'CONNECTED']);
  await engine.leave();
  assert.equal(engine.state, 'DISCONNECTED');
});

test('a rejoin refused for a lasting reason (expired UserSig) gives up with a clear error', async () => {
  let joins = 0;
  const { engine, sockets } = engineWith((req) => {
    if (req.method === 'join')
      return ++joins === 1
        ? { ok: true, data: answer('token-1-xxxxxxxxxxxxxx') }
        : { ok: false, code: 'USERSIG_EXPIRED' };
    if (req.method === 'resume') return { ok: false, code: 'SESSION_RESUME_FAILED' };
    return { ok: true, data: {} };
  });
  await engine.join(join);
  const failed = new Promise<{ code: number; serverCode: string | undefined }>((resolve) =>
    engine.once('failed', resolve),
  );
  sockets[0]!.serverClose(1006);
  const error = await failed;
  assert.equal(error.code, 5400);
  assert.equal(error.serverCode, 'USERSIG_EXPIRED');
  assert.equal(engine.state, 'DISCONNECTED');
});

test('a kicked notification ends the session without reconnecting', async () => {
  const { engine, sockets } = engineWith((req) =>
    req.method === 'join' ? { ok: true, data: answer('token-1-xxxxxxxxxxxxxx') } : { ok: true, data: {} },
  );
  await engine.join(join);
  const kicked = new Promise<string>((resolve) => engine.once('kicked', ({ reason }) => resolve(reason)));
  sockets[0]!.push({ v: 1, notification: 'kicked', data: { reason: 'kick', message: 'entered elsewhere' } });
  assert.equal(await kicked, 'kick');
  sockets[0]!.serverClose(1000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(engine.state, 'DISCONNECTED');
  assert.equal(sockets.length, 1, 'no reconnection after a kick');
});

test('mediaReset rejoins from scratch on a new socket', async () => {
  const { engine, sockets } = engineWith((req) =>
    req.method === 'join' ? { ok: true, data: answer('token-1-xxxxxxxxxxxxxx') } : { ok: true, data: {} },
  );
  await engine.join(join);
  const session = nextSession(engine);
  sockets[0]!.push({ v: 1, notification: 'mediaReset', data: { reason: 'worker_died' } });
  assert.equal(await session, 'rejoin');
  assert.equal(sockets.at(-1)!.sent[0]!.method, 'join');
  await engine.leave();
});

test('a failed first join leaves the engine DISCONNECTED and reports the server code', async () => {
  const { engine, states } = engineWith(() => ({ ok: false, code: 'USERSIG_BAD_SIGNATURE' }));
  const err = await engine.join(join).catch((e: unknown) => e);
  assert.equal((err as { serverCode?: string }).serverCode, 'USERSIG_BAD_SIGNATURE');
  assert.deepEqual(states, ['CONNECTING', 'DISCONNECTED']);
});

test('a cluster redirect is followed: the same join goes to the named node with the ticket; resumes stay there', async () => {
  const sockets: FakeSocket[] = [];
  let tokens = 0;
  const server = (req: { method: string; data: Record<string, unknown> }, socket: FakeSocket) => {
    const onB = socket.url === 'ws://node-b:8443/signal';
    if (req.method === 'join' && !onB)
      return {
        ok: false as const,
        code: 'CLUSTER_REDIRECT',
        details: { url: 'ws://node-b:8443/signal', ticket: 'ticket-1', nodeId: 'node-b' },
      };
    if (req.method === 'join' || req.method === 'resume')
      return { ok: true as const, data: answer(`token-${++tokens}-xxxxxxxxxxxxxx`) };
    return { ok: true as const, data: {} };
  };
  const engine = new SignalEngine({
    url: 'ws://entry/signal',
    log: createLogger('test'),
    rtpCapabilities: () => undefined,
    backoffMs: [0, 10],
    heartbeatMs: 60_000,
    createSocket: (url) => {
      const s = new FakeSocket(server);
      s.url = url;
      sockets.push(s);
      return s;
    },
  });
  await engine.join(join);
  assert.equal(engine.state, 'CONNECTED');
  assert.deepEqual(
    sockets.map((s) => s.url),
    ['ws://entry/signal', 'ws://node-b:8443/signal'],
  );
  assert.equal(sockets[0]!.sent[0]!.data['clusterTicket'], undefined);
  assert.equal(sockets[1]!.sent[0]!.data['clusterTicket'], 'ticket-1');
  assert.equal(sockets[1]!.sent[0]!.data['userSig'], 'sig', 'the UserSig goes along to be verified there');

  const session = nextSession(engine);
  sockets[1]!.serverClose(1006);
  assert.equal(await session, 'resume');
  assert.equal(sockets[2]!.url, 'ws://node-b:8443/signal', 'the session is resumed on its node');
  await engine.leave();
});

test('a redirect loop gives up with the server code', async () => {
  const engine = new SignalEngine({
    url: 'ws://entry/signal',
    log: createLogger('test'),
    rtpCapabilities: () => undefined,
    createSocket: () =>
      new FakeSocket((req) =>
        req.method === 'join'
          ? {
              ok: false,
              code: 'CLUSTER_REDIRECT',
              details: { url: 'ws://elsewhere/signal', ticket: 't', nodeId: 'n' },
            }
          : undefined,
      ),
  });
  await assert.rejects(engine.join(join), (err: { serverCode?: string }) => err.serverCode === 'CLUSTER_REDIRECT');
  assert.equal(engine.state, 'DISCONNECTED');
});

test('when the node a redirect led to is gone, the engine rejoins through the entry URL and is placed anew', async () => {
  const sockets: FakeSocket[] = [];
  let serving = 'ws://node-b/signal';
  let tokens = 0;
  const server = (req: { method: string }, socket: FakeSocket) => {
    if (req.method === 'join' && socket.url !== serving)
      return {
        ok: false as const,
        code: 'CLUSTER_REDIRECT',
        details: { url: serving, ticket: `ticket-for-${serving}`, nodeId: serving },
      };
    if (req.method === 'join' || req.method === 'resume')
      return { ok: true as const, data: answer(`token-${++tokens}-xxxxxxxxxxxxxx`) };
    return { ok: true as const, data: {} };
  };
  const dead = { node: '' };
  const engine = new SignalEngine({
    url: 'ws://entry/signal',
    log: createLogger('test'),
    rtpCapabilities: () => undefined,
    backoffMs: [0, 10],
    heartbeatMs: 60_000,
    createSocket: (url) => {
      const s = new FakeSocket(server, url !== dead.node);
      s.url = url;
      sockets.push(s);
      return s;
    },
  });
  await engine.join(join);
  const session = nextSession(engine);
  dead.node = 'ws://node-b/signal';
  serving = 'ws://node-c/signal';
  sockets[1]!.serverClose(1006);
  assert.equal(await session, 'rejoin');
  assert.equal(sockets.at(-1)!.url, 'ws://node-c/signal');
  assert.equal(sockets.at(-1)!.sent[0]!.data['clusterTicket'], 'ticket-for-ws://node-c/signal');
  assert.ok(
    sockets.some((s) => s.url === 'ws://entry/signal' && s !== sockets[0]),
    'asked the entry node again',
  );
  await engine.leave();
});
