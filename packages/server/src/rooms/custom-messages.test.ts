import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, throwsCode } from './test-fixtures.ts';

test('only anchors may send custom messages', () => {
  const { directory, admit } = setup();
  const carol = admit('carol', { role: 'audience' }).participant;
  throwsCode(() => directory.sendCustomMessage(carol, 10), 'CUSTOM_MESSAGE_FORBIDDEN');
});

test('each sender gets its own sequence numbers from 1', () => {
  const { directory, admit } = setup();
  const alice = admit('alice').participant;
  const bob = admit('bob').participant;
  assert.deepEqual(
    [directory.sendCustomMessage(alice, 1), directory.sendCustomMessage(alice, 1), directory.sendCustomMessage(bob, 1)],
    [1, 2, 1],
  );
});

test('at most 30 messages per second; the allowance returns with the clock', () => {
  const { directory, admit, clock } = setup();
  const alice = admit('alice').participant;
  for (let i = 0; i < 30; i++) directory.sendCustomMessage(alice, 1);
  throwsCode(() => directory.sendCustomMessage(alice, 1), 'CUSTOM_MESSAGE_RATE_LIMITED');
  clock.advance(34); // one message refills every 33.3 ms
  assert.equal(directory.sendCustomMessage(alice, 1), 31, 'refused messages take no sequence number');
  throwsCode(() => directory.sendCustomMessage(alice, 1), 'CUSTOM_MESSAGE_RATE_LIMITED');
  clock.advance(1000);
  for (let i = 0; i < 30; i++) directory.sendCustomMessage(alice, 1);
});

test('at most 8 KB per second, counted separately per sender', () => {
  const { directory, admit, clock } = setup();
  const alice = admit('alice').participant;
  const bob = admit('bob').participant;
  for (let i = 0; i < 8; i++) directory.sendCustomMessage(alice, 1024);
  throwsCode(() => directory.sendCustomMessage(alice, 1), 'CUSTOM_MESSAGE_RATE_LIMITED');
  directory.sendCustomMessage(bob, 1024);
  clock.advance(500);
  for (let i = 0; i < 4; i++) directory.sendCustomMessage(alice, 1024);
  throwsCode(() => directory.sendCustomMessage(alice, 1024), 'CUSTOM_MESSAGE_RATE_LIMITED');
});

test('a refused message charges neither bucket', () => {
  const { directory, admit } = setup({ customMessages: { messagesPerSecond: 5, bytesPerSecond: 100 } });
  const alice = admit('alice').participant;
  throwsCode(() => directory.sendCustomMessage(alice, 101), 'CUSTOM_MESSAGE_RATE_LIMITED');
  for (let i = 0; i < 5; i++) directory.sendCustomMessage(alice, 20);
});
