import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const MAIN = path.join(import.meta.dirname, 'main.ts');

function conclave(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 30_000,
  });
}

test('conclave start refuses bad configuration with a clear message and exit code 1', () => {
  const run = conclave(['start', '--port', 'eighty']);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /CONFIG_INVALID: invalid configuration/);
  assert.match(run.stderr, /http\.port/);
});

test('conclave start refuses plain HTTP on a public address outside dev mode', () => {
  const run = conclave(['start', '--host', '0.0.0.0', '--port', '0']);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /CONFIG_INSECURE/);
});

test('unknown commands and flags print usage', () => {
  const unknown = conclave(['launch']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown command "launch"/);
  const flag = conclave(['start', '--frobnicate']);
  assert.equal(flag.status, 1);
  assert.match(flag.stderr, /usage: conclave/);
});
