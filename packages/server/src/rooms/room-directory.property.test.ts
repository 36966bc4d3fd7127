import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConclaveError } from '@conclave/protocol';
import type { Participant } from './participant.ts';
import type { RoomDirectory } from './room-directory.ts';
import type { RoomKey } from './room-key.ts';
import { setup } from './test-fixtures.ts';

// Small limits so random runs hit every refusal; three keys that look alike but are distinct rooms.
const KEYS: RoomKey[] = [
  { sdkAppId: 1, roomId: 1 },
  { sdkAppId: 1, strRoomId: '1' },
  { sdkAppId: 2, roomId: 1 },
];
const LIMITS = { rtc: { maxUsers: 4, maxPublishers: 2, maxAnchors: 3 }, live: { maxUsers: 5, maxAnchors: 2 } };

const pick = fc.nat(40);
const command = fc.oneof(
  fc.record({
    op: fc.constant('admit' as const),
    user: fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4', 'u5'),
    room: fc.nat(KEYS.length - 1),
    role: fc.constantFrom('anchor' as const, 'audience' as const),
    scene: fc.constantFrom('rtc' as const, 'live' as const),
  }),
  fc.record({ op: fc.constant('leave' as const), who: pick }),
  fc.record({
    op: fc.constant('publish' as const),
    who: pick,
    kind: fc.constantFrom('audio' as const, 'video' as const),
    streamType: fc.constantFrom('main' as const, 'sub' as const),
  }),
  fc.record({ op: fc.constant('unpublish' as const), who: pick, which: fc.nat(3) }),
  fc.record({
    op: fc.constant('switchRole' as const),
    who: pick,
    role: fc.constantFrom('anchor' as const, 'audience' as const),
  }),
  fc.record({ op: fc.constant('disconnect' as const), who: pick }),
  fc.record({ op: fc.constant('expire' as const), ms: fc.integer({ min: 0, max: 2_000 }) }),
  fc.record({
    op: fc.constant('removeUser' as const),
    room: fc.nat(KEYS.length - 1),
    user: fc.constantFrom('u0', 'u1'),
  }),
  fc.record({ op: fc.constant('dismiss' as const), room: fc.nat(KEYS.length - 1) }),
);

function checkConsistent(directory: RoomDirectory, counters: Map<string, number>): void {
  let present = 0;
  for (const room of directory.rooms()) {
    const participants = room.participants();
    present += participants.length;
    assert.ok(participants.length > 0, 'no empty room remains');
    assert.equal(room.closed, false);
    assert.equal(room.userCount, participants.length);
    assert.equal(room.anchorCount, participants.filter((p) => p.role === 'anchor').length);
    assert.equal(room.publisherCount, participants.filter((p) => p.streams.length > 0).length);
    assert.ok(room.userCount <= room.limits.maxUsers);
    assert.ok(room.anchorCount <= room.limits.maxAnchors);
    assert.ok(room.publisherCount <= room.limits.maxPublishers);
    const owned = participants.flatMap((p) => p.streams);
    assert.deepEqual(new Set(room.streams()), new Set(owned), 'room streams are exactly the participants’ streams');
    for (const p of participants) {
      assert.equal(p.left, false);
      if (p.role === 'audience') assert.equal(p.streams.length, 0, 'audience publishes nothing');
    }
    const sharers = participants.filter((p) => p.streams.some((s) => s.streamType === 'sub'));
    assert.ok(sharers.length <= 1, 'at most one sub stream owner per room');
    assert.equal(room.subStreamOwner, sharers[0]?.userId);
  }
  const count = (name: string): number => counters.get(name) ?? 0;
  assert.equal(count('roomcreated') - count('roomclosed'), directory.roomCount);
  assert.equal(count('participantjoined') - count('participantleft'), present);
  assert.equal(count('streamadded') - count('streamremoved'), directory.rooms().flatMap((r) => r.streams()).length);
}

test('random admit/leave/publish/switchRole sequences keep the directory consistent', () => {
  fc.assert(
    fc.property(fc.array(command, { maxLength: 80 }), (commands) => {
      const { directory, clock } = setup({ limits: LIMITS, disconnectGraceMs: 1_000 });
      const counters = new Map<string, number>();
      for (const name of [
        'roomcreated',
        'roomclosed',
        'participantjoined',
        'participantleft',
        'streamadded',
        'streamremoved',
      ] as const) {
        directory.on(name, () => counters.set(name, (counters.get(name) ?? 0) + 1));
      }
      // Every participant ever handed out, including gone ones: acting on those must fail cleanly.
      const seen: Participant[] = [];
      let nextStream = 0;
      const at = (i: number): Participant | undefined => seen[i % Math.max(1, seen.length)];
      for (const c of commands) {
        try {
          const p = 'who' in c ? at(c.who) : undefined;
          if (c.op === 'admit') {
            const key = KEYS[c.room] ?? KEYS[0]!;
            seen.push(
              directory.admit({ ...c, key, userId: c.user, sessionId: `s${seen.length}`, privilegeControl: false })
                .participant,
            );
          } else if (c.op === 'expire') {
            clock.advance(c.ms);
            directory.expireDisconnected();
          } else if (c.op === 'removeUser') {
            directory.removeUser(KEYS[c.room] ?? KEYS[0]!, c.user);
          } else if (c.op === 'dismiss') {
            directory.dismissRoom(KEYS[c.room] ?? KEYS[0]!);
          } else if (p === undefined) {
            continue;
          } else if (c.op === 'leave') {
            directory.leave(p);
          } else if (c.op === 'publish') {
            directory.addStream(p, { id: `p${nextStream++}`, kind: c.kind, streamType: c.streamType });
          } else if (c.op === 'unpublish') {
            const stream = p.streams[c.which % Math.max(1, p.streams.length)];
            if (stream) directory.removeStream(p, stream.id);
          } else if (c.op === 'switchRole') {
            directory.switchRole(p, c.role);
          } else {
            directory.markDisconnected(p);
          }
        } catch (error) {
          // Refusals are part of the game; anything else is a bug.
          if (!(error instanceof ConclaveError)) throw error;
        }
        checkConsistent(directory, counters);
      }
    }),
    { numRuns: 300 },
  );
});
