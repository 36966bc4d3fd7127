import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConclaveError, type ErrorCode } from '@conclave/protocol';
import { verifyPrivateMapKey, verifyUserSig } from '../../../server/src/auth/index.ts';
import { usersigCommand } from './usersig.ts';

const SECRET = 'cli-secret-key-0123456789';
const BASE = ['--app', '1400000001', '--key', SECRET, '--user', 'alice'];

function rejects(argv: string[], code: ErrorCode): ConclaveError {
  let caught: unknown;
  try {
    usersigCommand(argv);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConclaveError, `expected ConclaveError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(!caught.message.includes(SECRET), 'the secret key must not appear in the message');
  return caught;
}

describe('conclave usersig', () => {
  it('prints a UserSig valid for a day by default', () => {
    const before = Date.now();
    const token = usersigCommand(BASE);
    const claims = verifyUserSig(token, {
      sdkAppId: 1400000001,
      userId: 'alice',
      secretKey: SECRET,
      expectUserbuf: false,
    });
    assert.equal(claims.expireSeconds, 86400);
    assert.ok(claims.issuedAt * 1000 <= Date.now() && claims.issuedAt * 1000 > before - 1000);
  });

  it('honours --expire', () => {
    const token = usersigCommand([...BASE, '--expire', '60']);
    assert.equal(verifyUserSig(token, { sdkAppId: 1400000001, userId: 'alice', secretKey: SECRET }).expireSeconds, 60);
  });

  it('prints a PrivateMapKey with all privileges for 300 s when a room is given', () => {
    const token = usersigCommand([...BASE, '--room', '1234']);
    const key = verifyPrivateMapKey(token, {
      sdkAppId: 1400000001,
      userId: 'alice',
      secretKey: SECRET,
      room: { roomId: 1234 },
    });
    assert.equal(key.privileges, 255);
    assert.ok(key.expiresAt <= Date.now() + 300_000 && key.expiresAt > Date.now() + 298_000);
  });

  it('prints a PrivateMapKey for a string room with the given privileges', () => {
    const token = usersigCommand([...BASE, '--str-room', 'room A', '--privileges', '42', '--expire', '600']);
    const key = verifyPrivateMapKey(token, {
      sdkAppId: 1400000001,
      userId: 'alice',
      secretKey: SECRET,
      room: { strRoomId: 'room A' },
    });
    assert.deepEqual(key.room, { strRoomId: 'room A' });
    assert.equal(key.privileges, 42);
  });

  it('accepts --flag=value spelling', () => {
    const token = usersigCommand(['--app=1400000001', `--key=${SECRET}`, '--user=alice', '--room=5']);
    verifyPrivateMapKey(token, { sdkAppId: 1400000001, userId: 'alice', secretKey: SECRET, room: { roomId: 5 } });
  });

  it('reports usage errors without echoing the arguments', () => {
    rejects([], 'CONFIG_INVALID');
    rejects(['--app', '1400000001', '--user', 'alice'], 'CONFIG_INVALID');
    rejects([...BASE, '--room', '1', '--str-room', 'a'], 'CONFIG_INVALID');
    rejects([...BASE, '--privileges', '3'], 'CONFIG_INVALID');
    rejects([...BASE, '--unknown'], 'CONFIG_INVALID');
    rejects([...BASE, `--kye=${SECRET}`], 'CONFIG_INVALID');
    rejects(['--app', '1400000001', '--user', 'alice', '--key'], 'CONFIG_INVALID');
    rejects([...BASE, SECRET], 'CONFIG_INVALID');
  });

  it('reports bad values with the code of the field', () => {
    rejects(['--app', 'abc', '--key', SECRET, '--user', 'alice'], 'INVALID_SDK_APP_ID');
    rejects(['--app', '0x10', '--key', SECRET, '--user', 'alice'], 'INVALID_SDK_APP_ID');
    rejects(['--app', '0', '--key', SECRET, '--user', 'alice'], 'INVALID_SDK_APP_ID');
    rejects(['--app', '4294967296', '--key', SECRET, '--user', 'alice'], 'INVALID_SDK_APP_ID');
    rejects(['--app', '1400000001', '--key', '', '--user', 'alice'], 'INVALID_SECRET_KEY');
    rejects(['--app', '1400000001', '--key', SECRET, '--user', 'al ice'], 'INVALID_USER_ID');
    rejects([...BASE, '--expire=-5'], 'INVALID_EXPIRE');
    rejects([...BASE, '--expire', '1e3'], 'INVALID_EXPIRE');
    rejects([...BASE, '--expire', '999999999'], 'INVALID_EXPIRE');
    rejects([...BASE, '--room', '0'], 'INVALID_ROOM_ID');
    rejects([...BASE, '--room', '12.5'], 'INVALID_ROOM_ID');
    rejects([...BASE, '--str-room', 'a/b'], 'INVALID_ROOM_ID');
    rejects([...BASE, '--room', '1', '--privileges', '512'], 'INVALID_PRIVILEGES');
    rejects([...BASE, '--room', '1', '--privileges', 'all'], 'INVALID_PRIVILEGES');
  });
});
