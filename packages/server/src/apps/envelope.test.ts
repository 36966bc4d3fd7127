import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { generateDataKey, openField, parseMasterKey, sealField, unwrapDataKey, wrapDataKey } from './envelope.ts';

const master = parseMasterKey(crypto.randomBytes(32).toString('hex'));

test('master key: hex or base64 of 32 bytes; anything else is refused', () => {
  const raw = crypto.randomBytes(32);
  assert.equal(parseMasterKey(raw.toString('base64')).id, parseMasterKey(raw.toString('hex')).id);
  for (const bad of ['', 'abc', crypto.randomBytes(16).toString('hex'), crypto.randomBytes(31).toString('base64')]) {
    assert.throws(() => parseMasterKey(bad), /MASTER_KEY|32 bytes/);
  }
});

test('data key wrap/unwrap; wrong master key, other app or tampering fail', () => {
  const dk = generateDataKey();
  const wrapped = wrapDataKey(master, dk, 1400000001);
  assert.deepEqual(unwrapDataKey(master, wrapped, 1400000001), dk);
  const other = parseMasterKey(crypto.randomBytes(32).toString('hex'));
  assert.throws(() => unwrapDataKey(other, wrapped, 1400000001), /unwrapped/);
  assert.throws(() => unwrapDataKey(master, wrapped, 1400000002), /unwrapped/);
  const tampered = Buffer.from(wrapped);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
  assert.throws(() => unwrapDataKey(master, tampered, 1400000001), /unwrapped/);
});

test('sealed fields are bound to their app and field', () => {
  const dk = generateDataKey();
  const sealed = sealField(dk, 1400000001, 'secret_key', 's3cret');
  assert.equal(openField(dk, 1400000001, 'secret_key', sealed), 's3cret');
  assert.throws(() => openField(dk, 1400000001, 'callback_key', sealed));
  assert.throws(() => openField(dk, 1400000009, 'secret_key', sealed));
  assert.throws(() => openField(generateDataKey(), 1400000001, 'secret_key', sealed));
  assert.notDeepEqual(sealField(dk, 1, 'f', 'same'), sealField(dk, 1, 'f', 'same'), 'random IV per seal');
});
