/**
 * The embedded store: better-sqlite3 in WAL mode behind Kysely's SqliteDialect.
 * A full disk (or a database at its `max_page_count`) makes SQLite fail the statement with SQLITE_FULL and roll
 * its transaction back, leaving the file intact; every such failure surfaces as ConclaveError STORE_FULL.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: typedErrors(handle, options.name) }) });
  await migrateToLatest(db, 'sqlite');
  options.logger.info({ store: options.name, driver: 'sqlite' }, 'store opened');
  return {
    name: options.name,
    dialect: 'sqlite',
    db,
    selectArrays: async (query) =>
      translated(
        options.name,
        () =>
          handle
            .prepare(query.sql)
            .raw(true)
            .all(...(query.parameters as unknown[])) as unknown[][],
      ),
    scrubDeleted: async () => {
      // The WAL still holds frames written before the delete; a TRUNCATE checkpoint folds them in and empties it.
      handle.pragma('wal_checkpoint(TRUNCATE)');
    },
    close: () => db.destroy(),
  };
}

/** SQLite's result codes for "no room left": the disk, the file system quota, or `max_page_count`. */
const FULL_CODES = new Set(['SQLITE_FULL']);

/** Runs one SQLite call and turns a full-disk failure into STORE_FULL (other errors pass unchanged). */
function translated<T>(store: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && FULL_CODES.has(code))
      throw new ConclaveError('STORE_FULL', `SQLite store "${store}" is full; nothing was written`, {
        cause,
        details: { store },
      });
    throw cause;
  }
}

/** The better-sqlite3 handle as Kysely sees it, with full-disk failures typed. */
function typedErrors(handle: BetterSqlite3.Database, store: string): SqliteDatabase {
  return {
    close: () => handle.close(),
    prepare(sql: string): SqliteStatement {
      const statement = translated(store, () => handle.prepare(sql));
      // SQLite rolls a transaction back by itself when a statement fails with SQLITE_FULL; Kysely then sends
      // ROLLBACK, which would fail with "no transaction is active" and hide the STORE_FULL that caused it.
      const rollback = /^\s*rollback\b/i.test(sql);
      return {
        reader: statement.reader,
        all: (parameters) => translated(store, () => statement.all(...parameters)),
        run: (parameters) => {
          if (rollback && !handle.inTransaction) return { changes: 0, lastInsertRowid: 0 };
          return translated(store, () => statement.run(...parameters));
        },
        iterate: (parameters) => translated(store, () => statement.iterate(...parameters)),
      };
    },
  };
}
