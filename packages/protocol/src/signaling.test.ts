import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { joinRequestSchema, requestEnvelopeSchema, requestSchemas } from './signaling.ts';

const base = { sdkAppId: 1400000001, userId: 'alice', userSig: 'x' };

test('join needs exactly one of roomId and strRoomId; numeric and string ids keep their rules', () => {
  assert.equal(joinRequestSchema.safeParse({ ...base, roomId: 123 }).success, true);
  assert.equal(joinRequestSchema.safeParse({ ...base, strRoomId: '123' }).success, true);
  assert.equal(joinRequestSchema.safeParse(base).success, false);
  assert.equal(joinRequestSchema.safeParse({ ...base, roomId: 1, strRoomId: 'a' }).success, false);
  assert.equal(joinRequestSchema.safeParse({ ...base, roomId: 0 }).success, false);
  assert.equal(joinRequestSchema.safeParse({ ...base, roomId: 4294967295 }).success, false);
  assert.equal(joinRequestSchema.safeParse({ ...base, strRoomId: 'x'.repeat(65) }).success, false);
  assert.equal(joinRequestSchema.safeParse({ ...base, roomId: 1, userId: 'bad id' }).success, false);
  assert.equal(
    joinRequestSchema.safeParse({ ...base, roomId: 1, extra: true }).success,
    false,
    'unknown fields refused',
  );
});

test('custom messages: cmdId 1..10 and at most 1 KB of base64 data', () => {
  const schema = requestSchemas.customMessage;
  assert.equal(schema.safeParse({ cmdId: 1, data: Buffer.alloc(1024).toString('base64') }).success, true);
  assert.equal(schema.safeParse({ cmdId: 11, data: '' }).success, false);
  assert.equal(schema.safeParse({ cmdId: 1, data: Buffer.alloc(1100).toString('base64') }).success, false);
  assert.equal(schema.safeParse({ cmdId: 1, data: 'not base64!' }).success, false);
});

test('property: any JSON value is either accepted or refused by every schema, never thrown on', () => {
  const schemas = [requestEnvelopeSchema, ...Object.values(requestSchemas)];
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      for (const schema of schemas) assert.equal(typeof schema.safeParse(value).success, 'boolean');
    }),
    { numRuns: 500 },
  );
});

test('property: envelopes with any method and id shape validate only with v:1 and a safe integer id', () => {
  fc.assert(
    fc.property(fc.anything(), fc.anything(), fc.string({ maxLength: 40 }), (v, id, method) => {
      const ok = requestEnvelopeSchema.safeParse({ v, id, method, data: {} }).success;
      const expected = v === 1 && Number.isSafeInteger(id) && (id as number) >= 0 && method.length <= 32;
      assert.equal(ok, expected);
    }),
  );
});
