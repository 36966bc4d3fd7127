/** The embedded store: better-sqlite3 in WAL mode behind Kysely's SqliteDialect. */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { ConclaveError } from '@conclave/protocol';
import { migrateToLatest } from '../migrations.ts';
import type { Database } from '../schema.ts';
import type { OpenStoreOptions, Store } from '../store.ts';

/** Opens (creating if needed) a SQLite database file, or `:memory:`, and migrates it. */
export async function openSqliteStore(file: string, options: OpenStoreOptions): Promise<Store> {
  let handle: BetterSqlite3.Database;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    handle = new BetterSqlite3(file);
  } catch (cause) {
    throw new ConclaveError('STORE_UNAVAILABLE', `Cannot open SQLite store "${options.name}"`, {
      cause,
      details: { store: options.name },
    });
  }
  // WAL lets readers (API queries) run while the telemetry writer commits; NORMAL is durable across app crashes
  // and loses at most the last commits on power loss, acceptable for logs and quality data.
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  handle.pragma('busy_timeout = 5000');
  // Deleted rows are overwritten with zeros, so erased data and destroyed keys do not linger in free pages.
  handle.pragma('secure_delete = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
  await migrateToLatest(db, 'sqlite');
  options.logger.info({ store: options.name, driver: 'sqlite' }, 'store opened');
  return {
    name: options.name,
    dialect: 'sqlite',
    db,
    selectArrays: async (query) =>
      handle
        .prepare(query.sql)
        .raw(true)
        .all(...(query.parameters as unknown[])) as unknown[][],
    scrubDeleted: async () => {
      // The WAL still holds frames written before the delete; a TRUNCATE checkpoint folds them in and empties it.
      handle.pragma('wal_checkpoint(TRUNCATE)');
    },
    close: () => db.destroy(),
  };
}
