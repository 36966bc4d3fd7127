import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { verifyUserSig } from '../auth/index.ts';
import { DEV_USERSIG_EXPIRE_SECONDS, registerDevUserSig } from './dev-usersig.ts';

const sdkAppId = 1400000001;
const secretKey = 'dev-secret-key-0123456789abcdef0123456789abcdef';

describe('POST /dev/usersig', () => {
  let app: FastifyInstance;
  let logLines: string[];

  beforeEach(() => {
    logLines = [];
    app = Fastify({ logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } } });
    registerDevUserSig(app, { sdkAppId, secretKey });
  });
  afterEach(() => app.close());

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/dev/usersig', payload: payload as string, headers });

  it('returns a UserSig for the dev app that verifies with its key and expires in 24 h', async () => {
    const res = await post({ userId: 'alice_01' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['expireSeconds', 'sdkAppId', 'userId', 'userSig']);
    assert.equal(body.sdkAppId, sdkAppId);
    assert.equal(body.userId, 'alice_01');
    assert.equal(body.expireSeconds, DEV_USERSIG_EXPIRE_SECONDS);
    assert.equal(DEV_USERSIG_EXPIRE_SECONDS, 86_400);
    const verified = verifyUserSig(body.userSig, { sdkAppId, userId: 'alice_01', secretKey });
    assert.equal(verified.expireSeconds, 86_400);
    assert.equal(verified.userId, 'alice_01');
    assert.throws(() => verifyUserSig(body.userSig, { sdkAppId, userId: 'alice_01', secretKey: `${secretKey}x` }));
  });

  it('never writes the signature or the key to the log', async () => {
    const res = await post({ userId: 'bob' });
    const { userSig } = res.json();
    const log = logLines.join('');
    assert.ok(log.length > 0, 'the request was logged');
    assert.ok(!log.includes(userSig), 'the UserSig is not logged');
    assert.ok(!log.includes(secretKey), 'the secret key is not logged');
  });

  for (const [label, payload] of [
    ['a userId with forbidden characters', { userId: 'bad id!' }],
    ['a 33-character userId', { userId: 'a'.repeat(33) }],
    ['an empty userId', { userId: '' }],
    ['a numeric userId', { userId: 42 }],
    ['a body without userId', {}],
    ['a JSON array', ['alice']],
  ] as const) {
    it(`rejects ${label} with 400 INVALID_USER_ID`, async () => {
      const res = await post(payload);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.code, 'INVALID_USER_ID');
      assert.ok(!('userSig' in res.json()));
    });
  }

  it('rejects a text/plain body (a cross-site form post) without signing', async () => {
    const res = await post('{"userId":"alice"}', { 'content-type': 'text/plain' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'INVALID_USER_ID');
  });

  it('rejects an oversized body with 413', async () => {
    const res = await post({ userId: 'alice', padding: 'x'.repeat(4096) });
    assert.equal(res.statusCode, 413);
  });

  it('is only a POST route', async () => {
    const res = await app.inject({ method: 'GET', url: '/dev/usersig?userId=alice' });
    assert.equal(res.statusCode, 404);
  });
});
