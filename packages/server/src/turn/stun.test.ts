import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  StunAttr,
  StunDecodeError,
  StunMethod,
  decodeStunMessage,
  decodeXorAddress,
  encodeStunMessage,
  encodeXorAddress,
  errorCode,
  longTermKey,
  textAttribute,
  verifyFingerprint,
  verifyMessageIntegrity,
  type StunMessage,
} from './stun.ts';

// RFC 5769 §2.1: sample request with a short-term credential (key = the password).
const RFC5769_REQUEST = Buffer.from(
  '000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74' +
    '002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020' +
    '000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf',
  'hex',
);

describe('STUN messages', () => {
  test('decodes the RFC 5769 sample request and verifies its integrity and fingerprint', () => {
    const message = decodeStunMessage(RFC5769_REQUEST);
    assert.equal(message.method, StunMethod.Binding);
    assert.equal(message.cls, 'request');
    assert.equal(textAttribute(message, StunAttr.Username), 'evtj:h6vY');
    assert.equal(textAttribute(message, StunAttr.Software), 'STUN test client');
    assert.equal(verifyMessageIntegrity(RFC5769_REQUEST, Buffer.from('VOkJxbRl1RmTxUk/WvJxBt')), true);
    assert.equal(verifyMessageIntegrity(RFC5769_REQUEST, Buffer.from('VOkJxbRl1RmTxUk/WvJxBu')), false);
    assert.equal(verifyFingerprint(RFC5769_REQUEST), true);
    const flipped = Buffer.from(RFC5769_REQUEST);
    flipped[30] = flipped[30]! ^ 1;
    assert.equal(verifyFingerprint(flipped), false);
    assert.equal(verifyMessageIntegrity(flipped, Buffer.from('VOkJxbRl1RmTxUk/WvJxBt')), false);
  });

  test('encodes what it decodes, with integrity and fingerprint', () => {
    const key = longTermKey('1700000000:alice', 'conclave', 'secret');
    const transactionId = Buffer.alloc(12, 7);
    const raw = encodeStunMessage(
      {
        method: StunMethod.CreatePermission,
        cls: 'request',
        transactionId,
        attributes: [{ type: StunAttr.XorPeerAddress, value: encodeXorAddress('203.0.113.9', 5000, transactionId) }],
      },
      key,
    );
    const message = decodeStunMessage(raw);
    assert.equal(message.method, StunMethod.CreatePermission);
    assert.deepEqual(decodeXorAddress(message.attributes[0]!.value, transactionId), {
      family: 'IPv4',
      address: '203.0.113.9',
      port: 5000,
    });
    assert.equal(verifyMessageIntegrity(raw, key), true);
    assert.equal(verifyFingerprint(raw), true);
    const v6 = encodeXorAddress('2001:db8::1', 3478, transactionId);
    assert.deepEqual(decodeXorAddress(v6, transactionId), {
      family: 'IPv6',
      address: '2001:db8:0:0:0:0:0:1',
      port: 3478,
    });
  });

  test('reads ERROR-CODE and refuses malformed ones', () => {
    const transactionId = Buffer.alloc(12);
    const withError = (value: Buffer): StunMessage => ({
      method: StunMethod.Allocate,
      cls: 'error',
      transactionId,
      attributes: [{ type: StunAttr.ErrorCode, value }],
    });
    const forbidden = Buffer.concat([Buffer.from([0, 0, 4, 3]), Buffer.from('Forbidden IP')]);
    assert.deepEqual(errorCode(decodeStunMessage(encodeStunMessage(withError(forbidden)))), {
      code: 403,
      reason: 'Forbidden IP',
    });
    assert.equal(errorCode(withError(Buffer.from([0, 0, 7, 0]))), undefined);
    assert.equal(errorCode(withError(Buffer.from([0, 0, 4]))), undefined);
  });

  test('refuses truncated, oversized and inconsistent input with StunDecodeError', () => {
    const bad = [
      Buffer.alloc(0),
      RFC5769_REQUEST.subarray(0, 19),
      RFC5769_REQUEST.subarray(0, RFC5769_REQUEST.length - 4),
      Buffer.concat([RFC5769_REQUEST, Buffer.alloc(4)]),
      Buffer.alloc(70_000),
    ];
    const noCookie = Buffer.from(RFC5769_REQUEST);
    noCookie[4] = 0;
    bad.push(noCookie);
    const longAttr = Buffer.from(RFC5769_REQUEST);
    longAttr.writeUInt16BE(0xfff0, 22);
    bad.push(longAttr);
    for (const input of bad) assert.throws(() => decodeStunMessage(input), StunDecodeError);
  });

  test('property: any bytes decode or fail with StunDecodeError, and the helpers never throw', () => {
    const stunish = fc
      .tuple(
        fc.integer({ min: 0, max: 0x3fff }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 200 }),
      )
      .map(([type, tid, body]) => {
        const h = Buffer.alloc(20);
        h.writeUInt16BE(type, 0);
        h.writeUInt16BE(body.length, 2);
        h.writeUInt32BE(0x2112a442, 4);
        Buffer.from(tid).copy(h, 8);
        return new Uint8Array(Buffer.concat([h, body]));
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), stunish), (bytes) => {
        let message: StunMessage;
        try {
          message = decodeStunMessage(bytes);
        } catch (err) {
          assert.ok(err instanceof StunDecodeError, String(err));
          return;
        }
        let covered = 20;
        for (const a of message.attributes) {
          covered += 4 + a.value.length + ((4 - (a.value.length % 4)) % 4);
          errorCode({ ...message, attributes: [a] });
          decodeXorAddress(a.value, message.transactionId);
        }
        assert.equal(covered, bytes.length);
        const raw = Buffer.from(bytes);
        verifyMessageIntegrity(raw, Buffer.from('k'));
        verifyFingerprint(raw);
      }),
      { numRuns: 3000 },
    );
  });

  test('property: encode then decode gives back the attributes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(StunMethod)),
        fc.constantFrom('request', 'indication', 'success', 'error' as const),
        fc.array(fc.record({ type: fc.integer({ min: 0, max: 0x7fff }), value: fc.uint8Array({ maxLength: 64 }) }), {
          maxLength: 8,
        }),
        (method, cls, attrs) => {
          const attributes = attrs.map((a) => ({ type: a.type, value: Buffer.from(a.value) }));
          const message = { method, cls, transactionId: Buffer.alloc(12, 3), attributes };
          const decoded = decodeStunMessage(encodeStunMessage(message, Buffer.from('key')));
          assert.equal(decoded.method, method);
          assert.equal(decoded.cls, cls);
          assert.deepEqual(decoded.attributes.slice(0, attributes.length), attributes);
          assert.deepEqual(
            decoded.attributes.slice(attributes.length).map((a) => a.type),
            [StunAttr.MessageIntegrity, StunAttr.Fingerprint],
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
