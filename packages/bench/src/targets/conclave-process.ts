/**
 * Conclave as its own process for the bench, so its Node CPU is counted apart from the load generator's driver:
 * the configuration overrides come as JSON in CONCLAVE_BENCH_OVERRIDES. Prints one JSON line
 * `{"url": …, "workerPids": […]}` once listening; stops on SIGTERM or when its stdin closes (the bench died).
 */
import { createLogger, loadConfig, startConclave, type ConfigInput } from '@conclave/server';

const overrides = JSON.parse(process.env.CONCLAVE_BENCH_OVERRIDES ?? '{}') as ConfigInput;
const server = await startConclave(
  loadConfig({ env: {}, overrides }),
  createLogger(process.env.CONCLAVE_BENCH_LOG ?? 'silent'),
);
process.stdout.write(`${JSON.stringify({ url: server.url, workerPids: server.workers.workers.map((w) => w.pid) })}\n`);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
