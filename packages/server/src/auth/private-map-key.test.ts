import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { ConclaveError, type ErrorCode } from '@conclave/protocol';
import type { RoomRef } from './identifiers.ts';
import {
  type PrivateMapKeyRecord,
  PrivilegeBits,
  decodePrivateMapKeyRecord,
  encodePrivateMapKeyRecord,
  generatePrivateMapKey,
  requirePrivilege,
  verifyPrivateMapKey,
} from './private-map-key.ts';
import { generateUserSig } from './user-sig.ts';

interface TencentApi {
  genPrivateMapKey(userId: string, expire: number, roomId: number, privileges: number): string;
  genPrivateMapKeyWithStringRoomID(userId: string, expire: number, strRoomId: string, privileges: number): string;
  genUserSig(userId: string, expire: number): string;
}
const TLSSigAPIv2 = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => TencentApi;
};

const APP = 1400000001;
const KEY = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';
const USER = 'alice';
const NOW = 1_700_000_000_000;
const T = NOW / 1000;

function atFixedTime<R>(ms: number, fn: () => R): R {
  const realNow = Date.now;
  Date.now = () => ms;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}
function rawJson(token: string): string {
  return inflateSync(Buffer.from(token.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64')).toString();
}
function userbufOf(token: string): Buffer {
  return Buffer.from(String((JSON.parse(rawJson(token)) as Record<string, unknown>)['TLS.userbuf']), 'base64');
}
function verify(token: string, overrides: Partial<Parameters<typeof verifyPrivateMapKey>[1]> = {}) {
  return verifyPrivateMapKey(token, {
    sdkAppId: APP,
    userId: USER,
    secretKey: KEY,
    room: { roomId: 1234 },
    now: NOW,
    ...overrides,
  });
}
function rejects(fn: () => unknown, code: ErrorCode): ConclaveError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConclaveError, `expected ConclaveError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}
function generate(room: RoomRef, privileges = PrivilegeBits.All as number, expireSeconds = 300, now = NOW): string {
  return generatePrivateMapKey({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds, room, privileges, now });
}
/** A correctly signed token around arbitrary userbuf bytes. */
function envelope(userbuf: Uint8Array, expireSeconds = 300): string {
  return generateUserSig({ sdkAppId: APP, userId: USER, secretKey: KEY, expireSeconds, userbuf, now: NOW });
}
const record: PrivateMapKeyRecord = {
  userId: USER,
  sdkAppId: APP,
  room: { roomId: 1234 },
  expiresAtSeconds: T + 300,
  privileges: 255,
  accountType: 0,
};

describe('PrivilegeBits', () => {
  it('has the TRTC values', () => {
    assert.deepEqual(PrivilegeBits, {
      CreateRoom: 1,
      EnterRoom: 2,
      SendAudio: 4,
      ReceiveAudio: 8,
      SendVideo: 16,
      ReceiveVideo: 32,
      SendSubStream: 64,
      ReceiveSubStream: 128,
      All: 255,
      Record: 256,
    });
  });
});

describe('privilege record', () => {
  it('encodes a numeric-room record byte for byte (big-endian, ver 0)', () => {
    const expected =
      '00' +
      '0005' +
      Buffer.from('alice').toString('hex') +
      '53724e01' +
      '000004d2' +
      '6553f22c' +
      '000000ff' +
      '00000000';
    assert.equal(Buffer.from(encodePrivateMapKeyRecord(record)).toString('hex'), expected);
  });

  it('encodes a string-room record byte for byte (ver 1, roomId 0, trailing string)', () => {
    const bytes = encodePrivateMapKeyRecord({ ...record, room: { strRoomId: 'room A' }, privileges: 42 });
    const expected =
      '01' +
      '0005' +
      '616c696365' +
      '53724e01' +
      '00000000' +
      '6553f22c' +
      '0000002a' +
      '00000000' +
      '0006' +
      '726f6f6d2041';
    assert.equal(Buffer.from(bytes).toString('hex'), expected);
  });

  it('round-trips both kinds', () => {
    for (const room of [{ roomId: 1 }, { roomId: 4294967294 }, { strRoomId: 'x' }, { strRoomId: 'y'.repeat(64) }]) {
      const r = { ...record, room, privileges: 42 };
      assert.deepEqual(decodePrivateMapKeyRecord(encodePrivateMapKeyRecord(r)), r);
    }
  });

  it('decodes from a view into a larger buffer', () => {
    const bytes = encodePrivateMapKeyRecord(record);
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 5);
    assert.deepEqual(decodePrivateMapKeyRecord(padded.subarray(5, 5 + bytes.length)), record);
  });

  const numeric = Buffer.from(encodePrivateMapKeyRecord(record));
  const stringRoom = Buffer.from(encodePrivateMapKeyRecord({ ...record, room: { strRoomId: 'abc' } }));
  const malformed: [name: string, bytes: Uint8Array, reason: string][] = [
    ['empty', new Uint8Array(0), 'short record'],
    ['a short record', numeric.subarray(0, numeric.length - 1), 'short record'],
    ['trailing bytes', Buffer.concat([numeric, Buffer.from([0])]), 'trailing bytes'],
    ['string room with trailing bytes', Buffer.concat([stringRoom, Buffer.from([0])]), 'trailing bytes'],
    ['an unknown version', Buffer.concat([Buffer.from([2]), numeric.subarray(1)]), 'unknown version'],
    [
      'a userId length past the end',
      Buffer.concat([Buffer.from([0, 0xff, 0xff]), numeric.subarray(3)]),
      'short record',
    ],
    ['an empty userId', Buffer.concat([Buffer.from([0, 0, 0]), Buffer.alloc(20)]), 'empty userId'],
    [
      'a userId that is not UTF-8',
      Buffer.concat([Buffer.from([0, 0, 1, 0xff]), Buffer.alloc(20)]),
      'text is not UTF-8',
    ],
    ['a string room without its length', stringRoom.subarray(0, stringRoom.length - 5), 'short record'],
    [
      'a string-room length past the end',
      Buffer.concat([stringRoom.subarray(0, stringRoom.length - 5), Buffer.from([0, 9, 0x61])]),
      'short record',
    ],
    [
      'an empty string room',
      Buffer.concat([stringRoom.subarray(0, stringRoom.length - 5), Buffer.from([0, 0])]),
      'empty strRoomId',
    ],
    [
      'a numeric roomId in a string-room record',
      Buffer.from(stringRoom).fill(7, 12, 16),
      'numeric roomId in a string-room record',
    ],
  ];
  for (const [name, bytes, reason] of malformed) {
    it(`rejects ${name}`, () => {
      const error = rejects(() => decodePrivateMapKeyRecord(bytes), 'PRIVATE_MAP_KEY_MALFORMED');
      assert.equal(error.message, `The PrivateMapKey record is malformed: ${reason}`);
    });
  }

  it('refuses to encode fields that do not fit', () => {
    rejects(() => encodePrivateMapKeyRecord({ ...record, userId: 'a b' }), 'INVALID_USER_ID');
    rejects(() => encodePrivateMapKeyRecord({ ...record, room: { roomId: 0 } }), 'INVALID_ROOM_ID');
    rejects(() => encodePrivateMapKeyRecord({ ...record, sdkAppId: 2 ** 32 }), 'INVALID_SDK_APP_ID');
    rejects(() => encodePrivateMapKeyRecord({ ...record, expiresAtSeconds: 2 ** 32 }), 'INVALID_EXPIRE');
    rejects(() => encodePrivateMapKeyRecord({ ...record, privileges: -1 }), 'INVALID_PRIVILEGES');
  });
});

describe('interoperability with Tencent tls-sig-api-v2', () => {
  const tencent = new TLSSigAPIv2.Api(APP, KEY);

  it('verifies Tencent PrivateMapKeys for numeric and string rooms', () => {
    const numeric = atFixedTime(NOW + 500, () => tencent.genPrivateMapKey(USER, 300, 1234, 42));
    assert.deepEqual(verify(numeric), { privileges: 42, expiresAt: NOW + 300_000, room: { roomId: 1234 } });
    const named = atFixedTime(NOW, () => tencent.genPrivateMapKeyWithStringRoomID(USER, 300, 'room A', 255));
    assert.deepEqual(verify(named, { room: { strRoomId: 'room A' } }), {
      privileges: 255,
      expiresAt: NOW + 300_000,
      room: { strRoomId: 'room A' },
    });
  });

  it('issues the same JSON document and userbuf bytes as Tencent', () => {
    const pairs: [string, string][] = [
      [atFixedTime(NOW, () => tencent.genPrivateMapKey(USER, 300, 1234, 42)), generate({ roomId: 1234 }, 42)],
      [
        atFixedTime(NOW, () => tencent.genPrivateMapKey(USER, 86400, 4294967294, 255)),
        generate({ roomId: 4294967294 }, 255, 86400),
      ],
      [
        atFixedTime(NOW, () => tencent.genPrivateMapKeyWithStringRoomID(USER, 300, 'room A', 1)),
        generate({ strRoomId: 'room A' }, 1),
      ],
    ];
    for (const [theirs, ours] of pairs) {
      assert.deepEqual(userbufOf(ours), userbufOf(theirs));
      assert.deepEqual(Object.entries(JSON.parse(rawJson(ours))), Object.entries(JSON.parse(rawJson(theirs))));
    }
  });

  it('rejects Tencent keys for another room, user, app or key', () => {
    const token = atFixedTime(NOW, () => tencent.genPrivateMapKey(USER, 300, 1234, 255));
    rejects(() => verify(token, { room: { roomId: 1235 } }), 'PRIVATE_MAP_KEY_ROOM_MISMATCH');
    rejects(() => verify(token, { room: { strRoomId: '1234' } }), 'PRIVATE_MAP_KEY_ROOM_MISMATCH');
    rejects(() => verify(token, { userId: 'bob' }), 'USERSIG_USER_MISMATCH');
    rejects(() => verify(token, { sdkAppId: APP + 1 }), 'USERSIG_APP_MISMATCH');
    rejects(() => verify(token, { secretKey: 'wrong' }), 'USERSIG_BAD_SIGNATURE');
    rejects(() => verify(token, { now: NOW + 301_000 }), 'PRIVATE_MAP_KEY_EXPIRED');
    rejects(() => verify(atFixedTime(NOW, () => tencent.genUserSig(USER, 300))), 'USERSIG_USERBUF_MISMATCH');
  });
});

describe('verifyPrivateMapKey', () => {
  it('returns the granted privileges, expiry and room', () => {
    assert.deepEqual(verify(generate({ roomId: 1234 }, PrivilegeBits.EnterRoom | PrivilegeBits.ReceiveAudio)), {
      privileges: 10,
      expiresAt: NOW + 300_000,
      room: { roomId: 1234 },
    });
  });

  it('checks the record against the claimed app and user, not only the envelope', () => {
    rejects(() => verify(envelope(encodePrivateMapKeyRecord({ ...record, userId: 'bob' }))), 'USERSIG_USER_MISMATCH');
    rejects(
      () => verify(envelope(encodePrivateMapKeyRecord({ ...record, sdkAppId: APP + 1 }))),
      'USERSIG_APP_MISMATCH',
    );
  });

  it('rejects a record that expired before its envelope', () => {
    const token = envelope(encodePrivateMapKeyRecord({ ...record, expiresAtSeconds: T + 10 }), 3600);
    verify(token, { now: NOW + 10_999 });
    const error = rejects(() => verify(token, { now: NOW + 11_000 }), 'PRIVATE_MAP_KEY_EXPIRED');
    assert.deepEqual(error.details, { expiresAt: NOW + 10_000 });
  });

  it('reports the earlier of the two expiries', () => {
    assert.equal(
      verify(envelope(encodePrivateMapKeyRecord({ ...record, expiresAtSeconds: T + 10 }), 3600)).expiresAt,
      NOW + 10_000,
    );
    assert.equal(
      verify(envelope(encodePrivateMapKeyRecord({ ...record, expiresAtSeconds: T + 9000 }), 60)).expiresAt,
      NOW + 60_000,
    );
  });

  it('reports an expired envelope as an expired PrivateMapKey', () => {
    const error = rejects(() => verify(generate({ roomId: 1234 }), { now: NOW + 301_000 }), 'PRIVATE_MAP_KEY_EXPIRED');
    assert.ok(error.cause instanceof ConclaveError && error.cause.code === 'USERSIG_EXPIRED');
  });

  it('rejects a signed but malformed record', () => {
    rejects(() => verify(envelope(new Uint8Array([0, 1, 2]))), 'PRIVATE_MAP_KEY_MALFORMED');
    rejects(() => verify(envelope(new Uint8Array(0))), 'PRIVATE_MAP_KEY_MALFORMED');
  });

  it('keeps only the nine defined privilege bits (TRTC eight + Record)', () => {
    assert.equal(verify(envelope(encodePrivateMapKeyRecord({ ...record, privileges: 0x1ff02 }))).privileges, 0x102);
  });

  it('validates generation input', () => {
    rejects(() => generate({ roomId: 1234 }, 512), 'INVALID_PRIVILEGES');
    rejects(() => generate({ roomId: 1234 }, 1.5), 'INVALID_PRIVILEGES');
    rejects(() => generate({ roomId: 0 }), 'INVALID_ROOM_ID');
    rejects(() => generate({ strRoomId: 'a/b' }), 'INVALID_ROOM_ID');
    rejects(() => generate({ roomId: 1 }, 255, -5), 'INVALID_EXPIRE');
  });
});

describe('requirePrivilege', () => {
  it('passes when every required bit is granted', () => {
    requirePrivilege(PrivilegeBits.All, PrivilegeBits.SendVideo);
    requirePrivilege(PrivilegeBits.EnterRoom | PrivilegeBits.SendAudio, PrivilegeBits.SendAudio);
  });

  it('throws PRIVILEGE_MISSING with the required bit', () => {
    const error = rejects(
      () => requirePrivilege(PrivilegeBits.EnterRoom, PrivilegeBits.SendSubStream),
      'PRIVILEGE_MISSING',
    );
    assert.deepEqual(error.details, { required: 64 });
    rejects(() => requirePrivilege(PrivilegeBits.EnterRoom, PrivilegeBits.All), 'PRIVILEGE_MISSING');
  });
});
