/**
 * A Store is one database (SQLite file or PostgreSQL database) holding the Conclave schema.
 * Repositories (apps/, telemetry/, privacy/) are written once against `store.db` and run on both dialects.
 */
import type { CompiledQuery, Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Dialect } from './migrations.ts';
import type { Database, TableName } from './schema.ts';
import { openSqliteStore } from './sqlite/open.ts';
import { openPostgresStore } from './postgres/open.ts';

/** Where one store lives. */
export type StoreConfig = { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };

/** An open, migrated database. */
export interface Store {
  /** Region (or other) name the store serves; used in logs and receipts. */
  readonly name: string;
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  /**
   * Runs a compiled SELECT and returns each row as an array in select order. Used for large reads (a call's
   * timeline) where building one object per row would dominate the time.
   */
  selectArrays(query: CompiledQuery): Promise<unknown[][]>;
  /**
   * Makes deleted rows of `table` unrecoverable from the database files (after crypto-shredding): SQLite
   * checkpoints and truncates the WAL (secure_delete already zeroes freed pages); PostgreSQL rewrites the table.
   */
  scrubDeleted(table: TableName): Promise<void>;
  /** Closes the connection(s); further queries fail. */
  close(): Promise<void>;
}

/** Options shared by both implementations. */
export interface OpenStoreOptions {
  name: string;
  logger: Logger;
}

/** Opens a store and migrates it to the newest schema. */
export function openStore(config: StoreConfig, options: OpenStoreOptions): Promise<Store> {
  return config.driver === 'sqlite' ? openSqliteStore(config.path, options) : openPostgresStore(config.url, options);
}
