import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextAttemptAt } from './schedule.ts';

test('one immediate retry, then every 10 s until a minute has passed', () => {
  const t0 = 1_000_000;
  const times: number[] = [t0];
  let at: number | undefined = t0;
  for (let attempt = 1; at !== undefined; attempt++) {
    at = nextAttemptAt(t0, attempt, at + 5_000); // every attempt times out after 5 s
    if (at !== undefined) times.push(at);
  }
  assert.deepEqual(
    times.map((t) => t - t0),
    [0, 5_000, 20_000, 35_000, 50_000],
  );
});
