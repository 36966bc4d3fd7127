// The inventory must declare exactly the tables and columns the migrated schema has, on both stores.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { describeSchema } from '../storage/introspect.ts';
import { createTestPostgresDatabase } from '../storage/postgres/test-database.ts';
import { openStore } from '../storage/store.ts';
import type { StoreConfig } from '../storage/store.ts';
import { APP_PURGE_TABLES, DATA_INVENTORY, USER_ERASURE_TABLES } from './inventory.ts';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

function declared(): Record<string, string[]> {
  return Object.fromEntries(Object.entries(DATA_INVENTORY).map(([t, e]) => [t, Object.keys(e.columns).sort()]));
}

async function schemaOf(config: StoreConfig): Promise<Record<string, string[]>> {
  const store = await openStore(config, { name: 'inventory-check', logger });
  try {
    return await describeSchema(store);
  } finally {
    await store.close();
  }
}

function assertMatches(actual: Record<string, string[]>, dialect: string) {
  const inventory = declared();
  const undeclared = Object.entries(actual).flatMap(([t, cols]) =>
    inventory[t] === undefined
      ? [`table ${t}`]
      : cols.filter((c) => !inventory[t]?.includes(c)).map((c) => `${t}.${c}`),
  );
  const missing = Object.entries(inventory).flatMap(([t, cols]) =>
    actual[t] === undefined ? [`table ${t}`] : cols.filter((c) => !actual[t]?.includes(c)).map((c) => `${t}.${c}`),
  );
  assert.deepEqual(undeclared, [], `${dialect}: stored but not declared in privacy/inventory.ts`);
  assert.deepEqual(missing, [], `${dialect}: declared in privacy/inventory.ts but not stored`);
}

test('inventory matches the migrated SQLite schema exactly', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-inv-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  assertMatches(await schemaOf({ driver: 'sqlite', path: path.join(dir, 'x.db') }), 'sqlite');
});

test('inventory matches the migrated PostgreSQL schema exactly', async () => {
  const db = await createTestPostgresDatabase();
  cleanups.push(() => db.drop());
  assertMatches(await schemaOf({ driver: 'postgres', url: db.url }), 'postgres');
});

test('the check itself catches an undeclared column and a missing table', () => {
  const actual = declared();
  actual.quality_samples = [...(actual.quality_samples ?? []), 'gps_location'];
  assert.throws(() => assertMatches(actual, 'test'), /gps_location/);
  const fewer = declared();
  delete fewer.usage_daily;
  assert.throws(() => assertMatches(fewer, 'test'), /table usage_daily/);
});

test('every table with a user_id is erased by deletion requests and purged with its app', () => {
  for (const [table, entry] of Object.entries(DATA_INVENTORY)) {
    if ('user_id' in entry.columns) {
      assert.ok((USER_ERASURE_TABLES as readonly string[]).includes(table), `${table} holds user_id but is not erased`);
      assert.ok(entry.columns.user_id?.personal, `${table}.user_id must be marked personal`);
    }
    if (entry.region === 'app_region' && entry.retention.purgedWithApp) {
      assert.ok((APP_PURGE_TABLES as readonly string[]).includes(table), `${table} is not purged with its app`);
    }
  }
});

test('every entry names a category, purpose, legal basis, retention and region', () => {
  for (const [table, e] of Object.entries(DATA_INVENTORY)) {
    assert.ok(e.purpose.length > 0 && e.retention.summary.length > 0, table);
    assert.ok(
      ['configuration', 'backend_log', 'quality', 'sdk_log', 'account', 'key_material', 'audit'].includes(e.category),
      table,
    );
    assert.ok(['contract', 'legitimate_interest', 'legal_obligation'].includes(e.legalBasis), table);
    assert.ok(['control_store', 'app_region', 'each_store'].includes(e.region), table);
  }
});
