import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConclaveError } from '@conclave/protocol';
import { tc3Signature, verifyTc3, type Tc3Request } from './tc3.ts';

const KEY = 'secret-key-0123456789';
const NOW = 1_760_000_000;

function request(
  options: { service?: string; host?: string; body?: string; timestamp?: number; key?: string } = {},
): Tc3Request {
  const {
    service = 'trtc',
    host = 'rtc.example.com:8443',
    body = '{"SdkAppId":1}',
    timestamp = NOW,
    key = KEY,
  } = options;
  const signature = tc3Signature({
    method: 'POST',
    path: '/',
    query: '',
    canonicalHeaders: `content-type:application/json\nhost:${host.replace(/:\d+$/, '')}\n`,
    signedHeaders: 'content-type;host',
    body,
    timestamp,
    service,
    secretKey: key,
  });
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  return {
    method: 'POST',
    url: '/',
    body: Buffer.from(body),
    headers: {
      'content-type': 'application/json',
      host,
      'x-tc-timestamp': String(timestamp),
      authorization: `TC3-HMAC-SHA256 Credential=AKID1/${date}/${service}/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
    },
  };
}

const lookup = (id: string) => (id === 'AKID1' ? KEY : undefined);
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof ConclaveError, String(e));
    return e.code;
  }
};

test("accepts what Tencent's client signs: service from the scope, host signed without its port", () => {
  const v = verifyTc3(request({ service: 'rtc' }), lookup, NOW + 10);
  assert.equal(v.service, 'rtc');
  assert.equal(v.secretId, 'AKID1');
});

test('each failure has its code', () => {
  assert.equal(
    code(() => verifyTc3(request({ key: 'other' }), lookup, NOW)),
    'API_SIGNATURE_INVALID',
  );
  assert.equal(
    code(() => verifyTc3(request(), () => undefined, NOW)),
    'API_SECRET_ID_UNKNOWN',
  );
  assert.equal(
    code(() => verifyTc3(request(), lookup, NOW + 301)),
    'API_SIGNATURE_EXPIRED',
  );
  assert.equal(
    code(() => verifyTc3(request(), lookup, NOW - 301)),
    'API_SIGNATURE_EXPIRED',
  );
  const tampered = { ...request(), body: Buffer.from('{"SdkAppId":2}') };
  assert.equal(
    code(() => verifyTc3(tampered, lookup, NOW)),
    'API_SIGNATURE_INVALID',
  );
  const unsigned = { ...request(), headers: { host: 'x' } };
  assert.equal(
    code(() => verifyTc3(unsigned, lookup, NOW)),
    'API_AUTH_MISSING',
  );
});

test('random Authorization headers and timestamps never crash the verifier and are refused', () => {
  const base = request();
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 20 }), (authorization, timestamp) => {
      const r = { ...base, headers: { ...base.headers, authorization, 'x-tc-timestamp': timestamp } };
      assert.notEqual(
        code(() => verifyTc3(r, lookup, NOW)),
        'ok',
      );
    }),
    { numRuns: 2000 },
  );
});

test('any single-character change of a valid signature is refused', () => {
  const base = request();
  const auth = String(base.headers.authorization);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 63 }), fc.constantFrom(...'0123456789abcdef'), (i, ch) => {
      const at = auth.length - 64 + i;
      fc.pre(auth[at] !== ch);
      const mutated = auth.slice(0, at) + ch + auth.slice(at + 1);
      assert.equal(
        code(() => verifyTc3({ ...base, headers: { ...base.headers, authorization: mutated } }, lookup, NOW)),
        'API_SIGNATURE_INVALID',
      );
    }),
  );
});
