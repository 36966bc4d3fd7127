/** `conclave bench`: forwards to the load generator and benchmark suite in packages/bench. */
export { BENCH_USAGE } from '@conclave/bench';

/** Runs `conclave bench ...` with the arguments after the verb (loaded lazily: it pulls in the server). */
export async function benchCommand(argv: string[]): Promise<void> {
  const { benchCommand: run } = await import('@conclave/bench');
  await run(argv);
}
