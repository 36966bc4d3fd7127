/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EnterRoomOptions } from './options.ts';
import { parseCustomMessage, parseEnterRoomOptions, parseVolume } from './params.ts';
import { RtcError } from './errors.ts';

const base: EnterRoomOptions = { sdkAppId: 1400000001, userId: 'alice_1', userSig: 'sig', roomId: 8888 };

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RtcError ? err.code : -1;
  }
  return undefined;
}

test('enterRoom defaults follow TRTC', () => {
  assert.deepEqual(parseEnterRoomOptions(base), {
    sdkAppId: 1400000001,
    userId: 'alice_1',
    userSig: 'sig',
    room: { roomId: 8888 },
    role: 'anchor',
    scene: 'rtc',
    privateMapKey: undefined,
    autoReceiveAudio: true,
    autoReceiveVideo: false,
    e2ee: undefined,
    requireE2ee: false,
    userName: undefined,
    roomPassword: undefined,
  });
  assert.deepEqual(parseEnterRoomOptions({ ...base, e2ee: { mode: 'shared', secret: 's3cret' } }).e2ee, {
    mode: 'shared',
    secret: 's3cret',
  });
  assert.equal(parseEnterRoomOptions({ ...base, e2ee: { mode: 'managed' }, requireE2ee: true }).requireE2ee, true);
  assert.equal(parseEnterRoomOptions({ ...base, userName: 'Alice', roomPassword: 'pw' }).userName, 'Alice');
  for (const bad of [{ userName: '' }, { userName: 'x'.repeat(65) }, { userName: 'a\u0000b' }, { roomPassword: '' }]) {
    assert.throws(
      () => parseEnterRoomOptions({ ...base, ...bad }),
      (e: RtcError) => e.code === 5000,
    );
  }
  assert.deepEqual(parseEnterRoomOptions({ ...base, roomId: undefined, strRoomId: '123' }).room, { strRoomId: '123' });
  assert.deepEqual(
    parseEnterRoomOptions({ ...base, strRoomId: 'x' }).room,
    { roomId: 8888 },
    'roomId wins, as in TRTC',
  );
});

test('bad enterRoom parameters fail with 5000 before any network', () => {
  const bad: unknown[] = [
    undefined,
    { ...base, sdkAppId: 0 },
    { ...base, sdkAppId: '1400000001' },
    { ...base, userId: '' },
    { ...base, userId: 'a'.repeat(33) },
    { ...base, userId: 'bad id' },
    { ...base, userSig: '' },
    { ...base, roomId: 0 },
    { ...base, roomId: 4294967295 },
    { ...base, roomId: 1.5 },
    { ...base, roomId: undefined },
    { ...base, roomId: undefined, strRoomId: 'x'.repeat(65) },
    { ...base, roomId: undefined, strRoomId: 'bad*room' },
    { ...base, role: 'host' },
    { ...base, scene: 'meeting' },
    { ...base, autoReceiveAudio: 'yes' },
    { ...base, e2ee: 'on' },
    { ...base, e2ee: { mode: 'mls' } },
    { ...base, e2ee: { mode: 'shared' } },
    { ...base, e2ee: { mode: 'shared', secret: '' } },
    { ...base, e2ee: { mode: 'shared', secret: 'x'.repeat(1025) } },
    { ...base, requireE2ee: true },
    { ...base, e2ee: { mode: 'managed' }, requireE2ee: 'yes' },
  ];
  for (const options of bad)
    assert.equal(
      code(() => parseEnterRoomOptions(options as EnterRoomOptions)),
      5000,
      JSON.stringify(options),
    );
});

test('custom messages: cmdId 1..10 and at most 1 KB of ArrayBuffer', () => {
  assert.equal(parseCustomMessage({ cmdId: 10, data: new ArrayBuffer(1024) }).bytes.byteLength, 1024);
  for (const m of [
    { cmdId: 0, data: new ArrayBuffer(1) },
    { cmdId: 11, data: new ArrayBuffer(1) },
    { cmdId: 1, data: new ArrayBuffer(1025) },
    { cmdId: 1, data: 'text' },
  ]) {
    assert.equal(
      code(() => parseCustomMessage(m as never)),
      5000,
      JSON.stringify(m),
    );
  }
});

test('volume is 0..100', () => {
  assert.equal(parseVolume('f', 50), 50);
  assert.equal(
    code(() => parseVolume('f', 101)),
    5000,
  );
  assert.equal(
    code(() => parseVolume('f', Number.NaN)),
    5000,
  );
});

test('e2ee.verifyPeerKey must be a function', () => {
  const verifyPeerKey = (): boolean => true;
  assert.equal(parseEnterRoomOptions({ ...base, e2ee: { mode: 'managed', verifyPeerKey } }).e2ee?.mode, 'managed');
  const bad = { ...base, e2ee: { mode: 'managed', verifyPeerKey: 'yes' } } as unknown as EnterRoomOptions;
  assert.equal(
    code(() => parseEnterRoomOptions(bad)),
    5000,
  );
});
