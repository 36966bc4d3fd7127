// Audit benchmark (figures, not a test): append rate with batching (target ≥ 5,000 records/s), and the time to
// verify the chain, on SQLite and PostgreSQL (PostgreSQL on 127.0.0.1:5432; skipped when unreachable).
//   node --import tsx packages/server/bench/audit.bench.ts [--records 50000]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AuditLog } from '../src/audit/audit-log.ts';
import { sampleEntry } from '../src/audit/audit-contract.ts';
import { createTestPostgresDatabase } from '../src/storage/postgres/test-database.ts';
import { openStore } from '../src/storage/store.ts';
import type { StoreConfig } from '../src/storage/store.ts';

const argIndex = process.argv.indexOf('--records');
const RECORDS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 50_000;
const logger = pino({ level: 'silent' });

async function bench(label: string, config: StoreConfig): Promise<void> {
  const store = await openStore(config, { name: 'bench', logger });
  try {
    const audit = new AuditLog({ store, masterKey: crypto.randomBytes(32), logger });
    const entries = Array.from({ length: 1000 }, (_, i) => sampleEntry(i));
    // As a busy server appends: many callers at once, none waiting for the others (default batching and checkpoints).
    const start = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < RECORDS; i++) pending.push(audit.append(entries[i % 1000] as (typeof entries)[number]));
    await Promise.all(pending);
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `${label}: append ${RECORDS} records in ${seconds.toFixed(2)} s = ${Math.round(RECORDS / seconds)} records/s (failed ${audit.failedAppends}, checkpoints ${(await audit.checkpoints()).length})`,
    );
    const verifyStart = performance.now();
    const result = await audit.verify();
    const verifySeconds = (performance.now() - verifyStart) / 1000;
    console.log(
      `${label}: verify ${result.records} records, ${result.checkpoints} checkpoints in ${verifySeconds.toFixed(2)} s (ok ${result.ok})`,
    );
  } finally {
    await store.close();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-audit-bench-'));
try {
  await bench('sqlite', { driver: 'sqlite', path: path.join(dir, 'audit.db') });
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
let pg: Awaited<ReturnType<typeof createTestPostgresDatabase>> | undefined;
try {
  pg = await createTestPostgresDatabase();
} catch {
  console.log('postgres: skipped (no PostgreSQL on 127.0.0.1:5432)');
}
if (pg) {
  try {
    await bench('postgres', { driver: 'postgres', url: pg.url });
  } finally {
    await pg.drop();
  }
}
