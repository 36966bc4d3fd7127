// The store contract on PostgreSQL: a fresh database per test, dropped afterwards. No PostgreSQL → failure.
import { runStoreContract } from './contract.ts';
import { createTestPostgresDatabase } from './postgres/test-database.ts';

runStoreContract('postgres', async () => {
  const db = await createTestPostgresDatabase();
  return { config: { driver: 'postgres', url: db.url }, dispose: () => db.drop() };
});
