// JoinRates on a moved clock: refills at the per-minute rate, refusals spend nothing, and idle buckets are dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConclaveError } from '@conclave/protocol';
import { DEFAULT_QUOTAS, JoinRates } from './quotas.ts';

function refusedWith(rates: JoinRates, sdkAppId: number, userId: string): string | undefined {
  try {
    rates.take(sdkAppId, userId);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ConclaveError);
    return error.code;
  }
}

test('a user bucket refills at joinsPerMinutePerUser; its refusals leave the app bucket untouched', () => {
  let now = 0;
  const rates = new JoinRates(
    { ...DEFAULT_QUOTAS, joinsPerMinutePerUser: 6, joinBurstPerUser: 2, joinsPerMinutePerApp: 60, joinBurstPerApp: 3 },
    () => now,
  );
  assert.equal(refusedWith(rates, 1, 'a'), undefined);
  assert.equal(refusedWith(rates, 1, 'a'), undefined);
  for (let i = 0; i < 5; i++) assert.equal(refusedWith(rates, 1, 'a'), 'USER_JOIN_RATE_LIMITED');
  // The app spent 2 of its 3: one more user gets in, then the app is out.
  assert.equal(refusedWith(rates, 1, 'b'), undefined);
  assert.equal(refusedWith(rates, 1, 'c'), 'APP_JOIN_RATE_LIMITED');
  // …which spent nothing of c's own budget, and another app is unaffected.
  assert.equal(refusedWith(rates, 2, 'a'), undefined);
  now += 10_000; // 6 per minute: one user token back; 60 per minute: ten app tokens (capped at 3)
  assert.equal(refusedWith(rates, 1, 'a'), undefined);
  assert.equal(refusedWith(rates, 1, 'a'), 'USER_JOIN_RATE_LIMITED');
  assert.equal(refusedWith(rates, 1, 'c'), undefined);
});

test('prune forgets buckets that are full again, so the maps hold only recent joiners', () => {
  let now = 0;
  const rates = new JoinRates(
    { ...DEFAULT_QUOTAS, joinsPerMinutePerUser: 60, joinBurstPerUser: 2, joinBurstPerApp: 1000 },
    () => now,
  );
  for (let i = 0; i < 1000; i++) rates.take(1, `u${i}`);
  assert.equal(rates.size, 1001);
  rates.prune();
  assert.equal(rates.size, 1001, 'nothing has refilled yet');
  now += 60_000;
  rates.prune();
  assert.equal(rates.size, 0);
});
