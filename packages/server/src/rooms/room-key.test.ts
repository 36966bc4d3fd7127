import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roomKeyString } from './room-key.ts';

test('numeric and string rooms with the same digits have different keys', () => {
  assert.notEqual(roomKeyString({ sdkAppId: 1, roomId: 123 }), roomKeyString({ sdkAppId: 1, strRoomId: '123' }));
});

test('the same room id in two apps has different keys', () => {
  assert.notEqual(roomKeyString({ sdkAppId: 1, roomId: 5 }), roomKeyString({ sdkAppId: 2, roomId: 5 }));
});

test('a strRoomId that imitates another key does not collide', () => {
  const numeric = roomKeyString({ sdkAppId: 1, roomId: 23 });
  assert.notEqual(roomKeyString({ sdkAppId: 1, strRoomId: '#23' }), numeric);
  assert.notEqual(roomKeyString({ sdkAppId: 12, strRoomId: '3' }), roomKeyString({ sdkAppId: 1, strRoomId: '23' }));
  assert.equal(roomKeyString({ sdkAppId: 1, strRoomId: 'a b' }), roomKeyString({ sdkAppId: 1, strRoomId: 'a b' }));
});
