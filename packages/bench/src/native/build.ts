/**
 * Builds the bench's small C programs with the machine's compiler, once per source version, into a cache
 * directory (they link OpenSSL and libsrtp2, which scripts/setup.sh installs for the mediasoup worker).
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const NATIVE_DIR = fileURLToPath(new URL('../../native', import.meta.url));

export type NativeProgram = 'bench-peer' | 'floor';

const LIBS: Record<NativeProgram, string[]> = {
  'bench-peer': ['-lssl', '-lcrypto', '-lsrtp2'],
  floor: ['-lcrypto', '-lpthread'],
};

/** Where built programs and generated media are kept between runs. */
export function benchCacheDir(): string {
  return process.env.CONCLAVE_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'conclave', 'bench');
}

/** Returns the path of the built program, compiling it first if its source changed. */
export async function ensureNative(program: NativeProgram): Promise<string> {
  const source = path.join(NATIVE_DIR, `${program}.c`);
  const hash = crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 12);
  const binary = path.join(benchCacheDir(), 'bin', `${program}-${hash}`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  const tmp = `${binary}.tmp${process.pid}`;
  try {
    await run(cc, ['-O2', '-Wall', '-Wno-deprecated-declarations', '-o', tmp, source, ...LIBS[program]]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`cannot build ${program} with ${cc} (needs libssl-dev and libsrtp2-dev): ${stderr}`);
  }
  fs.renameSync(tmp, binary);
  return binary;
}
