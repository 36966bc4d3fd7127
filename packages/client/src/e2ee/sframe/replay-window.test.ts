/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayWindow } from './replay-window.ts';

const SIZE = 64;

describe('SFrame replay window', () => {
  it('accepts each CTR once, in any order within the window, and refuses what fell behind it', () => {
    const w = new ReplayWindow(SIZE);
    assert.ok(w.accept(10n));
    assert.ok(!w.accept(10n), 'duplicate');
    assert.ok(w.accept(3n), 'older but unseen, inside the window');
    assert.ok(!w.accept(3n));
    assert.ok(w.accept(10n + 64n), 'a jump of exactly the window size');
    assert.ok(!w.check(10n), 'now too old');
    assert.ok(w.accept(11n), 'the oldest CTR still inside');
    assert.ok(w.accept(2n ** 64n - 1n), 'the largest CTR');
    assert.ok(!w.accept(2n ** 64n - 1n));
  });

  it('check() never changes the window', () => {
    const w = new ReplayWindow(SIZE);
    assert.ok(w.check(5n) && w.check(5n));
    assert.equal(w.highest, -1n);
  });

  it('property: no CTR is ever accepted twice', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 300n }), { maxLength: 400 }), (ctrs) => {
        const w = new ReplayWindow(SIZE);
        const accepted = new Set<bigint>();
        for (const ctr of ctrs) {
          if (w.accept(ctr)) {
            assert.ok(!accepted.has(ctr), `accepted ${ctr} twice`);
            accepted.add(ctr);
          }
        }
      }),
    );
  });

  it('property: any order of distinct CTRs within the window is accepted exactly once each', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 63n }),
        fc.uniqueArray(fc.integer({ min: 0, max: SIZE - 1 }), { minLength: 1, maxLength: SIZE }),
        (base, offsets) => {
          const w = new ReplayWindow(SIZE);
          for (const o of offsets) assert.ok(w.accept(base + BigInt(o)), `first ${o}`);
          for (const o of offsets) assert.ok(!w.accept(base + BigInt(o)), `again ${o}`);
        },
      ),
    );
  });

  it('property: matches a model (a set of accepted CTRs and the highest)', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 1000n }), { maxLength: 300 }), (ctrs) => {
        const w = new ReplayWindow(SIZE);
        const seen = new Set<bigint>();
        let highest = -1n;
        for (const ctr of ctrs) {
          const expected = !seen.has(ctr) && (ctr > highest || highest - ctr < BigInt(SIZE));
          assert.equal(w.check(ctr), expected, `check ${ctr}`);
          assert.equal(w.accept(ctr), expected, `accept ${ctr}`);
          if (expected) {
            seen.add(ctr);
            if (ctr > highest) highest = ctr;
          }
        }
      }),
    );
  });

  it('refuses sizes that are not a multiple of 32', () => {
    assert.throws(() => new ReplayWindow(100), RangeError);
  });
});
