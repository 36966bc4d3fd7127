/** Reads the actual schema of a store, for the privacy inventory check. */
import type { Store } from './store.ts';

/** Table name → sorted column names, for every table except Kysely's own migration bookkeeping. */
export async function describeSchema(store: Store): Promise<Record<string, string[]>> {
  const tables = await store.db.introspection.getTables({ withInternalKyselyTables: false });
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    if (table.isView || table.name.startsWith('sqlite_')) continue;
    out[table.name] = table.columns.map((c) => c.name).sort();
  }
  return out;
}
