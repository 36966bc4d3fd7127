/**
 * Test support: a fresh PostgreSQL database per test file, dropped afterwards, so tests never touch anyone
 * else's data. PostgreSQL being absent is a failure with a clear message, never a skip: the contract suite
 * must prove both stores.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { describePostgresUrl } from './open.ts';

/** Server used by tests; override with CONCLAVE_TEST_PG_URL (any database on the server you may CREATE DATABASE from). */
export function testPostgresAdminUrl(): string {
  return process.env.CONCLAVE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** A throwaway database: its URL and a function that drops it. */
export interface TestPostgresDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates `conclave_t_<random>` on the test server. */
export async function createTestPostgresDatabase(): Promise<TestPostgresDatabase> {
  const adminUrl = testPostgresAdminUrl();
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (cause) {
    throw new Error(
      `PostgreSQL is required for the storage tests and is not reachable at ${describePostgresUrl(adminUrl)} ` +
        `(${cause instanceof Error ? cause.message : String(cause)}). Start PostgreSQL or set CONCLAVE_TEST_PG_URL.`,
      { cause },
    );
  }
  const name = `conclave_t_${crypto.randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
