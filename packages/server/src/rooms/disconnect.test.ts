import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DISCONNECT_GRACE_MS } from './room-directory.ts';
import { ROOM, setup, throwsCode } from './test-fixtures.ts';

test('a dropped participant keeps its place and streams for 90 s, then is removed with `timeout`', () => {
  const { directory, events, admit, clock } = setup();
  assert.equal(directory.disconnectGraceMs, DEFAULT_DISCONNECT_GRACE_MS);
  const alice = admit('alice').participant;
  directory.addStream(alice, { id: 'a', kind: 'audio', streamType: 'main' });
  directory.markDisconnected(alice);
  assert.equal(alice.connected, false);
  assert.equal(alice.disconnectedAt, clock.time);

  clock.advance(89_999);
  assert.deepEqual(directory.expireDisconnected(), []);
  assert.equal(directory.getRoom(ROOM)?.streams().length, 1);

  clock.advance(1);
  const [gone, ...rest] = directory.expireDisconnected();
  assert.deepEqual(rest, []);
  assert.equal(gone?.participant, alice);
  assert.equal(gone.reason, 'timeout');
  assert.deepEqual(
    gone.removedStreams.map((s) => s.id),
    ['a'],
  );
  assert.ok(gone.roomClosed);
  assert.deepEqual(events.slice(-3), ['streamremoved:a', 'left:alice:timeout', `roomclosed:${gone.room.id}`]);
  throwsCode(() => directory.markReconnected(alice), 'NOT_FOUND');
});

test('reconnecting within the grace period cancels the expiry', () => {
  const { directory, admit, clock } = setup({ disconnectGraceMs: 1_000 });
  const alice = admit('alice').participant;
  directory.markDisconnected(alice);
  clock.advance(999);
  directory.markReconnected(alice);
  assert.ok(alice.connected);
  clock.advance(10_000);
  assert.deepEqual(directory.expireDisconnected(), []);
  assert.equal(alice.left, false);
});

test('a second markDisconnected does not restart the grace period', () => {
  const { directory, admit, clock } = setup({ disconnectGraceMs: 1_000 });
  const alice = admit('alice').participant;
  directory.markDisconnected(alice);
  clock.advance(600);
  directory.markDisconnected(alice);
  clock.advance(400);
  assert.equal(directory.expireDisconnected().length, 1);
});

test('only expired participants go; a displaced or departed one is forgotten', () => {
  const { directory, admit, clock } = setup({ disconnectGraceMs: 1_000 });
  const alice = admit('alice').participant;
  const bob = admit('bob').participant;
  const carol = admit('carol').participant;
  directory.markDisconnected(alice);
  directory.markDisconnected(carol);
  clock.advance(500);
  directory.markDisconnected(bob);
  directory.leave(carol);
  admit('alice');
  clock.advance(600);
  assert.deepEqual(directory.expireDisconnected(), []);
  clock.advance(400);
  assert.deepEqual(
    directory.expireDisconnected().map((d) => d.participant.userId),
    ['bob'],
  );
  assert.equal(directory.getRoom(ROOM)?.getParticipant('alice')?.connected, true);
});
