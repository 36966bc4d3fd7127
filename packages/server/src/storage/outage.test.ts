import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConclaveError } from '@conclave/protocol';
import { isStoreOutage } from './outage.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('outages (kept for a retry) are told from errors that would repeat (dropped)', () => {
  const outages: unknown[] = [
    withCode('ECONNREFUSED'),
    withCode('ECONNRESET'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03', 'the database system is starting up'),
    withCode('08006'),
    withCode('53100', 'could not extend file: No space left on device'),
    withCode('SQLITE_FULL'),
    withCode('SQLITE_BUSY'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new ConclaveError('STORE_UNAVAILABLE'),
    new ConclaveError('STORE_FULL'),
    new Error('wrapped', { cause: withCode('ECONNREFUSED') }),
  ];
  for (const err of outages) assert.equal(isStoreOutage(err), true, String(err));
  const lasting: unknown[] = [
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('42P01', 'relation does not exist'),
    withCode('22001'),
    withCode('SQLITE_CONSTRAINT_UNIQUE'),
    new ConclaveError('CALLBACK_QUEUE_FULL'),
    new ConclaveError('APP_TERMINATED'),
    new Error('boom'),
    'a string',
    null,
    undefined,
  ];
  for (const err of lasting) assert.equal(isStoreOutage(err), false, String(err));
});
