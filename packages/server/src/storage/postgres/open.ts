/** The production store: PostgreSQL through a pg Pool behind Kysely's PostgresDialect. */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { ConclaveError } from '@conclave/protocol';
import { migrateToLatest } from '../migrations.ts';
import type { Database } from '../schema.ts';
import type { OpenStoreOptions, Store } from '../store.ts';

const INT8_OID = 20;

// Times and ids are BIGINT; pg returns int8 as strings by default. Every value we store is below 2^53, so parse
// to number for this pool only (no global pg.types mutation that would surprise other users of pg).
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The host/database part of a URL, safe to log (no password). */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}

/** Connects to PostgreSQL, checks the connection and migrates. */
export async function openPostgresStore(url: string, options: OpenStoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, types, max: 10 });
  // An idle client that loses its server emits 'error' on the pool; without a listener Node would crash.
  pool.on('error', (err) => options.logger.error({ store: options.name, err: err.message }, 'postgres pool error'));
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new ConclaveError(
      'STORE_UNAVAILABLE',
      `Cannot reach PostgreSQL for store "${options.name}" at ${describePostgresUrl(url)}`,
      {
        cause,
        details: { store: options.name, target: describePostgresUrl(url) },
      },
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db, 'postgres');
  options.logger.info({ store: options.name, driver: 'postgres', target: describePostgresUrl(url) }, 'store opened');
  return {
    name: options.name,
    dialect: 'postgres',
    db,
    selectArrays: async (query) =>
      (await pool.query({ text: query.sql, values: [...query.parameters], rowMode: 'array' })).rows as unknown[][],
    scrubDeleted: async (table) => {
      // VACUUM FULL writes live rows to a new file and unlinks the old one that still held the deleted tuples.
      // (Write-ahead log segments and backups keep them until recycled; unwrapping still needs the master key.)
      await sql`VACUUM FULL ${sql.table(table)}`.execute(db);
    },
    close: () => db.destroy(),
  };
}
