/**
 * Callback queue claims, run by the store contract (storage/contract.ts) on SQLite and PostgreSQL: a node claims
 * each app's due head once; another node sees nothing to claim until the claim ends or runs out; a record by a
 * node that lost its claim writes nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RegionStores } from '../storage/regions.ts';
import { CallbackOutbox } from './outbox.ts';

interface Fresh {
  stores: RegionStores;
  clock: { t: number };
}

/** Registers the outbox claim tests of the store contract. */
export function outboxContract(fresh: () => Promise<Fresh>): void {
  test('callback outbox: heads are claimed by one node at a time, taken over after the lease, in order', async () => {
    const { stores, clock } = await fresh();
    const outbox = new CallbackOutbox(stores.control.store);
    const t0 = clock.t;
    for (const [app, n] of [
      [1400000201, 1],
      [1400000201, 2],
      [1400000202, 1],
    ] as const)
      await outbox.enqueue({ sdkAppId: app, eventType: 103, userId: null, body: `${app}:${n}`, at: t0 });

    const a = await outbox.claimHeads('a', t0, 1000);
    assert.deepEqual(a.map((e) => e.body).sort(), ['1400000201:1', '1400000202:1']);
    assert.ok(a.every((e) => e.claimedBy === 'a' && e.claimUntil === t0 + 1000));
    assert.deepEqual(await outbox.claimHeads('b', t0 + 10, 1000), [], 'held by a');
    assert.equal((await outbox.claimHeads('a', t0 + 10, 1000)).length, 2, 'a renews its own claims');

    const first = a.find((e) => e.sdkAppId === 1400000201);
    assert.ok(first);
    const delivered = { at: t0 + 20, httpStatus: 200, latencyMs: 5, error: null, outcome: 'delivered' as const };
    assert.equal(await outbox.record(first, delivered, 'a'), true);
    // The app's next event is its head now, free for any node; the other app's head is still a's.
    assert.deepEqual(
      (await outbox.claimHeads('b', t0 + 30, 1000)).map((e) => e.body),
      ['1400000201:2'],
    );
    // a's lease on the other app runs out: b takes it over, and a's late record writes nothing.
    const other = a.find((e) => e.sdkAppId === 1400000202);
    assert.ok(other);
    const taken = await outbox.claimHeads('b', t0 + 1011, 1000);
    assert.deepEqual(taken.map((e) => e.body).sort(), ['1400000201:2', '1400000202:1'], 'its own, and the expired');
    assert.equal(await outbox.record(other, delivered, 'a'), false, 'a lost its claim');
    await outbox.releaseClaims('b');
    assert.equal((await outbox.claimHeads('a', t0 + 1012, 1000)).length, 2, 'released claims are free at once');
  });
}
