import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConclaveError, type ErrorCode } from '@conclave/protocol';
import {
  sameRoom,
  validateRoom,
  validateRoomId,
  validateSdkAppId,
  validateStrRoomId,
  validateUserId,
} from './identifiers.ts';

function rejects(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (error: unknown) => error instanceof ConclaveError && error.code === code);
}

describe('validateUserId', () => {
  it('accepts 1-32 characters of [a-zA-Z0-9_-]', () => {
    for (const id of ['a', 'Z9', 'user_1-x', 'x'.repeat(32), '-', '_']) assert.equal(validateUserId(id), id);
  });
  it('rejects anything else', () => {
    for (const id of ['', 'x'.repeat(33), 'a b', 'a.b', 'é', 'a\n', 'a@b', '用户'])
      rejects(() => validateUserId(id), 'INVALID_USER_ID');
    for (const id of [1, null, undefined, {}, ['a']]) rejects(() => validateUserId(id), 'INVALID_USER_ID');
  });
});

describe('validateRoomId', () => {
  it('accepts integers 1..4294967294', () => {
    for (const id of [1, 123, 4294967294]) assert.equal(validateRoomId(id), id);
  });
  it('rejects anything else', () => {
    for (const id of [0, -1, 4294967295, 1.5, Number.NaN, Infinity, '123', null])
      rejects(() => validateRoomId(id), 'INVALID_ROOM_ID');
  });
});

describe('validateStrRoomId', () => {
  it("accepts 1-64 characters of TRTC's set", () => {
    const allSymbols = ' !#$%&()+-:;<=.>?@[]^_{}|~,';
    for (const id of ['r', '123', 'Room 1', allSymbols, 'x'.repeat(64), 'aZ09'])
      assert.equal(validateStrRoomId(id), id);
  });
  it('rejects anything else', () => {
    for (const id of ['', 'x'.repeat(65), 'a/b', 'a*b', 'a"b', "a'b", 'a\\b', 'a`b', 'a\tb', 'a\nb', 'é', '房间', 7]) {
      rejects(() => validateStrRoomId(id), 'INVALID_ROOM_ID');
    }
  });
});

describe('validateSdkAppId', () => {
  it('accepts integers 1..2^32-1', () => {
    for (const id of [1, 1400000001, 4294967295]) assert.equal(validateSdkAppId(id), id);
  });
  it('rejects anything else', () => {
    for (const id of [0, -1, 4294967296, 1.5, Number.NaN, '1400000001', null])
      rejects(() => validateSdkAppId(id), 'INVALID_SDK_APP_ID');
  });
});

describe('validateRoom / sameRoom', () => {
  it('takes exactly one of roomId and strRoomId', () => {
    assert.deepEqual(validateRoom({ roomId: 5 }), { roomId: 5 });
    assert.deepEqual(validateRoom({ strRoomId: '5' }), { strRoomId: '5' });
    for (const room of [{}, { roomId: 5, strRoomId: '5' }, { roomId: 0 }, { strRoomId: '' }, null, 5]) {
      rejects(() => validateRoom(room), 'INVALID_ROOM_ID');
    }
  });
  it('keeps numeric and string rooms apart', () => {
    assert.equal(sameRoom({ roomId: 123 }, { roomId: 123 }), true);
    assert.equal(sameRoom({ strRoomId: 'a' }, { strRoomId: 'a' }), true);
    assert.equal(sameRoom({ roomId: 123 }, { strRoomId: '123' }), false);
    assert.equal(sameRoom({ strRoomId: '123' }, { roomId: 123 }), false);
    assert.equal(sameRoom({ roomId: 123 }, { roomId: 124 }), false);
  });
});
