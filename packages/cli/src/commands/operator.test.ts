// `conclave operator` against real OperatorAccounts and AuditLog on a SQLite file (test-only reach into the server).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { ConclaveError } from '@conclave/protocol';
import { AuditLog } from '../../../server/src/audit/audit-log.ts';
import { OperatorAccounts } from '../../../server/src/operators/accounts.ts';
import { openStore } from '../../../server/src/storage/store.ts';
import { operatorCommand } from './operator.ts';
import type { OperatorCommandContext } from './operator.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cli-operator-'));
const store = await openStore(
  { driver: 'sqlite', path: path.join(dir, 'c.db') },
  { name: 'c', logger: pino({ level: 'silent' }) },
);
const masterKey = crypto.randomBytes(32);
const audit = new AuditLog({ store, masterKey, logger: pino({ level: 'silent' }) });
const operators = new OperatorAccounts({ store, masterKey });
const ctx = (stdin = ''): OperatorCommandContext => ({ operators, audit, readStdin: async () => stdin });
after(async () => {
  await audit.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('create prints a generated password once (it signs in), --password-stdin takes one, list shows both; audited', async () => {
  const out = await operatorCommand(['create', '--email', 'Root@Example.com', '--role', 'owner'], ctx());
  const password = /password \(shown once\): (\S+)/.exec(out)?.[1];
  assert.ok(password && password.length >= 20);
  assert.equal((await operators.checkPassword('root@example.com', password)).role, 'owner');
  const json = JSON.parse(
    await operatorCommand(
      ['create', '--email', 'sup@example.com', '--role', 'support', '--password-stdin', '--json'],
      ctx('a piped password\n'),
    ),
  );
  assert.equal(json.password, undefined);
  assert.equal((await operators.checkPassword('sup@example.com', 'a piped password')).id, json.operator.id);
  const list = await operatorCommand(['list'], ctx());
  assert.match(list, /root@example\.com {2}owner {2}active {2}no-totp/);
  assert.match(list, /sup@example\.com {2}support/);
  const records = await audit.list({ action: 'operators.create' });
  assert.equal(records.length, 2);
  await assert.rejects(
    () => operatorCommand(['create', '--email', 'x@example.com', '--role', 'god'], ctx()),
    (e: unknown) => e instanceof ConclaveError && e.code === 'OPERATOR_INVALID',
  );
});
