/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AutoplayGate, isAutoplayRefusal } from './autoplay.ts';

const refusal = () =>
  Object.assign(new Error('play() can only be initiated by a user gesture'), { name: 'NotAllowedError' });

/** A player the browser refuses until `allowed` is set. */
function player(state: { allowed: boolean; broken?: boolean; plays: number }) {
  return async () => {
    if (state.broken) throw Object.assign(new Error('no source'), { name: 'NotSupportedError' });
    if (!state.allowed) throw refusal();
    state.plays++;
  };
}

test('resume() retries refused players until they play; a gesture on the page does the same', async () => {
  const page = new EventTarget();
  const gate = new AutoplayGate(page);
  const a = { allowed: false, plays: 0 };
  const b = { allowed: false, plays: 0 };
  const resume = gate.blocked('a|audio', player(a));
  gate.blocked('b|audio', player(b));
  assert.equal(gate.pending, 2);

  await resume(); // still refused: both stay
  assert.equal(gate.pending, 2);

  a.allowed = true;
  await resume();
  assert.equal(a.plays, 1);
  assert.equal(gate.pending, 1);

  b.allowed = true;
  page.dispatchEvent(new Event('click'));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(b.plays, 1);
  assert.equal(gate.pending, 0);

  // No one waits: later gestures play nothing again.
  page.dispatchEvent(new Event('keydown'));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(a.plays + b.plays, 2);
});

test('a player failing for another reason is dropped; forget() and clear() remove players', async () => {
  const gate = new AutoplayGate(new EventTarget());
  gate.blocked('x|audio', player({ allowed: false, broken: true, plays: 0 }));
  await gate.resume();
  assert.equal(gate.pending, 0);
  gate.blocked('y|audio', player({ allowed: false, plays: 0 }));
  gate.blocked('z|audio', player({ allowed: false, plays: 0 }));
  gate.forget('y|audio');
  assert.equal(gate.pending, 1);
  gate.clear();
  assert.equal(gate.pending, 0);
  assert.equal(isAutoplayRefusal(refusal()), true);
  assert.equal(isAutoplayRefusal(new Error('x')), false);
  assert.equal(isAutoplayRefusal('NotAllowedError'), false);
});
