import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOM, setup, throwsCode } from './test-fixtures.ts';

test('an anchor publishes main audio, main video and a sub stream, each announced', () => {
  const { directory, events, admit } = setup();
  const alice = admit('alice').participant;
  const audio = directory.addStream(alice, { id: 'pa', kind: 'audio', streamType: 'main' });
  directory.addStream(alice, { id: 'pv', kind: 'video', streamType: 'main' });
  directory.addStream(alice, { id: 'ps', kind: 'video', streamType: 'sub' });
  assert.deepEqual(audio, { id: 'pa', userId: 'alice', sessionId: 's1', kind: 'audio', streamType: 'main' });
  const room = directory.getRoom(ROOM);
  assert.equal(room?.streams().length, 3);
  assert.equal(room.publisherCount, 1);
  assert.equal(room.subStreamOwner, 'alice');
  assert.equal(alice.streamIn('video/sub')?.id, 'ps');
  assert.deepEqual(events.slice(-3), ['streamadded:pa', 'streamadded:pv', 'streamadded:ps']);
});

test('audience cannot publish', () => {
  const { directory, admit } = setup();
  const carol = admit('carol', { role: 'audience' }).participant;
  throwsCode(() => directory.addStream(carol, { id: 'x', kind: 'video', streamType: 'main' }), 'ROLE_CANNOT_PUBLISH');
  assert.equal(directory.getRoom(ROOM)?.streams().length, 0);
});

test('one stream per (kind, streamType), and stream ids are unique in the room', () => {
  const { directory, admit } = setup();
  const alice = admit('alice').participant;
  const bob = admit('bob').participant;
  directory.addStream(alice, { id: 'a', kind: 'audio', streamType: 'main' });
  throwsCode(
    () => directory.addStream(alice, { id: 'a2', kind: 'audio', streamType: 'main' }),
    'STREAM_ALREADY_PUBLISHED',
  );
  throwsCode(
    () => directory.addStream(bob, { id: 'a', kind: 'audio', streamType: 'main' }),
    'STREAM_ALREADY_PUBLISHED',
  );
});

test('the sub stream is one per room; it frees when its owner stops, leaves or is displaced', () => {
  const { directory, admit } = setup();
  const alice = admit('alice').participant;
  const bob = admit('bob').participant;
  directory.addStream(alice, { id: 'sa', kind: 'video', streamType: 'sub' });
  throwsCode(() => directory.addStream(bob, { id: 'sb', kind: 'video', streamType: 'sub' }), 'SUB_STREAM_TAKEN');
  // The owner's own sub audio belongs to the same share.
  directory.addStream(alice, { id: 'saa', kind: 'audio', streamType: 'sub' });

  directory.removeStream(alice, 'sa');
  throwsCode(() => directory.addStream(bob, { id: 'sb', kind: 'video', streamType: 'sub' }), 'SUB_STREAM_TAKEN');
  directory.removeStream(alice, 'saa');
  directory.addStream(bob, { id: 'sb', kind: 'video', streamType: 'sub' });

  directory.leave(bob);
  directory.addStream(alice, { id: 'sa2', kind: 'video', streamType: 'sub' });
  const { room } = admit('alice');
  assert.equal(room.subStreamOwner, undefined);
});

test('removeStream returns the stream; a stream of someone else or an unknown id is NOT_FOUND', () => {
  const { directory, events, admit } = setup();
  const alice = admit('alice').participant;
  const bob = admit('bob').participant;
  directory.addStream(alice, { id: 'a', kind: 'audio', streamType: 'main' });
  throwsCode(() => directory.removeStream(bob, 'a'), 'NOT_FOUND');
  throwsCode(() => directory.removeStream(alice, 'zzz'), 'NOT_FOUND');
  assert.equal(directory.removeStream(alice, 'a').id, 'a');
  assert.equal(events.at(-1), 'streamremoved:a');
  assert.equal(directory.getRoom(ROOM)?.publisherCount, 0);
});

test('leaving returns the streams to close, and announces their removal before the departure', () => {
  const { directory, events, admit } = setup();
  const alice = admit('alice').participant;
  admit('bob');
  directory.addStream(alice, { id: 'a', kind: 'audio', streamType: 'main' });
  directory.addStream(alice, { id: 'v', kind: 'video', streamType: 'main' });
  const departure = directory.leave(alice);
  assert.deepEqual(
    departure?.removedStreams.map((s) => s.id),
    ['a', 'v'],
  );
  assert.deepEqual(events.slice(-3), ['streamremoved:a', 'streamremoved:v', 'left:alice:left']);
  assert.equal(alice.streams.length, 0);
  assert.equal(directory.getRoom(ROOM)?.streams().length, 0);
});

test('authorizeReceive returns the stream, or NOT_FOUND for an unknown id', () => {
  const { directory, admit } = setup();
  const alice = admit('alice').participant;
  const carol = admit('carol', { role: 'audience' }).participant;
  directory.addStream(alice, { id: 'v', kind: 'video', streamType: 'main' });
  assert.equal(directory.authorizeReceive(carol, 'v').userId, 'alice');
  throwsCode(() => directory.authorizeReceive(carol, 'nope'), 'NOT_FOUND');
});
