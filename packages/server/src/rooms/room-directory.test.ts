import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { roomKeyString } from './room-key.ts';
import { ROOM, setup, throwsCode } from './test-fixtures.ts';
import { ConclaveError } from '@conclave/protocol';
import { RoomDirectory } from './room-directory.ts';

describe('room lifecycle', () => {
  test('the first entry creates the room with createdAt from the clock', () => {
    const { directory, events, admit, clock } = setup();
    const { room, participant, roomCreated, displaced } = admit('alice');
    assert.ok(roomCreated);
    assert.equal(displaced, undefined);
    assert.equal(room.createdAt, clock.time);
    assert.equal(participant.joinedAt, clock.time);
    assert.equal(directory.getRoom(ROOM), room);
    assert.deepEqual(events, [`roomcreated:${roomKeyString(ROOM)}`, 'joined:alice']);
  });

  test('a second entry joins the existing room', () => {
    const { admit } = setup();
    const first = admit('alice');
    const second = admit('bob');
    assert.equal(second.roomCreated, false);
    assert.equal(second.room, first.room);
    assert.equal(first.room.userCount, 2);
  });

  test('the room closes when the last participant leaves', () => {
    const { directory, events, admit, clock } = setup();
    const a = admit('alice').participant;
    const b = admit('bob').participant;
    const room = directory.getRoom(ROOM);
    assert.equal(directory.leave(a)?.roomClosed, false);
    clock.advance(5_000);
    const last = directory.leave(b);
    assert.equal(last?.roomClosed, true);
    assert.equal(last.reason, 'left');
    assert.equal(directory.getRoom(ROOM), undefined);
    assert.equal(directory.roomCount, 0);
    assert.ok(room?.closed);
    assert.equal(room.closedAt, clock.time);
    assert.deepEqual(events.slice(-3), ['left:alice:left', 'left:bob:left', `roomclosed:${room.id}`]);
  });

  test('leaving twice is harmless, and a gone participant can do nothing else', () => {
    const { directory, admit } = setup();
    const a = admit('alice').participant;
    assert.ok(directory.leave(a));
    assert.equal(directory.leave(a), undefined);
    assert.ok(a.left);
    throwsCode(() => directory.addStream(a, { id: 'p', kind: 'audio', streamType: 'main' }), 'NOT_FOUND');
    throwsCode(() => directory.switchRole(a, 'audience'), 'NOT_FOUND');
    throwsCode(() => directory.markReconnected(a), 'NOT_FOUND');
  });

  test('numeric room 123 and string room "123" are different rooms', () => {
    const { directory, admit } = setup();
    const numeric = admit('alice', { key: { sdkAppId: 1, roomId: 123 } });
    const string = admit('bob', { key: { sdkAppId: 1, strRoomId: '123' } });
    assert.ok(string.roomCreated);
    assert.notEqual(numeric.room, string.room);
    assert.equal(directory.roomCount, 2);
    assert.deepEqual(
      numeric.room.participants().map((p) => p.userId),
      ['alice'],
    );
  });

  test('apps are isolated: the same room id in two apps is two rooms, and the same userId is not displaced', () => {
    const { directory, admit } = setup();
    const one = admit('alice', { key: { sdkAppId: 1, roomId: 9 } });
    const two = admit('alice', { key: { sdkAppId: 2, roomId: 9 } });
    assert.ok(two.roomCreated);
    assert.equal(two.displaced, undefined);
    assert.equal(one.participant.left, false);
    assert.equal(directory.roomCount, 2);
  });

  test('participant metadata is kept as given', () => {
    const { admit } = setup();
    const p = admit('alice', {
      privileges: 255,
      metadata: { sdkVersion: '5.8.0', os: 'Linux', clientIp: '192.0.2.7' },
    }).participant;
    assert.deepEqual(
      [p.sdkVersion, p.os, p.clientIp, p.privileges, p.connected],
      ['5.8.0', 'Linux', '192.0.2.7', 255, true],
    );
    assert.equal(p.sessionId, 's1');
  });
});

describe('scenes', () => {
  test('an entry with another scene is admitted with the room’s scene', () => {
    const { admit } = setup();
    admit('alice', { scene: 'live' });
    const { room } = admit('bob', { scene: 'rtc' });
    assert.equal(room.scene, 'live');
  });

  test('with rejectSceneMismatch, an entry with another scene fails', () => {
    const { directory, admit } = setup({ rejectSceneMismatch: true });
    admit('alice', { scene: 'live' });
    throwsCode(() => admit('bob', { scene: 'rtc' }), 'ROOM_SCENE_MISMATCH');
    assert.equal(directory.getRoom(ROOM)?.userCount, 1);
  });

  test('each scene applies its own limits', () => {
    const { admit } = setup({ limits: { rtc: { maxUsers: 1 }, live: { maxUsers: 2 } } });
    admit('alice', { scene: 'live' });
    assert.equal(admit('bob', { scene: 'live' }).room.limits.maxUsers, 2);
    throwsCode(() => admit('carol', { scene: 'live' }), 'ROOM_FULL');
  });
});

describe('limits', () => {
  test('ROOM_FULL at maxUsers; a refused entry leaves no trace', () => {
    const { directory, events, admit } = setup({ limits: { rtc: { maxUsers: 2 } } });
    admit('alice');
    admit('bob', { role: 'audience' });
    const before = events.length;
    throwsCode(() => admit('carol', { role: 'audience' }), 'ROOM_FULL');
    assert.equal(directory.getRoom(ROOM)?.userCount, 2);
    assert.equal(events.length, before);
  });

  test('live: ROOM_PUBLISHERS_FULL when entering as an anchor beyond maxAnchors; audience still enters', () => {
    const { admit } = setup({ limits: { live: { maxAnchors: 1 } } });
    admit('alice', { scene: 'live' });
    throwsCode(() => admit('bob', { scene: 'live' }), 'ROOM_PUBLISHERS_FULL');
    assert.equal(admit('bob', { scene: 'live', role: 'audience' }).room.anchorCount, 1);
  });

  test('switching to anchor checks maxAnchors; switching back frees the seat', () => {
    const { directory, admit } = setup({ limits: { live: { maxAnchors: 1 } } });
    const alice = admit('alice', { scene: 'live' }).participant;
    const bob = admit('bob', { scene: 'live', role: 'audience' }).participant;
    throwsCode(() => directory.switchRole(bob, 'anchor'), 'ROOM_PUBLISHERS_FULL');
    assert.equal(bob.role, 'audience');
    directory.switchRole(alice, 'audience');
    directory.switchRole(bob, 'anchor');
    assert.equal(bob.role, 'anchor');
    assert.equal(directory.getRoom(ROOM)?.anchorCount, 1);
  });

  test('rtc: anchors are not capped at the publisher limit; publishing is', () => {
    const { directory, admit } = setup({ limits: { rtc: { maxPublishers: 1 } } });
    const alice = admit('alice').participant;
    const bob = admit('bob').participant;
    directory.addStream(alice, { id: 'a1', kind: 'audio', streamType: 'main' });
    directory.addStream(alice, { id: 'a2', kind: 'video', streamType: 'main' });
    throwsCode(() => directory.addStream(bob, { id: 'b1', kind: 'audio', streamType: 'main' }), 'ROOM_PUBLISHERS_FULL');
    directory.removeStream(alice, 'a1');
    directory.removeStream(alice, 'a2');
    assert.equal(directory.addStream(bob, { id: 'b1', kind: 'audio', streamType: 'main' }).userId, 'bob');
  });
});

describe('same userId entering again', () => {
  test('displaces the earlier session, removes its streams, and keeps the room open', () => {
    const { directory, events, admit } = setup();
    const first = admit('alice').participant;
    directory.addStream(first, { id: 'old-audio', kind: 'audio', streamType: 'main' });
    const second = admit('alice');
    assert.equal(second.roomCreated, false);
    assert.equal(second.displaced?.participant, first);
    assert.equal(second.displaced.reason, 'kicked');
    assert.equal(second.displaced.roomClosed, false);
    assert.deepEqual(
      second.displaced.removedStreams.map((s) => s.id),
      ['old-audio'],
    );
    assert.ok(first.left);
    assert.equal(second.room.getParticipant('alice'), second.participant);
    assert.equal(second.room.userCount, 1);
    assert.equal(second.room.streams().length, 0);
    assert.deepEqual(events.slice(-3), ['streamremoved:old-audio', 'left:alice:kicked', 'joined:alice']);
    // The old object no longer acts on the room, even though its userId is present.
    throwsCode(() => directory.addStream(first, { id: 'x', kind: 'audio', streamType: 'main' }), 'NOT_FOUND');
    assert.equal(directory.leave(first), undefined);
    assert.equal(second.room.userCount, 1);
  });

  test('the displaced seat counts as free against the limits', () => {
    const { admit } = setup({ limits: { live: { maxUsers: 1, maxAnchors: 1 } } });
    admit('alice', { scene: 'live' });
    assert.ok(admit('alice', { scene: 'live' }).displaced);
  });

  test('a refused newcomer does not displace anyone', () => {
    const { admit } = setup({ limits: { live: { maxAnchors: 1 } } });
    admit('bob', { scene: 'live' });
    const alice = admit('alice', { scene: 'live', role: 'audience' }).participant;
    throwsCode(() => admit('alice', { scene: 'live', role: 'anchor' }), 'ROOM_PUBLISHERS_FULL');
    assert.equal(alice.left, false);
  });
});

describe('roles', () => {
  test('switching to audience removes every stream and frees the sub stream', () => {
    const { directory, events, admit } = setup();
    const alice = admit('alice').participant;
    directory.addStream(alice, { id: 'a', kind: 'audio', streamType: 'main' });
    directory.addStream(alice, { id: 's', kind: 'video', streamType: 'sub' });
    const change = directory.switchRole(alice, 'audience');
    assert.deepEqual(change.removedStreams.map((s) => s.id).sort(), ['a', 's']);
    assert.equal(change.previous, 'anchor');
    const room = directory.getRoom(ROOM);
    assert.ok(room);
    assert.equal(room.subStreamOwner, undefined);
    assert.equal(room.publisherCount, 0);
    assert.equal(events.at(-1), 'role:alice:anchor->audience');
  });

  test('switching to the current role changes nothing and emits nothing', () => {
    const { directory, events, admit } = setup();
    const alice = admit('alice').participant;
    const before = events.length;
    assert.deepEqual(directory.switchRole(alice, 'anchor'), { previous: 'anchor', role: 'anchor', removedStreams: [] });
    assert.equal(events.length, before);
  });
});

describe('server API', () => {
  test('removeUser removes with reason `removed`; unknown users give undefined', () => {
    const { directory, events, admit } = setup();
    admit('alice');
    admit('bob');
    assert.equal(directory.removeUser(ROOM, 'alice')?.reason, 'removed');
    assert.equal(directory.removeUser(ROOM, 'nobody'), undefined);
    assert.equal(directory.removeUser({ sdkAppId: 7, roomId: 1 }, 'bob'), undefined);
    assert.equal(events.at(-1), 'left:alice:removed');
  });

  test('dismissRoom removes everyone with `disbanded` and closes the room once', () => {
    const { directory, events, admit } = setup();
    const alice = admit('alice').participant;
    admit('bob');
    directory.addStream(alice, { id: 'v', kind: 'video', streamType: 'main' });
    const departures = directory.dismissRoom(ROOM);
    assert.deepEqual(
      departures?.map((d) => [d.participant.userId, d.reason]),
      [
        ['alice', 'disbanded'],
        ['bob', 'disbanded'],
      ],
    );
    assert.deepEqual(
      departures.map((d) => d.roomClosed),
      [false, true],
    );
    assert.equal(directory.roomCount, 0);
    assert.equal(events.filter((e) => e.startsWith('roomclosed')).length, 1);
    assert.deepEqual(events.slice(-4), [
      'streamremoved:v',
      'left:alice:disbanded',
      'left:bob:disbanded',
      `roomclosed:${roomKeyString(ROOM)}`,
    ]);
    assert.equal(directory.dismissRoom(ROOM), undefined);
  });
});

describe('E2EE room policy', () => {
  test('the first entry can require E2EE; later entrants without it are refused and leave no trace', () => {
    const directory = new RoomDirectory();
    const key = { sdkAppId: 1, roomId: 77 };
    const base = { key, role: 'anchor' as const, scene: 'rtc' as const, privilegeControl: false };
    const first = directory.admit({ ...base, userId: 'a', sessionId: 's1', e2ee: true, requireE2ee: true });
    assert.equal(first.room.e2eeRequired, true);
    assert.throws(
      () => directory.admit({ ...base, userId: 'b', sessionId: 's2' }),
      (e: unknown) => e instanceof ConclaveError && e.code === 'E2EE_REQUIRED',
    );
    assert.equal(first.room.userCount, 1);
    const second = directory.admit({ ...base, userId: 'c', sessionId: 's3', e2ee: true, requireE2ee: false });
    assert.equal(second.room.e2eeRequired, true, 'only the creating entry decides');
  });

  test('asking to require E2EE without encrypting is refused; rooms created without the flag stay open', () => {
    const directory = new RoomDirectory();
    const base = { role: 'anchor' as const, scene: 'rtc' as const, privilegeControl: false };
    assert.throws(
      () =>
        directory.admit({ ...base, key: { sdkAppId: 1, roomId: 78 }, userId: 'a', sessionId: 's1', requireE2ee: true }),
      (e: unknown) => e instanceof ConclaveError && e.code === 'E2EE_REQUIRED',
    );
    assert.equal(directory.roomCount, 0);
    const open = directory.admit({ ...base, key: { sdkAppId: 1, roomId: 79 }, userId: 'a', sessionId: 's1' });
    assert.equal(open.room.e2eeRequired, false);
  });
});
