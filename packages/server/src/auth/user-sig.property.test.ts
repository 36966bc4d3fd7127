// Property-based tests of the token decoders: whatever arrives, the verifiers answer quickly with a
// ConclaveError or, for an untouched token, the original claims.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { ConclaveError } from '@conclave/protocol';
import { validateRoom, validateSdkAppId, validateUserId } from './identifiers.ts';
import {
  PrivilegeBits,
  decodePrivateMapKeyRecord,
  encodePrivateMapKeyRecord,
  generatePrivateMapKey,
  verifyPrivateMapKey,
} from './private-map-key.ts';
import { generateUserSig, verifyUserSig } from './user-sig.ts';

const APP = 1400000001;
const KEY = 'property-test-key';
const USER = 'prop_user';
const NOW = 1_700_000_000_000;
const ROOM = { roomId: 77 };
const RUNS = 1000;
const SLOW_MS = 1000; // ~20 µs a verification takes; only a pathological (super-linear) case gets near, even on a loaded machine

const OUTER_ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_'];
const verifyOptions = { sdkAppId: APP, userId: USER, secretKey: KEY, now: NOW };

/** Runs a verification: returns its result or the ConclaveError; anything else, or slowness, fails the property. */
function attempt<R>(fn: () => R): R | ConclaveError {
  const started = performance.now();
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof ConclaveError)) throw error;
    return error;
  } finally {
    assert.ok(performance.now() - started < SLOW_MS, 'verification took too long');
  }
}
function assertRejected(fn: () => unknown): void {
  assert.ok(attempt(fn) instanceof ConclaveError, 'expected a rejection');
}
const verifyPlain = (token: string) => verifyUserSig(token, verifyOptions);
const verifyKey = (token: string) => verifyPrivateMapKey(token, { ...verifyOptions, room: ROOM });

function encodeBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}
function decodeBytes(token: string): Buffer {
  return Buffer.from(token.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64');
}

type Mutation =
  | { kind: 'replace'; at: number; char: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'flipBit'; at: number; bit: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.constantFrom(...OUTER_ALPHABET) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...OUTER_ALPHABET)),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('flipBit' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
);

function mutate(token: string, m: Mutation): string {
  const at = token.length === 0 ? 0 : m.at % token.length;
  switch (m.kind) {
    case 'replace':
      return token.slice(0, at) + m.char + token.slice(at + 1);
    case 'truncate':
      return token.slice(0, at);
    case 'insert':
      return token.slice(0, at) + m.text + token.slice(at);
    case 'delete':
      return token.slice(0, at) + token.slice(at + m.count);
    case 'flipBit': {
      // Corrupts the compressed bytes themselves, under a valid outer encoding.
      const bytes = decodeBytes(token);
      if (bytes.length === 0) return token;
      const index = m.at % bytes.length;
      bytes[index] = (bytes[index] ?? 0) ^ (1 << m.bit);
      return encodeBytes(bytes);
    }
  }
}

const tokens = {
  plain: generateUserSig({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds: 3600, now: NOW }),
  userbuf: generateUserSig({
    sdkAppId: APP,
    userId: USER,
    secretKey: KEY,
    expireSeconds: 3600,
    now: NOW,
    userbuf: new Uint8Array([1, 2, 3, 4, 5]),
  }),
  privateMapKey: generatePrivateMapKey({
    sdkAppId: APP,
    userId: USER,
    secretKey: KEY,
    expireSeconds: 300,
    room: ROOM,
    privileges: 42,
    now: NOW,
  }),
};

describe('verifyUserSig on arbitrary input', () => {
  it('rejects arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 5000 }),
          fc.string({ unit: fc.constantFrom(...OUTER_ALPHABET), maxLength: 600 }),
        ),
        (text) => {
          assertRejected(() => verifyPlain(text));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('rejects arbitrary bytes, raw or deflated, in the outer encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (bytes, deflate) => {
        assertRejected(() => verifyPlain(encodeBytes(deflate ? deflateSync(bytes) : bytes)));
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects arbitrary JSON values deflated and encoded', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        assertRejected(() => verifyPlain(encodeBytes(deflateSync(JSON.stringify(value) ?? 'null'))));
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects documents with TLS fields of arbitrary values, even when correctly signed', () => {
    const anyValue = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.integer(),
      fc.double(),
      fc.constantFrom(null, true, [], {}, '2.0', APP, USER, 0, -1, 2 ** 53, 315_360_001),
    );
    const field = (valid: fc.Arbitrary<unknown>) => fc.option(fc.oneof(valid, anyValue), { nil: undefined });
    const docArb = fc.record({
      'TLS.ver': field(fc.constant('2.0')),
      'TLS.identifier': field(fc.constant(USER)),
      'TLS.sdkappid': field(fc.constant(APP)),
      'TLS.time': field(fc.constant(NOW / 1000)),
      'TLS.expire': field(fc.integer({ min: 0, max: 3600 })),
      'TLS.userbuf': field(fc.base64String({ maxLength: 12 })),
      'TLS.sig': field(fc.base64String({ minLength: 44, maxLength: 44 })),
    });
    fc.assert(
      fc.property(docArb, fc.boolean(), (doc, sign) => {
        if (sign) {
          const content = [
            `TLS.identifier:${String(doc['TLS.identifier'])}`,
            `TLS.sdkappid:${String(doc['TLS.sdkappid'])}`,
            `TLS.time:${String(doc['TLS.time'])}`,
            `TLS.expire:${String(doc['TLS.expire'])}`,
            ...(doc['TLS.userbuf'] === undefined ? [] : [`TLS.userbuf:${String(doc['TLS.userbuf'])}`]),
          ].join('\n');
          doc['TLS.sig'] = createHmac('sha256', KEY).update(`${content}\n`).digest('base64');
        }
        const token = encodeBytes(deflateSync(JSON.stringify(doc)));
        const result = attempt(() => verifyPlain(token));
        if (!(result instanceof ConclaveError)) {
          // Only a fully well-typed, correctly signed document may pass.
          assert.ok(sign && doc['TLS.ver'] === '2.0' && doc['TLS.identifier'] === USER && doc['TLS.sdkappid'] === APP);
          assert.equal(result.issuedAt, NOW / 1000);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('mutations of valid tokens', () => {
  for (const [name, token] of Object.entries(tokens)) {
    const verifier = name === 'privateMapKey' ? verifyKey : verifyPlain;
    const original = verifier(token);

    it(`${name}: every mutation is rejected or changes nothing that is signed`, () => {
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (mutations) => {
          const mutated = mutations.reduce(mutate, token);
          const result = attempt(() => verifier(mutated));
          // zlib ignores the pad bits after its final block, so a flip there leaves a token that still
          // decodes to the same signed document: accepting it grants nothing new.
          if (!(result instanceof ConclaveError)) assert.deepEqual(result, original);
        }),
        { numRuns: RUNS },
      );
    });

    it(`${name}: every change to the signed document is rejected`, () => {
      const json = inflateSync(decodeBytes(token)).toString();
      const parsed: unknown = JSON.parse(json);
      fc.assert(
        fc.property(
          fc.nat(),
          fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 3 }),
          fc.boolean(),
          (at, text, insert) => {
            const i = at % json.length;
            const changed = json.slice(0, i) + text + json.slice(insert ? i : i + text.length);
            fc.pre(!sameJson(changed, parsed)); // whitespace between tokens changes nothing
            assertRejected(() => verifier(encodeBytes(deflateSync(changed))));
          },
        ),
        { numRuns: RUNS },
      );
    });
  }
});

describe('PrivateMapKey record decoder', () => {
  it('rejects arbitrary bytes as PRIVATE_MAP_KEY_MALFORMED or decodes exactly what re-encodes to them', () => {
    const recordish = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      // Mostly-valid records with one field disturbed, to reach past the first length checks.
      fc
        .tuple(
          fc.constantFrom(0, 1, 2),
          fc.integer({ min: 0, max: 40 }),
          fc.uint8Array({ minLength: 20, maxLength: 110 }),
        )
        .map(([ver, length, rest]) => new Uint8Array([ver, 0, length, ...rest])),
    );
    fc.assert(
      fc.property(recordish, (bytes) => {
        let record;
        try {
          record = decodePrivateMapKeyRecord(bytes);
        } catch (error) {
          assert.ok(error instanceof ConclaveError && error.code === 'PRIVATE_MAP_KEY_MALFORMED');
          return;
        }
        if (isEncodable(record)) assert.deepEqual(Buffer.from(encodePrivateMapKeyRecord(record)), Buffer.from(bytes));
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('round-trips every valid record', () => {
    const roomArb = fc.oneof(
      fc.record({ roomId: fc.integer({ min: 1, max: 4294967294 }) }),
      fc.record({ strRoomId: fc.stringMatching(/^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]{1,64}$/) }),
    );
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    const recordArb = fc
      .record({
        userId: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
        sdkAppId: fc.integer({ min: 1, max: 0xffff_ffff }),
        room: roomArb,
        expiresAtSeconds: u32,
        privileges: u32,
        accountType: u32,
      })
      // fast-check builds some objects without a prototype; the decoder returns plain ones.
      .map((record) => ({ ...record, room: { ...record.room } }));
    fc.assert(
      fc.property(recordArb, (record) => {
        assert.deepEqual(decodePrivateMapKeyRecord(encodePrivateMapKeyRecord(record)), record);
      }),
      { numRuns: RUNS },
    );
  });

  it('grants through verifyPrivateMapKey exactly the generated privileges', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: PrivilegeBits.All }),
        fc.integer({ min: 1, max: 4294967294 }),
        (privileges, roomId) => {
          const room = { roomId };
          const token = generatePrivateMapKey({
            sdkAppId: APP,
            userId: USER,
            secretKey: KEY,
            expireSeconds: 300,
            room,
            privileges,
            now: NOW,
          });
          assert.equal(verifyPrivateMapKey(token, { ...verifyOptions, room }).privileges, privileges);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function sameJson(text: string, value: unknown): boolean {
  try {
    assert.deepEqual(JSON.parse(text), value);
    return true;
  } catch {
    return false;
  }
}

function isEncodable(record: ReturnType<typeof decodePrivateMapKeyRecord>): boolean {
  try {
    validateUserId(record.userId);
    validateSdkAppId(record.sdkAppId);
    validateRoom(record.room);
    return true;
  } catch {
    return false;
  }
}
