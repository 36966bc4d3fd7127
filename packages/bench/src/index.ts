/** `@conclave/bench`: the load generator and benchmark suite behind `conclave bench`. */
export { benchCommand, runBench, BENCH_USAGE, type BenchReport } from './bench.ts';
export type { RunResult } from './run.ts';
