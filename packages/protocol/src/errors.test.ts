import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ConclaveError, ErrorCodes, isErrorCode } from './errors.ts';

test('every code is a stable SCREAMING_SNAKE name with its own message', () => {
  const codes = Object.keys(ErrorCodes);
  assert.ok(codes.length > 50);
  for (const code of codes) assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code);
  const messages = Object.values(ErrorCodes);
  assert.ok(messages.every((m) => m.length > 10));
  assert.equal(new Set(messages).size, messages.length, 'no two codes share a message (they would be one code)');
});

test('the registry source declares each code once (a repeated key would silently replace the first)', () => {
  const source = fs.readFileSync(new URL('./errors.ts', import.meta.url), 'utf8');
  const declared = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
  assert.equal(new Set(declared).size, declared.length);
  assert.deepEqual(new Set(declared), new Set(Object.keys(ErrorCodes)));
});

test('ConclaveError carries code, default message, details and cause; isErrorCode knows the registry', () => {
  const cause = new Error('inner');
  const e = new ConclaveError('ROOM_FULL', undefined, { details: { limit: 300 }, cause });
  assert.equal(e.message, ErrorCodes.ROOM_FULL);
  assert.deepEqual(e.toJSON(), { code: 'ROOM_FULL', message: ErrorCodes.ROOM_FULL, details: { limit: 300 } });
  assert.equal(e.cause, cause);
  assert.equal(isErrorCode('ROOM_FULL'), true);
  assert.equal(isErrorCode('toString'), false, 'prototype names are not codes');
  assert.equal(isErrorCode(42), false);
});
