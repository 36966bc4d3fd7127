#!/usr/bin/env node
// Runs the recorder through tsx (no build step, like the rest of Conclave).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
const main = path.join(import.meta.dirname, '../src/main.ts');
const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
