/**
 * Janus gathers ICE candidates only on non-loopback interfaces (it skips IFF_LOOPBACK), so it cannot serve
 * media on 127.0.0.1. To keep the comparison off every real network, its runs happen in a private network
 * namespace (`unshare -n`, root) that holds only `lo` and a veth pair with a private address: the bench
 * re-executes itself there, and nothing in the namespace is reachable from outside it.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../run.ts';
import type { ScenarioOptions } from '../scenario.ts';

/** The namespace's only non-loopback address (a veth pair whose both ends stay inside). */
export const JANUS_NAMESPACE_ADDRESS = '10.77.0.1';

export interface JanusJob {
  runs: ScenarioOptions[];
}

const SETUP = [
  'ip link set lo up',
  'ip link add cb0 type veth peer name cb1',
  `ip addr add ${JANUS_NAMESPACE_ADDRESS}/24 dev cb0`,
  'ip link set cb1 up',
  'ip link set cb0 up',
].join(' && ');

/** Runs the Janus scenarios in the namespace; progress lines go to `progress`. */
export async function runJanusIsolated(job: JanusJob, progress: (line: string) => void): Promise<RunResult[]> {
  const entry = fileURLToPath(new URL('../main.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    'unshare',
    ['-n', '--', 'sh', '-c', `${SETUP} && exec "$0" --import "$1" "$2" __janus-child`, process.execPath, tsx, entry],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CONCLAVE_BENCH_JANUS_JOB: JSON.stringify(job) } },
  );
  const results: RunResult[] = [];
  const stderr: string[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('RESULT ')) results.push(JSON.parse(line.slice(7)) as RunResult);
    else progress(line);
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`Janus runs failed (exit ${code}): ${stderr.slice(-15).join('\n')}`);
  return results;
}
