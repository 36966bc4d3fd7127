// Property: whatever single edit, deletion, insertion or swap is made to a valid audit log with direct SQL,
// verify fails and names the record and the kind of tampering. (SQLite; the contract runs fixed cases on both.)
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { openStore } from '../storage/store.ts';
import { AuditLog } from './audit-log.ts';
import { pick, sampleEntry, tamper } from './audit-contract.ts';
import type { Tampering } from './audit-contract.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-audit-'));
const store = await openStore(
  { driver: 'sqlite', path: path.join(dir, 'audit.db') },
  { name: 'audit', logger: pino({ level: 'silent' }) },
);
after(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const N = 12;

test('any single tampering makes verify fail and name the place', async () => {
  const audit = new AuditLog({
    store,
    masterKey: crypto.randomBytes(32),
    logger: pino({ level: 'silent' }),
    checkpointEveryRecords: 0,
  });
  for (let i = 0; i < N; i++) {
    await audit.append(sampleEntry(i));
    if (i === 4 || i === 9) await audit.checkpoint();
  }
  assert.equal((await audit.verify()).ok, true);
  const snapshot = await store.db.selectFrom('audit_records').selectAll().execute();

  const seq = fc.integer({ min: 1, max: N });
  const tampering: fc.Arbitrary<Tampering> = fc.oneof(
    fc.record({
      kind: fc.constant('edit' as const),
      seq,
      field: fc.constantFrom('action', 'actor_id', 'detail', 'result', 'at', 'hash', 'prev_hash' as const),
    }),
    fc.record({ kind: fc.constant('delete' as const), seq }),
    fc.record({ kind: fc.constant('insert' as const), after: seq, forgeHash: fc.boolean() }),
    fc
      .tuple(seq, seq)
      .filter(([a, b]) => a !== b)
      .map(([a, b]) => ({ kind: 'swap' as const, seq: a, other: b })),
  );
  await fc.assert(
    fc.asyncProperty(tampering, async (t) => {
      try {
        const expected = await tamper(store, t);
        const result = await audit.verify();
        assert.equal(result.ok, false);
        assert.deepEqual(pick(result), expected, result.firstProblem?.message);
      } finally {
        await store.db.deleteFrom('audit_records').execute();
        await store.db.insertInto('audit_records').values(snapshot).execute();
      }
    }),
    { numRuns: 80 },
  );
  assert.equal((await audit.verify()).ok, true, 'restored');
});
