/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODE, RtcError } from './errors.ts';
import { signalUrl, TRTC } from './trtc.ts';

function refusal(fn: () => unknown): RtcError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RtcError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

test('ws:// to a non-loopback host is refused unless allowInsecureTransport', () => {
  for (const server of [
    'ws://rtc.example.com',
    'http://rtc.example.com:8080',
    'http://10.0.0.5',
    'http://[2001:db8::1]',
  ]) {
    const err = refusal(() => signalUrl(server));
    assert.equal(err.code, ERROR_CODE.INVALID_PARAMETER, server);
    assert.match(err.message, /allowInsecureTransport/, server);
    assert.equal(refusal(() => TRTC.create({ server })).code, ERROR_CODE.INVALID_PARAMETER, server);
  }
  assert.equal(signalUrl('ws://rtc.example.com', { allowInsecureTransport: true }), 'ws://rtc.example.com/signal');
  assert.ok(TRTC.create({ server: 'http://rtc.example.com', allowInsecureTransport: true }));
});

test('loopback hosts may use ws://, and wss:// is always fine', () => {
  for (const server of [
    'ws://localhost:8080',
    'http://LOCALHOST',
    'http://media.localhost',
    'http://127.0.0.1:3000',
    'http://127.42.0.9',
    'http://[::1]:3000',
    'https://rtc.example.com',
    'wss://rtc.example.com/base/',
  ]) {
    assert.match(signalUrl(server), /^wss?:\/\/.+\/signal$/, server);
  }
  assert.equal(signalUrl('https://rtc.example.com/base/'), 'wss://rtc.example.com/base/signal');
});

test('names that only look like loopback are not loopback', () => {
  for (const server of ['http://localhost.example.com', 'http://127.0.0.1.example.com', 'http://128.0.0.1']) {
    assert.equal(refusal(() => signalUrl(server)).code, ERROR_CODE.INVALID_PARAMETER, server);
  }
});
