/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoomCredentials } from './params.ts';
import { parseSwitchRoomOptions } from './switch-room.ts';

const current: RoomCredentials = {
  sdkAppId: 1400000001,
  userId: 'alice',
  userSig: 'sig-1',
  room: { roomId: 8888 },
  role: 'anchor',
  scene: 'rtc',
  privateMapKey: 'pmk-of-8888',
  autoReceiveAudio: true,
  autoReceiveVideo: false,
  e2ee: undefined,
  requireE2ee: false,
  userName: 'Alice',
  roomPassword: 'old-room-secret',
};

test('switchRoom keeps user, role, scene and flags; takes the new room, UserSig and PrivateMapKey', () => {
  const next = parseSwitchRoomOptions(current, { roomId: 9999 });
  assert.deepEqual(next, { ...current, room: { roomId: 9999 }, privateMapKey: undefined, roomPassword: undefined });
  assert.deepEqual(
    parseSwitchRoomOptions(current, { strRoomId: 'design review', userSig: 'sig-2', privateMapKey: 'k' }),
    {
      ...current,
      room: { strRoomId: 'design review' },
      userSig: 'sig-2',
      privateMapKey: 'k',
      roomPassword: undefined,
    },
  );
  // Numeric 8888 and string "8888" are different rooms.
  assert.deepEqual(parseSwitchRoomOptions(current, { strRoomId: '8888' }).room, { strRoomId: '8888' });
});

test('switchRoom refuses bad options with 5000 and the same room with 5100', () => {
  const bad: unknown[] = [
    undefined,
    null,
    [],
    {},
    { roomId: 1, strRoomId: 'a' },
    { roomId: 0 },
    { roomId: 4294967295 },
    { roomId: 1.5 },
    { roomId: '12' },
    { strRoomId: '' },
    { strRoomId: 'x'.repeat(65) },
    { roomId: 2, userSig: '' },
    { roomId: 2, userSig: 'x'.repeat(4097) },
    { roomId: 2, privateMapKey: 42 },
  ];
  for (const options of bad) {
    assert.throws(
      () => parseSwitchRoomOptions(current, options as never),
      (err: { code?: number; functionName?: string }) => err.code === 5000 && err.functionName === 'switchRoom',
      JSON.stringify(options),
    );
  }
  assert.throws(
    () => parseSwitchRoomOptions(current, { roomId: 8888 }),
    (err: { code?: number }) => err.code === 5100,
  );
});
