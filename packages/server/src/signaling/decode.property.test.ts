/**
 * Property tests of the signaling decode path (issue 15, item 3): any bytes — random, mutated valid requests,
 * JSON of the wrong shape, broken UTF-8 — are decoded without throwing, and only a message every schema accepts
 * comes out as a request.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConclaveError, requestEnvelopeSchema, requestSchemas, type RequestMethod } from '@conclave/protocol';
import { decodeSignalFrame, type DecodedFrame } from './decode.ts';

const MAX = 16 * 1024;
const encoder = new TextEncoder();

const VALID: string[] = [
  {
    v: 1,
    id: 1,
    method: 'join',
    data: { sdkAppId: 1400000001, userId: 'alice', userSig: 'eJyrVgrxCdYrSy1SslIy', roomId: 1234 },
  },
  {
    v: 1,
    id: 2,
    method: 'join',
    data: { sdkAppId: 1400000001, userId: 'bob', userSig: 'x', strRoomId: 'abc', role: 'audience', scene: 'live' },
  },
  { v: 1, id: 3, method: 'customMessage', data: { cmdId: 3, data: 'aGVsbG8=' } },
  { v: 1, id: 4, method: 'consume', data: { producerId: 'p1', small: true } },
  {
    v: 1,
    id: 5,
    method: 'produce',
    data: { transportId: 't1', kind: 'video', streamType: 'main', rtpParameters: { codecs: [] } },
  },
  { v: 1, id: 6, method: 'e2eeKeyMessage', data: { to: 'carol', payload: 'AAEC' } },
  { v: 1, id: 7, method: 'resume', data: { resumeToken: 'A'.repeat(43) } },
  { v: 1, id: 8, method: 'heartbeat', data: {} },
].map((m) => JSON.stringify(m));

/** The decoder's promise, checked on every outcome. */
function checkOutcome(bytes: Uint8Array, isBinary: boolean, frame: DecodedFrame): void {
  if (bytes.length > MAX) return assert.equal(frame.kind, 'too-large');
  if (isBinary) return assert.equal(frame.kind, 'malformed');
  if (frame.kind === 'too-large') assert.fail('a frame within the limit was called too large');
  if (frame.kind === 'malformed') return;
  // Anything with an id came from a valid envelope of strictly decoded UTF-8.
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const envelope = requestEnvelopeSchema.parse(JSON.parse(text));
  assert.equal(frame.id, envelope.id);
  if (frame.kind === 'unknown-method') {
    assert.equal(Object.hasOwn(requestSchemas, envelope.method), false);
    assert.ok(frame.error instanceof ConclaveError && frame.error.code === 'SIGNAL_UNKNOWN_METHOD');
  } else if (frame.kind === 'invalid') {
    assert.equal(requestSchemas[envelope.method as RequestMethod].safeParse(envelope.data).success, false);
    assert.ok(frame.error instanceof ConclaveError && frame.error.code === 'SIGNAL_MALFORMED');
  } else {
    assert.equal(frame.method, envelope.method);
    // What the handler gets is exactly the schema's output: re-validating it changes nothing.
    const again = requestSchemas[frame.method].safeParse(frame.data);
    assert.ok(again.success);
    assert.deepEqual(again.data, frame.data);
  }
}

function decodes(bytes: Uint8Array, isBinary = false): void {
  let frame: DecodedFrame;
  try {
    frame = decodeSignalFrame(bytes, isBinary, MAX);
  } catch (error) {
    assert.fail(`the decoder threw: ${String(error)}`);
  }
  checkOutcome(bytes, isBinary, frame);
}

test('property: arbitrary bytes, text or binary, never make the decoder throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (bytes, isBinary) => decodes(bytes, isBinary)),
    { numRuns: 2000 },
  );
});

test('property: mutated copies of valid requests are either refused or valid in every schema', () => {
  const mutation = fc.record({
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
    op: fc.constantFrom('set', 'insert', 'delete'),
  });
  fc.assert(
    fc.property(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 8 }), (text, mutations) => {
      const bytes = [...encoder.encode(text)];
      for (const m of mutations) {
        const at = m.at % (bytes.length + 1);
        if (m.op === 'set') bytes[at] = m.byte;
        else if (m.op === 'insert') bytes.splice(at, 0, m.byte);
        else bytes.splice(at, 1);
      }
      decodes(new Uint8Array(bytes));
    }),
    { numRuns: 3000 },
  );
});

test('property: JSON of any shape in any envelope is decoded to the outcome its schemas decide', () => {
  const method = fc.oneof(fc.constantFrom(...(Object.keys(requestSchemas) as string[])), fc.string({ maxLength: 40 }));
  const envelope = fc.record(
    {
      v: fc.oneof(fc.constant(1), fc.jsonValue()),
      id: fc.oneof(fc.nat(), fc.jsonValue()),
      method,
      data: fc.jsonValue({ maxDepth: 4 }),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(envelope, fc.jsonValue({ maxDepth: 3 })), (value) =>
      decodes(encoder.encode(JSON.stringify(value) ?? '')),
    ),
    { numRuns: 2000 },
  );
});

test('property: text that is not UTF-8, or above the size limit, never yields a request', () => {
  const badTail = fc.constantFrom(
    [0x80],
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xff],
    [0xe2, 0x82],
  );
  fc.assert(
    fc.property(fc.constantFrom(...VALID), fc.nat(), badTail, (text, at, bad) => {
      const bytes = [...encoder.encode(text)];
      bytes.splice(at % bytes.length, 0, ...bad);
      const frame = decodeSignalFrame(new Uint8Array(bytes), false, MAX);
      assert.equal(frame.kind, 'malformed');
    }),
    { numRuns: 500 },
  );
  const padded = encoder.encode(VALID[0]!.replace('}}', `}, "pad": "${'x'.repeat(MAX)}"}`));
  assert.equal(decodeSignalFrame(padded, false, MAX).kind, 'too-large');
  assert.equal(decodeSignalFrame(encoder.encode(VALID[0]!), false, MAX).kind, 'request');
});
