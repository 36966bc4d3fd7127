import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAIN = path.join(import.meta.dirname, 'main.ts');

function conclave(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 30_000,
  });
}

test('conclave start refuses bad configuration with a clear message and exit code 1', () => {
  const run = conclave(['start', '--port', 'eighty']);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /CONFIG_INVALID: invalid configuration/);
  assert.match(run.stderr, /http\.port/);
});

test('conclave start refuses plain HTTP on a public address outside dev mode', () => {
  const masterKey = Buffer.alloc(32, 7).toString('base64');
  const run = conclave(['start', '--host', '0.0.0.0', '--port', '0'], { CONCLAVE_MASTER_KEY: masterKey });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /CONFIG_INSECURE/);
});

test('unknown commands and flags print usage', () => {
  const unknown = conclave(['launch']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown command "launch"/);
  const flag = conclave(['start', '--frobnicate']);
  assert.equal(flag.status, 1);
  assert.match(flag.stderr, /usage: conclave/);
});

test('conclave app works on the configured stores', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cli-'));
  const env = { CONCLAVE_DEV: '1', CONCLAVE_DATA_DIR: dataDir };
  const created = conclave(['app', 'create', '--name', 'Cli app', '--json'], env);
  assert.equal(created.status, 0, created.stderr);
  const list = conclave(['app', 'list'], env);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /Cli app/);
  assert.match(list.stdout, /1400000001 .*dev/);
});

test('outside dev mode the master key is required', () => {
  const run = conclave(['start', '--port', '0'], {
    CONCLAVE_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cli-')),
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /CONFIG_INVALID: security\.masterKey \(CONCLAVE_MASTER_KEY\) is required outside dev mode/);
});

test('conclave audit verify exits 0 on an intact log and 1 naming the record once one is edited', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cli-audit-'));
  const env = { CONCLAVE_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'), CONCLAVE_DATA_DIR: dataDir };
  const empty = conclave(['audit', 'verify'], env);
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stdout, /audit log ok: 0 records/);
  // Write records through the real log (same master key → same checkpoint key), then edit one with SQL.
  const { default: Database } = await import('better-sqlite3');
  const { openStore } = await import('../../server/src/storage/store.ts');
  const { AuditLog } = await import('../../server/src/audit/audit-log.ts');
  const { sampleEntry } = await import('../../server/src/audit/audit-contract.ts');
  const { pino } = await import('pino');
  const file = path.join(dataDir, 'conclave.db');
  const store = await openStore({ driver: 'sqlite', path: file }, { name: 'cli', logger: pino({ level: 'silent' }) });
  const audit = new AuditLog({ store, masterKey: Buffer.alloc(32, 9), logger: pino({ level: 'silent' }) });
  for (let i = 0; i < 4; i++) await audit.append(sampleEntry(i));
  await audit.checkpoint();
  await store.close();
  const ok = conclave(['audit', 'verify'], env);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /audit log ok: 4 records, 1 signed checkpoints/);
  const db = new Database(file);
  db.prepare("UPDATE audit_records SET result = 'ok' WHERE seq = 1").run();
  db.close();
  const bad = conclave(['audit', 'verify'], env);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /FAILED verification at record 1 \(edited\)/);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
