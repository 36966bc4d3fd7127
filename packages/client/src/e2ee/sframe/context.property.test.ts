/// <reference types="node" />
/**
 * Property tests of the SFrame receive path (issue 15, item 3): whatever arrives from the SFU — random bytes,
 * or a real frame with any byte changed, added or cut — `decrypt` never throws and never returns plaintext for
 * a frame that is not exactly one the sender produced. Forged KIDs cost bounded work (a ratchet cap).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { randomBytes } from '../bytes.ts';
import { composeKid } from '../ratchet.ts';
import { cipherSuite, CipherSuiteId } from './cipher-suites.ts';
import { SFrameReceiver, SFrameSender } from './context.ts';

const suites = [CipherSuiteId.AES_128_GCM_SHA256_128, CipherSuiteId.AES_128_CTR_HMAC_SHA256_80];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('SFrame receiver: properties', () => {
  for (const id of suites) {
    it(`suite 0x000${id}: a mutated frame is dropped, never decrypted, never a throw`, async () => {
      const suite = cipherSuite(id);
      const baseKey = randomBytes(16);
      const sender = await SFrameSender.create(suite, 5n, baseKey);
      const originals: Uint8Array[] = [];
      for (let i = 0; i < 8; i++) originals.push(await sender.encrypt(randomBytes(10 + i * 7), Uint8Array.of(i)));
      const mutation = fc.record({
        op: fc.constantFrom('flip', 'insert', 'delete', 'truncate'),
        at: fc.nat(),
        bits: fc.integer({ min: 1, max: 255 }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.nat(originals.length - 1),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          async (n, ms) => {
            const original = originals[n] as Uint8Array;
            const bytes = [...original];
            for (const m of ms) {
              const at = m.at % Math.max(1, bytes.length);
              if (m.op === 'flip') bytes[at] = ((bytes[at] ?? 0) ^ m.bits) & 0xff;
              else if (m.op === 'insert') bytes.splice(at, 0, m.bits);
              else if (m.op === 'delete') bytes.splice(at, 1);
              else bytes.length = at;
            }
            const frame = Uint8Array.from(bytes);
            fc.pre(!sameBytes(frame, original));
            // A fresh receiver each time, so the replay window is not what refuses it.
            const receiver = new SFrameReceiver(suite);
            await receiver.addKey(5n, baseKey);
            const result = await receiver.decrypt(frame, Uint8Array.of(n));
            assert.equal(result.ok, false, 'a changed frame must never decrypt');
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('random bytes, and frames under forged KIDs of a ratcheting receiver, are dropped without a throw', async () => {
    const suite = cipherSuite(CipherSuiteId.AES_128_GCM_SHA256_128);
    const baseKey = randomBytes(16);
    let lookups = 0;
    const receiver = new SFrameReceiver(suite, {
      ratchetBits: 8,
      maxRatchetSteps: 4,
      lookup: async () => {
        lookups++;
        return undefined;
      },
    });
    await receiver.addKey(composeKid(1n, 0n, 8), baseKey);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        const result = await receiver.decrypt(bytes);
        assert.equal(result.ok, false);
      }),
      { numRuns: 1000 },
    );
    // A real sender whose KID is a few steps ahead still decrypts: the forgeries left the receiver working.
    const sender = await SFrameSender.create(suite, composeKid(1n, 0n, 8), baseKey);
    const frame = await sender.encrypt(Uint8Array.of(1, 2, 3));
    const result = await receiver.decrypt(frame);
    assert.ok(result.ok);
    assert.ok(lookups <= 1000, 'at most one lookup per forged frame');
  });
});
