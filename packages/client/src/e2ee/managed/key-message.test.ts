/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomBytes } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import { CipherSuiteId } from '../sframe/cipher-suites.ts';
import { generateX25519KeyPair } from './hpke.ts';
import {
  decodeKeyMessage,
  decodeSenderKeyPlaintext,
  MAX_KEY_MESSAGE_LENGTH,
  openSenderKey,
  sealSenderKey,
} from './key-message.ts';

const suite = CipherSuiteId.AES_128_GCM_SHA256_128;

describe('key messages', () => {
  it('round-trip a sender key between two participants, bound to both identities', async () => {
    const alice = await generateX25519KeyPair();
    const bob = await generateX25519KeyPair();
    const grant = { kid: 0x1203n, step: 3n, ratchetBits: 8, baseKey: randomBytes(32) };
    const blob = await sealSenderKey(
      grant,
      suite,
      { id: 'alice', keyPair: alice },
      { id: 'bob', publicKey: bob.publicKey },
    );
    assert.ok(blob.length <= MAX_KEY_MESSAGE_LENGTH);
    assert.deepEqual(
      await openSenderKey(blob, suite, { id: 'alice', publicKey: alice.publicKey }, { id: 'bob', keyPair: bob }),
      grant,
    );
    await assert.rejects(
      openSenderKey(blob, suite, { id: 'carol', publicKey: alice.publicKey }, { id: 'bob', keyPair: bob }),
      { code: 'E2EE_KEY_MESSAGE_UNREADABLE' },
    );
    await assert.rejects(
      openSenderKey(
        blob,
        CipherSuiteId.AES_256_GCM_SHA512_128,
        { id: 'alice', publicKey: alice.publicKey },
        { id: 'bob', keyPair: bob },
      ),
      { code: 'E2EE_KEY_MESSAGE_UNREADABLE' },
    );
  });

  it('the outer decoder survives random bytes, failing only with E2eeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const envelope = decodeKeyMessage(bytes);
          assert.equal(envelope.sealed.length, bytes.length - 2);
        } catch (error) {
          assert.ok(error instanceof E2eeError && error.code === 'E2EE_KEY_MESSAGE_MALFORMED', String(error));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('the sealed-plaintext decoder survives random bytes, failing only with E2eeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          const grant = decodeSenderKeyPlaintext(bytes);
          assert.ok(grant.baseKey.length > 0 && grant.baseKey.length <= 64);
        } catch (error) {
          assert.ok(error instanceof E2eeError, String(error));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('opening random blobs never throws anything but E2eeError', async () => {
    const bob = await generateX25519KeyPair();
    const alice = await generateX25519KeyPair();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 60, maxLength: 140 }), async (bytes) => {
        const blob = Uint8Array.of(1, 1, ...bytes.subarray(2));
        try {
          await openSenderKey(blob, suite, { id: 'alice', publicKey: alice.publicKey }, { id: 'bob', keyPair: bob });
          assert.fail('a random blob opened');
        } catch (error) {
          assert.ok(error instanceof E2eeError, String(error));
        }
      }),
      { numRuns: 200 },
    );
  });
});
