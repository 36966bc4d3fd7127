/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import { decodeHeader, encodeHeader, MAX_HEADER_VALUE } from './header.ts';
import { rfc9605Vectors } from './test-vectors/vectors.ts';

describe('SFrame header: RFC 9605 Appendix C.1', () => {
  it(`encodes and decodes all ${rfc9605Vectors.header.length} vectors`, () => {
    assert.equal(rfc9605Vectors.header.length, 289);
    for (const vector of rfc9605Vectors.header) {
      const kid = BigInt(vector.kid);
      const ctr = BigInt(vector.ctr);
      assert.equal(toHex(encodeHeader({ kid, ctr })), vector.header, `${vector.kid}/${vector.ctr}`);
      const decoded = decodeHeader(fromHex(vector.header));
      assert.deepEqual(decoded, { kid, ctr, length: vector.header.length / 2 });
    }
  });
});

describe('SFrame header: malformed input', () => {
  const code = (bytes: number[]): string => {
    try {
      decodeHeader(Uint8Array.from(bytes));
      return 'ok';
    } catch (error) {
      assert.ok(error instanceof E2eeError);
      return error.code;
    }
  };

  it('rejects empty and truncated headers', () => {
    assert.equal(code([]), 'SFRAME_HEADER_TRUNCATED');
    assert.equal(code([0x08]), 'SFRAME_HEADER_TRUNCATED'); // CTR of 1 byte missing
    assert.equal(code([0x90, 0x01]), 'SFRAME_HEADER_TRUNCATED'); // KID of 2 bytes cut
    assert.equal(code([0xff, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7]), 'SFRAME_HEADER_TRUNCATED');
  });

  it('rejects non-minimal encodings', () => {
    assert.equal(code([0x08, 0x07]), 'SFRAME_HEADER_NOT_MINIMAL'); // CTR 7 belongs in the config byte
    assert.equal(code([0x09, 0x00, 0xff]), 'SFRAME_HEADER_NOT_MINIMAL'); // leading zero byte
    assert.equal(code([0x80, 0x03]), 'SFRAME_HEADER_NOT_MINIMAL');
  });

  it('ignores bytes after the header', () => {
    assert.deepEqual(decodeHeader(Uint8Array.from([0x11, 0xaa, 0xbb])), { kid: 1n, ctr: 1n, length: 1 });
  });

  it('refuses to encode values outside 0..2^64-1', () => {
    assert.throws(() => encodeHeader({ kid: -1n, ctr: 0n }), { code: 'SFRAME_VALUE_OUT_OF_RANGE' });
    assert.throws(() => encodeHeader({ kid: 0n, ctr: MAX_HEADER_VALUE + 1n }), { code: 'SFRAME_VALUE_OUT_OF_RANGE' });
  });
});

describe('SFrame header: properties', () => {
  const value = fc.oneof(fc.bigInt({ min: 0n, max: 7n }), fc.bigInt({ min: 0n, max: MAX_HEADER_VALUE }));

  it('decode(encode(x)) == x', () => {
    fc.assert(
      fc.property(value, value, (kid, ctr) => {
        const encoded = encodeHeader({ kid, ctr });
        assert.deepEqual(decodeHeader(encoded), { kid, ctr, length: encoded.length });
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes decode or fail with E2eeError only, and what decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        try {
          const header = decodeHeader(bytes);
          assert.deepEqual(encodeHeader(header), bytes.subarray(0, header.length));
        } catch (error) {
          assert.ok(error instanceof E2eeError, String(error));
        }
      }),
      { numRuns: 5000 },
    );
  });
});
