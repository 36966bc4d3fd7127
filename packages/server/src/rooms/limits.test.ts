import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConclaveError } from '@conclave/protocol';
import { DEFAULT_ROOM_LIMITS, resolveRoomLimits } from './limits.ts';
import { TokenBucket } from './token-bucket.ts';
import { ManualClock } from './test-fixtures.ts';

test('defaults are TRTC’s published figures', () => {
  assert.deepEqual(resolveRoomLimits(), DEFAULT_ROOM_LIMITS);
  assert.equal(DEFAULT_ROOM_LIMITS.rtc.maxUsers, 300);
  assert.equal(DEFAULT_ROOM_LIMITS.rtc.maxPublishers, 50);
  assert.equal(DEFAULT_ROOM_LIMITS.live.maxUsers, 100_000);
  assert.equal(DEFAULT_ROOM_LIMITS.live.maxAnchors, 50);
});

test('overrides merge per scene and field', () => {
  const limits = resolveRoomLimits({ live: { maxUsers: 10 } });
  assert.deepEqual(limits.live, { ...DEFAULT_ROOM_LIMITS.live, maxUsers: 10 });
  assert.deepEqual(limits.rtc, DEFAULT_ROOM_LIMITS.rtc);
});

test('a limit that is not an integer ≥ 1 is a configuration error', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => resolveRoomLimits({ rtc: { maxPublishers: bad } }),
      (e: unknown) => e instanceof ConclaveError && e.code === 'CONFIG_INVALID',
    );
  }
});

test('a token bucket allows a burst of its capacity, then refills with the clock', () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2, now: clock.now });
  assert.ok(bucket.tryTake(3));
  assert.equal(bucket.tryTake(1), false);
  clock.advance(499);
  assert.equal(bucket.tryTake(1), false);
  clock.advance(1);
  assert.ok(bucket.tryTake(1));
  clock.advance(60_000);
  assert.equal(bucket.available, 3, 'never above capacity');
});

test('a token bucket ignores a clock that steps backwards', () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, now: clock.now });
  assert.ok(bucket.tryTake(2));
  clock.advance(-10_000);
  assert.equal(bucket.available, 0);
  clock.advance(1_000);
  assert.equal(bucket.available, 1);
});
