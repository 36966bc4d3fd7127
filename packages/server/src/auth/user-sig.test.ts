import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { deflateRawSync, deflateSync, gzipSync, inflateSync } from 'node:zlib';
import { ConclaveError, type ErrorCode } from '@conclave/protocol';
import { MAX_EXPIRE_SECONDS, MAX_USERSIG_CHARS, generateUserSig, verifyUserSig } from './user-sig.ts';

interface TencentApi {
  genSig(userId: string, expire: number, userbuf?: Buffer | null): string;
  genUserSig(userId: string, expire: number): string;
}
const TLSSigAPIv2 = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => TencentApi;
};

const APP = 1400000001;
const KEY = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';
const USER = 'alice_01';
const NOW = 1_700_000_000_000; // ms, a whole second
const T = NOW / 1000;

/** Runs `fn` with Date.now frozen, so Tencent's generator (which reads the clock) is deterministic. */
function atFixedTime<R>(ms: number, fn: () => R): R {
  const realNow = Date.now;
  Date.now = () => ms;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}

function escape(base64: string): string {
  return base64.replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}
function rawJson(token: string): string {
  return inflateSync(Buffer.from(token.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64')).toString();
}
function encodeJson(json: string): string {
  return escape(deflateSync(Buffer.from(json)).toString('base64'));
}
/** A token with whatever fields the test wants and a correct signature over them. */
function signedToken(fields: Record<string, unknown>, key = KEY): string {
  let content = `TLS.identifier:${String(fields['TLS.identifier'])}\nTLS.sdkappid:${String(fields['TLS.sdkappid'])}\n`;
  content += `TLS.time:${String(fields['TLS.time'])}\nTLS.expire:${String(fields['TLS.expire'])}\n`;
  if (fields['TLS.userbuf'] !== undefined) content += `TLS.userbuf:${String(fields['TLS.userbuf'])}\n`;
  const sig = createHmac('sha256', key).update(content).digest('base64');
  return encodeJson(JSON.stringify({ ...fields, 'TLS.sig': fields['TLS.sig'] ?? sig }));
}
function fields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'TLS.ver': '2.0',
    'TLS.identifier': USER,
    'TLS.sdkappid': APP,
    'TLS.time': T,
    'TLS.expire': 3600,
    ...overrides,
  };
}
function verify(token: string, overrides: Partial<Parameters<typeof verifyUserSig>[1]> = {}) {
  return verifyUserSig(token, { sdkAppId: APP, userId: USER, secretKey: KEY, now: NOW, ...overrides });
}
function rejects(fn: () => unknown, code: ErrorCode): ConclaveError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConclaveError, `expected ConclaveError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

describe('generateUserSig / verifyUserSig', () => {
  it('round-trips the claims', () => {
    const token = generateUserSig({
      sdkAppId: APP,
      userId: USER,
      secretKey: KEY,
      expireSeconds: 86400,
      now: NOW + 999,
    });
    assert.deepEqual(verify(token), {
      sdkAppId: APP,
      userId: USER,
      issuedAt: T,
      expireSeconds: 86400,
      expiresAt: NOW + 86400_000,
    });
  });

  it('round-trips a userbuf', () => {
    const userbuf = new Uint8Array([0, 1, 2, 250, 255]);
    const token = generateUserSig({
      sdkAppId: APP,
      userId: USER,
      secretKey: KEY,
      expireSeconds: 60,
      userbuf,
      now: NOW,
    });
    assert.deepEqual(verify(token, { expectUserbuf: true }).userbuf, userbuf);
  });
});

describe('interoperability with Tencent tls-sig-api-v2', () => {
  const tencent = new TLSSigAPIv2.Api(APP, KEY);

  it('verifies Tencent UserSigs', () => {
    for (const expire of [0, 300, 86400 * 180]) {
      const token = atFixedTime(NOW + 123, () => tencent.genSig(USER, expire));
      assert.deepEqual(verify(token), {
        sdkAppId: APP,
        userId: USER,
        issuedAt: T,
        expireSeconds: expire,
        expiresAt: NOW + expire * 1000,
      });
    }
    assert.equal(
      verify(
        atFixedTime(NOW, () => tencent.genUserSig('u-2', 60)),
        { userId: 'u-2' },
      ).userId,
      'u-2',
    );
  });

  it('verifies Tencent UserSigs carrying a userbuf', () => {
    const userbuf = Buffer.from([9, 8, 7, 0, 255, 128]);
    const token = atFixedTime(NOW, () => tencent.genSig(USER, 600, userbuf));
    assert.deepEqual(verify(token, { expectUserbuf: true }).userbuf, new Uint8Array(userbuf));
  });

  it('issues tokens with the same JSON document as Tencent for the same inputs', () => {
    const userbuf = Buffer.from('any bytes \u0000\u00ff');
    const cases: [string, number, Buffer | undefined][] = [
      [USER, 86400, undefined],
      ['x', 0, undefined],
      [USER, 300, userbuf],
    ];
    for (const [userId, expire, buf] of cases) {
      const theirs = atFixedTime(NOW, () => tencent.genSig(userId, expire, buf ?? null));
      const ours = generateUserSig({
        sdkAppId: APP,
        userId,
        secretKey: KEY,
        expireSeconds: expire,
        now: NOW,
        ...(buf ? { userbuf: buf } : {}),
      });
      // Same fields, same types, same order, same signature.
      assert.deepEqual(Object.entries(JSON.parse(rawJson(ours))), Object.entries(JSON.parse(rawJson(theirs))));
      assert.equal(rawJson(ours), rawJson(theirs));
    }
  });

  it('rejects Tencent tokens with the right code for each fault', () => {
    const token = atFixedTime(NOW, () => tencent.genSig(USER, 300));
    rejects(() => verify(token, { now: NOW + 301_000 }), 'USERSIG_EXPIRED');
    rejects(() => verify(token, { secretKey: KEY.replace('5', '6') }), 'USERSIG_BAD_SIGNATURE');
    rejects(() => verify(token, { sdkAppId: APP + 1 }), 'USERSIG_APP_MISMATCH');
    rejects(() => verify(token, { userId: 'bob' }), 'USERSIG_USER_MISMATCH');
    const other = new TLSSigAPIv2.Api(APP + 1, KEY);
    rejects(() => verify(atFixedTime(NOW, () => other.genSig(USER, 300))), 'USERSIG_APP_MISMATCH');
  });
});

describe('tampering', () => {
  const token = generateUserSig({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds: 300, now: NOW });
  const doc = JSON.parse(rawJson(token)) as Record<string, unknown>;

  it('rejects a flipped character of the signature', () => {
    const sig = String(doc['TLS.sig']);
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    rejects(() => verify(encodeJson(JSON.stringify({ ...doc, 'TLS.sig': flipped }))), 'USERSIG_BAD_SIGNATURE');
  });

  it('rejects a longer expire re-encoded with the old signature', () => {
    const stretched = encodeJson(JSON.stringify({ ...doc, 'TLS.expire': 86400 * 365 }));
    rejects(() => verify(stretched, { now: NOW + 1000_000 }), 'USERSIG_BAD_SIGNATURE');
  });

  it('rejects a moved issuing time or another identifier with the old signature', () => {
    rejects(() => verify(encodeJson(JSON.stringify({ ...doc, 'TLS.time': T + 10 }))), 'USERSIG_BAD_SIGNATURE');
    rejects(
      () => verify(encodeJson(JSON.stringify({ ...doc, 'TLS.identifier': 'bob' })), { userId: 'bob' }),
      'USERSIG_BAD_SIGNATURE',
    );
  });

  it('rejects a userbuf added or removed after signing', () => {
    rejects(() => verify(encodeJson(JSON.stringify({ ...doc, 'TLS.userbuf': 'AAEC' }))), 'USERSIG_BAD_SIGNATURE');
    const withBuf = generateUserSig({
      sdkAppId: APP,
      userId: USER,
      secretKey: KEY,
      expireSeconds: 300,
      now: NOW,
      userbuf: new Uint8Array([1]),
    });
    const stripped = JSON.parse(rawJson(withBuf)) as Record<string, unknown>;
    delete stripped['TLS.userbuf'];
    rejects(() => verify(encodeJson(JSON.stringify(stripped))), 'USERSIG_BAD_SIGNATURE');
  });
});

describe('time rules (clock-skew policy)', () => {
  const token = generateUserSig({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds: 300, now: NOW });

  it('accepts up to and including the second time + expire, as Tencent does', () => {
    assert.equal(verify(token, { now: NOW + 300_000 }).expiresAt, NOW + 300_000);
    verify(token, { now: NOW + 300_999 });
    const error = rejects(() => verify(token, { now: NOW + 301_000 }), 'USERSIG_EXPIRED');
    assert.deepEqual(error.details, { expiresAt: NOW + 300_000 });
  });

  it('accepts expire 0 only within the issuing second', () => {
    const instant = generateUserSig({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds: 0, now: NOW });
    verify(instant, { now: NOW + 999 });
    rejects(() => verify(instant, { now: NOW + 1000 }), 'USERSIG_EXPIRED');
  });

  it('tolerates 60 s of issuer clock running ahead, not 61', () => {
    verify(token, { now: NOW - 60_000 });
    // Whole seconds: 1 ms earlier is the second T - 61.
    const error = rejects(() => verify(token, { now: NOW - 60_001 }), 'USERSIG_NOT_YET_VALID');
    assert.deepEqual(error.details, { issuedAt: T });
  });

  it('treats a lifetime above 10 years as malformed, even when signed', () => {
    verify(signedToken(fields({ 'TLS.expire': MAX_EXPIRE_SECONDS })));
    rejects(() => verify(signedToken(fields({ 'TLS.expire': MAX_EXPIRE_SECONDS + 1 }))), 'USERSIG_MALFORMED');
  });
});

describe('check order', () => {
  const expiredOtherKey = generateUserSig({
    sdkAppId: APP,
    userId: USER,
    secretKey: 'other',
    expireSeconds: 1,
    now: NOW - 10_000,
  });
  const withBuf = generateUserSig({
    sdkAppId: APP,
    userId: USER,
    secretKey: KEY,
    expireSeconds: 1,
    now: NOW - 10_000,
    userbuf: new Uint8Array([1]),
  });

  it('malformed → app → user → signature → time → userbuf', () => {
    rejects(
      () => verify(signedToken(fields({ 'TLS.ver': '1.0' })), { sdkAppId: 1, userId: 'bob' }),
      'USERSIG_MALFORMED',
    );
    rejects(() => verify(expiredOtherKey, { sdkAppId: 1, userId: 'bob' }), 'USERSIG_APP_MISMATCH');
    rejects(() => verify(expiredOtherKey, { userId: 'bob' }), 'USERSIG_USER_MISMATCH');
    rejects(() => verify(expiredOtherKey, { expectUserbuf: true }), 'USERSIG_BAD_SIGNATURE');
    rejects(() => verify(withBuf, { expectUserbuf: false }), 'USERSIG_EXPIRED');
    rejects(() => verify(withBuf, { expectUserbuf: false, now: NOW - 10_000 }), 'USERSIG_USERBUF_MISMATCH');
  });
});

describe('userbuf expectation', () => {
  const plain = generateUserSig({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds: 60, now: NOW });
  const withBuf = generateUserSig({
    sdkAppId: APP,
    userId: USER,
    secretKey: KEY,
    expireSeconds: 60,
    now: NOW,
    userbuf: new Uint8Array(0),
  });

  it('accepts either when unspecified', () => {
    assert.equal(verify(plain).userbuf, undefined);
    assert.deepEqual(verify(withBuf).userbuf, new Uint8Array(0));
  });

  it('requires it when true and forbids it when false', () => {
    rejects(() => verify(plain, { expectUserbuf: true }), 'USERSIG_USERBUF_MISMATCH');
    rejects(() => verify(withBuf, { expectUserbuf: false }), 'USERSIG_USERBUF_MISMATCH');
    verify(plain, { expectUserbuf: false });
    verify(withBuf, { expectUserbuf: true });
  });
});

describe('malformed tokens', () => {
  const good = generateUserSig({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds: 60, now: NOW });
  const goodJson = rawJson(good);
  const goodSig = String((JSON.parse(goodJson) as Record<string, unknown>)['TLS.sig']);
  const padded = [60, 61, 62, 63, 64, 65]
    .map((expireSeconds) => generateUserSig({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds, now: NOW }))
    .find((token) => token.endsWith('_'));
  assert.ok(padded);
  const compressed = Buffer.from(good.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64');

  const cases: [name: string, token: string, reason: string][] = [
    ['empty', '', 'bad outer encoding'],
    ['over the size limit', 'A'.repeat(MAX_USERSIG_CHARS + 4), 'bad outer encoding'],
    ['characters outside the alphabet', good.slice(0, -4) + '!!!!', 'bad outer encoding'],
    [
      'unescaped standard base64',
      deflateSync('{}').toString('base64').replace(/=/g, '') + '+/==',
      'bad outer encoding',
    ],
    ['missing padding', padded.replace(/_+$/, ''), 'bad outer encoding'],
    ['not zlib', escape(Buffer.from('hello world!').toString('base64')), 'not zlib, or inflates beyond the limit'],
    ['gzip instead of zlib', escape(gzipSync(goodJson).toString('base64')), 'not zlib, or inflates beyond the limit'],
    [
      'raw deflate without the zlib header',
      escape(deflateRawSync(goodJson).toString('base64')),
      'not zlib, or inflates beyond the limit',
    ],
    [
      'truncated zlib stream',
      escape(compressed.subarray(0, compressed.length - 3).toString('base64')),
      'not zlib, or inflates beyond the limit',
    ],
    [
      'bytes after the zlib stream',
      escape(Buffer.concat([compressed, Buffer.from([0, 1, 2])]).toString('base64')),
      'trailing bytes after the zlib stream',
    ],
    ['inflated text not UTF-8', escape(deflateSync(Buffer.from([0x7b, 0xff, 0x7d])).toString('base64')), 'not UTF-8'],
    ['not JSON', encodeJson('TLS.ver=2.0'), 'not JSON'],
    ['a JSON array', encodeJson('[1,2]'), 'not a JSON object'],
    ['a JSON string', encodeJson('"x"'), 'not a JSON object'],
    ['JSON null', encodeJson('null'), 'not a JSON object'],
    ['an empty object', encodeJson('{}'), 'TLS.ver is not "2.0"'],
    ['an unknown field', signedToken(fields({ 'TLS.extra': 1 })), 'unknown field'],
    ['a __proto__ field', encodeJson(goodJson.replace('{', '{"__proto__":{},')), 'unknown field'],
    ['a duplicated field', encodeJson(goodJson.replace('{', `{"TLS.identifier":"mallory",`)), 'duplicated field'],
    ['a nested value', signedToken(fields({ 'TLS.time': [T] })), 'field of the wrong type'],
    ['TLS.ver 1.0', signedToken(fields({ 'TLS.ver': '1.0' })), 'TLS.ver is not "2.0"'],
    ['TLS.ver as a number', signedToken(fields({ 'TLS.ver': 2 })), 'TLS.ver is not "2.0"'],
    ['no TLS.ver', signedToken(fields({ 'TLS.ver': undefined })), 'TLS.ver is not "2.0"'],
    ['identifier as a number', signedToken(fields({ 'TLS.identifier': 42 })), 'bad TLS.identifier'],
    ['empty identifier', signedToken(fields({ 'TLS.identifier': '' })), 'bad TLS.identifier'],
    [
      'identifier with a newline',
      signedToken(fields({ 'TLS.identifier': `${USER}\nTLS.sdkappid:1` })),
      'bad TLS.identifier',
    ],
    ['sdkappid as a string', signedToken(fields({ 'TLS.sdkappid': String(APP) })), 'bad TLS.sdkappid'],
    ['negative time', signedToken(fields({ 'TLS.time': -1 })), 'bad TLS.time'],
    ['fractional time', signedToken(fields({ 'TLS.time': T + 0.5 })), 'bad TLS.time'],
    ['time beyond safe integers', signedToken(fields({ 'TLS.time': 2 ** 60 })), 'bad TLS.time'],
    ['expire as a string', signedToken(fields({ 'TLS.expire': '60' })), 'bad TLS.expire'],
    ['userbuf as a number', signedToken(fields({ 'TLS.userbuf': 5 })), 'bad TLS.userbuf'],
    ['userbuf not canonical base64', signedToken(fields({ 'TLS.userbuf': 'AB=' })), 'bad TLS.userbuf'],
    ['userbuf in url-safe base64', signedToken(fields({ 'TLS.userbuf': '__8_' })), 'bad TLS.userbuf'],
    ['missing sig', encodeJson(JSON.stringify(fields())), 'bad TLS.sig'],
    ['sig of 31 bytes', signedToken(fields({ 'TLS.sig': Buffer.alloc(31).toString('base64') })), 'bad TLS.sig'],
    [
      'sig with non-zero pad bits',
      signedToken(fields({ 'TLS.sig': goodSig.slice(0, 42) + (goodSig[42] === 'B' ? 'C' : 'B') + '=' })),
      'bad TLS.sig',
    ],
    ['sig as a number', signedToken(fields({ 'TLS.sig': 1 })), 'bad TLS.sig'],
  ];

  for (const [name, token, reason] of cases) {
    it(`rejects ${name}`, () => {
      const error = rejects(() => verify(token), 'USERSIG_MALFORMED');
      assert.equal(error.message, `The UserSig is malformed: ${reason}`);
      assert.ok(token.length < 8 || !error.message.includes(token), 'the token must not appear in the message');
    });
  }

  it('does not accept a non-string token', () => {
    rejects(() => verify(42 as unknown as string), 'USERSIG_MALFORMED');
  });
});

describe('zip bombs', () => {
  it('rejects 10 MB of zeros before decoding (over the size limit)', () => {
    const token = escape(deflateSync(Buffer.alloc(10_000_000)).toString('base64'));
    const started = performance.now();
    rejects(() => verify(token), 'USERSIG_MALFORMED');
    assert.ok(performance.now() - started < 50);
  });

  it('stops inflating a bomb that fits the size limit at 8 KiB', () => {
    const token = escape(deflateSync(Buffer.alloc(2_000_000, 0x20)).toString('base64'));
    assert.ok(token.length <= MAX_USERSIG_CHARS);
    const started = performance.now();
    rejects(() => verify(token), 'USERSIG_MALFORMED');
    assert.ok(performance.now() - started < 50);
  });
});

describe('generation input', () => {
  const base = { sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds: 60 };
  it('rejects invalid parameters with their own codes', () => {
    rejects(() => generateUserSig({ ...base, userId: 'no spaces' }), 'INVALID_USER_ID');
    rejects(() => generateUserSig({ ...base, userId: 'x'.repeat(33) }), 'INVALID_USER_ID');
    rejects(() => generateUserSig({ ...base, sdkAppId: 0 }), 'INVALID_SDK_APP_ID');
    rejects(() => generateUserSig({ ...base, expireSeconds: -1 }), 'INVALID_EXPIRE');
    rejects(() => generateUserSig({ ...base, expireSeconds: 1.5 }), 'INVALID_EXPIRE');
    rejects(() => generateUserSig({ ...base, expireSeconds: MAX_EXPIRE_SECONDS + 1 }), 'INVALID_EXPIRE');
    rejects(() => generateUserSig({ ...base, secretKey: '' }), 'INVALID_SECRET_KEY');
    rejects(() => generateUserSig({ ...base, userbuf: new Uint8Array(1025) }), 'INVALID_USERBUF');
    rejects(() => verifyUserSig('x', { sdkAppId: APP, userId: USER, secretKey: '' }), 'INVALID_SECRET_KEY');
  });

  it('keeps the largest allowed userbuf under the verifier size limit', () => {
    const userbuf = new Uint8Array(1024).map((_, i) => (i * 7919) % 256);
    const token = generateUserSig({ ...base, userbuf, now: NOW });
    assert.ok(token.length <= MAX_USERSIG_CHARS);
    assert.deepEqual(verify(token).userbuf, userbuf);
  });

  it('hashes the secret key as UTF-8', () => {
    const token = generateUserSig({ ...base, secretKey: 'clé-π', now: NOW });
    const theirs = atFixedTime(NOW, () => new TLSSigAPIv2.Api(APP, 'clé-π').genSig(USER, 60));
    assert.equal(rawJson(token), rawJson(theirs));
    verify(theirs, { secretKey: 'clé-π' });
  });
});
