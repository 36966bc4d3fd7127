/** Stand-alone entry of the bench (`node --import tsx packages/bench/src/main.ts ...`); the CLI forwards here too. */
import { benchCommand } from './bench.ts';

benchCommand(process.argv.slice(2)).then(
  // The media peer and sockets are closed; exit even if a library left a timer behind.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `conclave bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
