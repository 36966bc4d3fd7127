// `conclave audit` against a real AuditLog on a SQLite file. (Test-only reach into the server: it proves the
// AuditLog satisfies AuditCommandContext; the CLI source itself never imports the server.)
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { ConclaveError } from '@conclave/protocol';
import { AuditLog } from '../../../server/src/audit/audit-log.ts';
import { sampleEntry } from '../../../server/src/audit/audit-contract.ts';
import { openStore } from '../../../server/src/storage/store.ts';
import { auditCommand } from './audit.ts';
import type { AuditCommandContext } from './audit.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cli-audit-'));
const store = await openStore(
  { driver: 'sqlite', path: path.join(dir, 'c.db') },
  { name: 'c', logger: pino({ level: 'silent' }) },
);
const audit = new AuditLog({ store, masterKey: crypto.randomBytes(32), logger: pino({ level: 'silent' }) });
const ctx: AuditCommandContext = { audit };
after(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('verify ok, list, checkpoint; a tampered record fails verify with exit 1 and is named', async () => {
  for (let i = 0; i < 6; i++) await audit.append(sampleEntry(i));
  assert.match((await auditCommand(['checkpoint'], ctx)).output, /signed checkpoint at seq 6/);
  const ok = await auditCommand(['verify'], ctx);
  assert.equal(ok.exitCode, 0);
  assert.match(ok.output, /^audit log ok: 6 records, 1 signed checkpoints, head seq 6/);
  assert.ok(ok.output.includes(audit.publicKeyHex));
  const list = await auditCommand(['list', '--limit', '2'], ctx);
  assert.equal(list.output.split('\n').length, 2);
  assert.match(
    list.output,
    /^\s+6\s+\S+Z\s+denied\s+operator:op-2\(support\)\s+apps\.update\s+app=1400000002 room=room-5/,
  );
  const json = JSON.parse((await auditCommand(['list', '--action', 'apps.update', '--json'], ctx)).output) as {
    seq: number;
  }[];
  assert.deepEqual(
    json.map((r) => r.seq),
    [6, 4, 2],
  );

  await store.db.updateTable('audit_records').set({ actor_id: 'someone-else' }).where('seq', '=', 3).execute();
  const bad = await auditCommand(['verify'], ctx);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.output, /^audit log FAILED verification at record 3 \(edited\)/);
  const badJson = JSON.parse((await auditCommand(['verify', '--json'], ctx)).output) as {
    firstProblem: { seq: number };
  };
  assert.equal(badJson.firstProblem.seq, 3);
});

test('bad arguments are AUDIT_QUERY_INVALID or AUDIT_PUBLIC_KEY_INVALID', async () => {
  const code = (c: string) => (e: unknown) => e instanceof ConclaveError && e.code === c;
  await assert.rejects(auditCommand(['list', '--limit', '0'], ctx), code('AUDIT_QUERY_INVALID'));
  await assert.rejects(auditCommand(['shred'], ctx), code('AUDIT_QUERY_INVALID'));
  await assert.rejects(auditCommand(['verify', '--public-key', 'abcd'], ctx), code('AUDIT_PUBLIC_KEY_INVALID'));
});
