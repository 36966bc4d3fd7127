/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes } from '@conclave/protocol';
import { ERROR_CODE, RtcError, trtcCodeForServerCode } from './errors.ts';
import { SignalFailure } from './signal-client.ts';

test('server codes map to TRTC codes', () => {
  assert.equal(trtcCodeForServerCode('ROLE_CANNOT_PUBLISH'), 5100);
  assert.equal(trtcCodeForServerCode('SUB_STREAM_TAKEN'), 5100);
  assert.equal(trtcCodeForServerCode('USERSIG_EXPIRED'), 5400);
  assert.equal(trtcCodeForServerCode('USERSIG_APP_MISMATCH'), 5400);
  assert.equal(trtcCodeForServerCode('ROOM_FULL'), 5400);
  assert.equal(trtcCodeForServerCode('INVALID_USER_ID'), 5000);
  assert.equal(trtcCodeForServerCode('SIGNAL_RATE_LIMITED'), 5500);
  assert.equal(trtcCodeForServerCode('SOMETHING_NEW'), 5400);
  const valid = new Set<number>(Object.values(ERROR_CODE));
  for (const code of Object.keys(ErrorCodes)) assert.ok(valid.has(trtcCodeForServerCode(code)), code);
});

test('RtcError.from keeps the server code and message of a refusal', () => {
  const err = RtcError.from(
    'startLocalVideo',
    new SignalFailure('server', 'Audience members cannot publish', 'ROLE_CANNOT_PUBLISH'),
  );
  assert.equal(err.code, 5100);
  assert.equal(err.serverCode, 'ROLE_CANNOT_PUBLISH');
  assert.equal(err.functionName, 'startLocalVideo');
  assert.match(err.message, /ROLE_CANNOT_PUBLISH/);
  assert.equal(err.name, 'RtcError');
});

test('transport failures, aborts and unknown throws get their codes', () => {
  assert.equal(RtcError.from('enterRoom', new SignalFailure('timeout', 'slow')).code, 5500);
  assert.equal(RtcError.from('enterRoom', new SignalFailure('connect', 'refused')).code, 5500);
  assert.equal(RtcError.from('enterRoom', new SignalFailure('aborted', 'exitRoom')).code, 5998);
  assert.equal(RtcError.from('sendCustomMessage', new SignalFailure('too_large', 'big')).code, 5000);
  const unsupported = Object.assign(new Error('no handler'), { name: 'UnsupportedError' });
  assert.equal(RtcError.from('enterRoom', unsupported).code, 5200);
  assert.equal(RtcError.from('x', 'weird').code, 5999);
  const same = RtcError.invalidParameter('f', 'm');
  assert.equal(RtcError.from('g', same), same);
});
