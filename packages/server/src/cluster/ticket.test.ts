import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { ConclaveError } from '@conclave/protocol';
import { signTicket, TICKET_TTL_MS, TicketReplayCache, verifyTicket } from './ticket.ts';

const secret = crypto.randomBytes(32);
const who = { sdkAppId: 1400000001, userId: 'alice', room: '1400000001#42', node: 'node-a' };
const NOW = 1_800_000_000_000;

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConclaveError, `not a ConclaveError: ${String(err)}`);
    return err.code;
  }
  return 'accepted';
};

describe('cluster redirect tickets', () => {
  test('a ticket verifies for its app, user, room and node, within its lifetime', () => {
    const ticket = signTicket(secret, who, NOW);
    const claims = verifyTicket(secret, ticket, who, NOW + 1000);
    assert.equal(claims.exp, NOW + TICKET_TTL_MS);
    assert.equal(
      codeOf(() => verifyTicket(secret, ticket, who, NOW + TICKET_TTL_MS)),
      'CLUSTER_TICKET_EXPIRED',
    );
    for (const other of [{ userId: 'mallory' }, { room: '1400000001#43' }, { node: 'node-b' }, { sdkAppId: 7 }])
      assert.equal(
        codeOf(() => verifyTicket(secret, ticket, { ...who, ...other }, NOW)),
        'CLUSTER_TICKET_INVALID',
      );
    assert.equal(
      codeOf(() => verifyTicket(crypto.randomBytes(32), ticket, who, NOW)),
      'CLUSTER_TICKET_INVALID',
      'another cluster secret',
    );
  });

  test('a ticket is accepted once', () => {
    const cache = new TicketReplayCache();
    const claims = verifyTicket(secret, signTicket(secret, who, NOW), who, NOW);
    cache.use(claims, NOW);
    assert.equal(
      codeOf(() => cache.use(claims, NOW + 10)),
      'CLUSTER_TICKET_REPLAYED',
    );
    // Another ticket for the same join is a new use.
    cache.use(verifyTicket(secret, signTicket(secret, who, NOW), who, NOW), NOW);
  });

  test('property: any input to the decoder is refused with a ticket code, never a crash or an acceptance', () => {
    const good = signTicket(secret, who, NOW);
    const mutated = fc
      .tuple(fc.nat({ max: good.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }))
      .map(([at, s]) => good.slice(0, at) + s + good.slice(at + 1))
      .filter((t) => t !== good);
    const forged = fc
      .record({
        sdkAppId: fc.oneof(fc.integer(), fc.string()),
        userId: fc.string(),
        room: fc.string(),
        node: fc.string(),
        exp: fc.oneof(fc.integer(), fc.double()),
        nonce: fc.string(),
      })
      .map((claims) => {
        const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
        return `v1.${payload}.${crypto.randomBytes(32).toString('base64url')}`;
      });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2000 }), mutated, forged), (input) => {
        const code = codeOf(() => verifyTicket(secret, input, who, NOW));
        assert.ok(['CLUSTER_TICKET_INVALID', 'CLUSTER_TICKET_EXPIRED'].includes(code), `${code} for ${input}`);
      }),
      { numRuns: 2000 },
    );
  });
});
