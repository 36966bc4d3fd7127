// The store contract on SQLite, each test on its own temporary database file (WAL needs a real file).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStoreContract } from './contract.ts';

runStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-store-'));
  return {
    config: { driver: 'sqlite', path: path.join(dir, 'conclave.db') },
    dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
