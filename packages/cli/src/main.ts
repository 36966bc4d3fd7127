/** Entry point of the `conclave` command: dispatches to one command module per verb. */
import { ConclaveError } from '@conclave/protocol';
import { START_USAGE, startCommand } from './commands/start.ts';

const USAGE = `usage: conclave <command> [options]

commands:
  ${START_USAGE.split('\n').join('\n  ')}
  conclave usersig --app <id> --key <secret> --user <id> [--expire s] [--room n | --str-room s] [--privileges bits]
                 prints a UserSig, or a PrivateMapKey when a room is given (developer helper)
  conclave app create|list|rotate-key|terminate ...
  conclave app api-key create|list|revoke <sdkAppId> ...
                 manages apps and their Cloud API credentials in the configured stores (same configuration as the server)
  conclave bench [--scenario livestream|meeting|audio-room] [--subscribers 1,10,25,50] [--duration s] ...
                 load generator and side-by-side benchmark (Conclave, bare mediasoup, Janus); see docs/benchmarks.md
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return startCommand(rest);
    case 'usersig': {
      const { usersigCommand } = await import('./commands/usersig.ts');
      process.stdout.write(`${usersigCommand(rest)}\n`);
      return;
    }
    case 'app': {
      const [{ appCommand }, server] = await Promise.all([import('./commands/app.ts'), import('@conclave/server')]);
      const config = server.loadConfig();
      const stores = await server.openConfiguredStores(config, server.createLogger('warn'));
      try {
        process.stdout.write(`${await appCommand(rest, { apps: stores.apps, regionNames: stores.regionNames })}\n`);
      } finally {
        await stores.close();
      }
      return;
    }
    case 'bench': {
      const { benchCommand } = await import('./commands/bench.ts');
      return benchCommand(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new ConclaveError('CONFIG_INVALID', `unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConclaveError) {
    process.stderr.write(`conclave: ${error.code}: ${error.message}\n`);
  } else if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`conclave: ${error.message}\n\n${USAGE}`);
  } else {
    process.stderr.write(`conclave: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
