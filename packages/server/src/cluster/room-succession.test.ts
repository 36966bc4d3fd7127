// A room whose node died, continued on another node: two room directories (the two nodes' rooms) on the real
// local Redis (a key prefix of the test's own). Node A serves alice, bob and carol and then dies without a word;
// node B re-creates the room as alice and bob come back. The callbacks a customer's backend receives tell one
// story: the room opened once, each member entered once, carol (who never came back) left with a timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { attachRoomCallbacks } from '../callbacks/room-events.ts';
import type { CallbackBody } from '../callbacks/events.ts';
import { createLogger } from '../logger.ts';
import { RoomDirectory, type AdmitRequest, type RoomKey } from '../rooms/index.ts';
import { parseMembers, RoomSuccession } from './room-succession.ts';
import { testKeyspace } from './testing/keyspace.ts';

let keyspace: Awaited<ReturnType<typeof testKeyspace>>;
before(async () => {
  keyspace = await testKeyspace();
});
after(() => keyspace.cleanup());

const KEY: RoomKey = { sdkAppId: 1400000001, roomId: 4242 };
const log = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One node's rooms, its succession and the callbacks they produce. */
function node(redis: Redis, clock: { now: number }) {
  const succession: { current?: RoomSuccession } = {};
  const rooms = new RoomDirectory({
    now: () => clock.now,
    disconnectGraceMs: 10_000,
    predecessorOf: (key) => succession.current?.predecessorOf(key),
  });
  succession.current = new RoomSuccession({ redis, prefix: keyspace.prefix, rooms, log });
  succession.current.start();
  const callbacks: string[] = [];
  attachRoomCallbacks(
    rooms,
    (_, body: CallbackBody) => {
      const reason = body.EventInfo.Reason !== undefined ? `/${String(body.EventInfo.Reason)}` : '';
      callbacks.push(`${body.EventType}:${body.EventInfo.UserId ?? ''}${reason}`);
    },
    () => clock.now,
  );
  const enter = (userId: string, role: AdmitRequest['role'] = 'anchor') =>
    rooms.admit({
      key: KEY,
      userId,
      role,
      scene: 'rtc',
      sessionId: `${userId}-${clock.now}`,
      privilegeControl: false,
    });
  return { rooms, succession: succession.current, callbacks, enter };
}

async function membersHash(): Promise<Record<string, string>> {
  return keyspace.redis.hgetall(`${keyspace.prefix}room:1400000001#4242:members`);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('a room taken over from a dead node continues: one 101, one 103 per member, a timeout 104 for the absent', async () => {
  const clock = { now: 1_800_000_000_000 };
  const a = node(keyspace.redis, clock);
  a.enter('alice');
  a.enter('bob', 'audience');
  a.enter('carol');
  const createdAt = a.rooms.getRoom(KEY)!.createdAt;
  await until('the members remembered', async () => Object.keys(await membersHash()).length === 4);
  assert.deepEqual(await membersHash(), {
    'u:alice': 'anchor',
    'u:bob': 'audience',
    'u:carol': 'anchor',
    createdAt: String(createdAt),
  });
  assert.deepEqual(a.callbacks, ['101:alice', '103:alice', '103:bob', '103:carol']);
  // Node A dies: nothing more reaches Redis from it.
  a.succession.stop();

  clock.now += 4_000;
  const b = node(keyspace.redis, clock);
  await b.succession.prepare(KEY);
  const { room } = b.enter('bob', 'audience');
  assert.equal(room.createdAt, createdAt, 'the room keeps its start, so the call record keeps its CommId');
  assert.equal(room.continues, true);
  await b.succession.prepare(KEY); // alice's join: the room is there now, nothing more is read into it
  b.enter('alice');
  b.enter('dave');
  assert.deepEqual(b.callbacks, ['103:dave'], 'no new room and no new entry for the members who came back');

  // Carol never comes back: at the end of the grace period she leaves with a timeout (TRTC reason 2).
  clock.now += 9_000;
  b.rooms.expireAwaitedMembers();
  assert.deepEqual(b.callbacks, ['103:dave']);
  clock.now += 1_000;
  b.rooms.expireAwaitedMembers();
  b.rooms.expireAwaitedMembers();
  assert.deepEqual(b.callbacks, ['103:dave', '104:carol/2']);
  await until('carol forgotten', async () => !('u:carol' in (await membersHash())));
  assert.equal((await membersHash())['createdAt'], String(createdAt), 'node B kept the first creation time');

  // The room closes normally on B: 102 once, and the cluster forgets it.
  for (const userId of ['alice', 'bob', 'dave']) b.rooms.leave(b.rooms.getRoom(KEY)!.getParticipant(userId)!);
  const roomEvents = b.callbacks.filter((c) => c.startsWith('10'));
  assert.deepEqual(roomEvents.slice(-4), ['104:alice/1', '104:bob/1', '104:dave/1', '102:']);
  await until('the room forgotten', async () => Object.keys(await membersHash()).length === 0);

  // A new room of the same key later starts afresh.
  await b.succession.prepare(KEY);
  b.enter('erin');
  assert.deepEqual(b.callbacks.slice(-2), ['101:erin', '103:erin']);
  b.succession.stop();
});

test('members who never come back leave before the continued room closes', async () => {
  await keyspace.redis.del(`${keyspace.prefix}room:1400000001#4242:members`);
  const clock = { now: 1_800_000_100_000 };
  const a = node(keyspace.redis, clock);
  a.enter('alice');
  a.enter('bob');
  await until('the members remembered', async () => Object.keys(await membersHash()).length === 3);
  a.succession.stop();
  const b = node(keyspace.redis, clock);
  await b.succession.prepare(KEY);
  const { participant } = b.enter('alice');
  b.rooms.leave(participant);
  assert.deepEqual(
    b.callbacks,
    ['104:alice/1', '104:bob/2', '102:'],
    'the last one out, then the absent, then the end',
  );
  b.succession.stop();
});

test('a members hash is read defensively: bad roles, bad userIds and a bad creation time are dropped', () => {
  assert.equal(parseMembers({}), undefined);
  assert.equal(parseMembers({ 'u:alice': 'anchor' }), undefined, 'no creation time');
  assert.equal(parseMembers({ 'u:alice': 'anchor', createdAt: '-5' }), undefined);
  assert.equal(parseMembers({ 'u:alice': 'owner', createdAt: '5' }), undefined, 'no valid member');
  const parsed = parseMembers({
    'u:alice': 'anchor',
    'u:b@d': 'anchor',
    'u:': 'anchor',
    [`u:${'x'.repeat(33)}`]: 'anchor',
    'u:bob': 'audience',
    other: 'x',
    createdAt: '1700000000000',
  });
  assert.deepEqual(parsed, {
    createdAt: 1700000000000,
    members: new Map([
      ['alice', 'anchor'],
      ['bob', 'audience'],
    ]),
  });
});
