// The replay memory against a plain model: expiries in any order, per-app bounds, forgetting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayCache } from './replay-cache.ts';

type Step =
  | { op: 'answer'; app: number; key: number; ttl: number }
  | { op: 'forget'; app: number; key: number }
  | { op: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('answer' as const),
    app: fc.integer({ min: 1, max: 3 }),
    key: fc.integer({ min: 0, max: 6 }),
    ttl: fc.integer({ min: 1, max: 601_000 }),
  }),
  fc.record({
    op: fc.constant('forget' as const),
    app: fc.integer({ min: 1, max: 3 }),
    key: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 400_000 }) }),
);

test("remembers each answer exactly until its own expiry, within each app's capacity", () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), fc.integer({ min: 1, max: 4 }), (steps, capacityPerApp) => {
      const cache = new ReplayCache<number>({ capacityPerApp });
      const model = new Map<string, { expiresAt: number; answer: Promise<number> }>();
      let now = 0;
      let runs = 0;
      for (const s of steps) {
        if (s.op === 'wait') {
          now += s.ms;
          continue;
        }
        const id = `${s.app}/${s.key}`;
        for (const [k, v] of model) if (v.expiresAt <= now) model.delete(k);
        if (s.op === 'forget') {
          cache.forget(s.app, String(s.key));
          model.delete(id);
          continue;
        }
        const before = runs;
        const answer = cache.answer(s.app, String(s.key), now + s.ttl, now, async () => ++runs);
        const known = model.get(id);
        const used = [...model.keys()].filter((k) => k.startsWith(`${s.app}/`)).length;
        if (known) {
          assert.equal(answer, known.answer);
          assert.equal(runs, before);
        } else if (used >= capacityPerApp) {
          assert.equal(answer, undefined);
          assert.equal(runs, before);
        } else {
          assert.ok(answer);
          assert.equal(runs, before + 1);
          model.set(id, { expiresAt: now + s.ttl, answer });
        }
        assert.equal(cache.size(s.app), [...model.keys()].filter((k) => k.startsWith(`${s.app}/`)).length);
      }
    }),
    { numRuns: 500 },
  );
});
