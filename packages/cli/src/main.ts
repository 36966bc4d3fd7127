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
  conclave audit verify|list|checkpoint ...
                 verifies and lists the tamper-evident audit log in the configured control store (exit 1 on a problem)
  conclave operator create --email E --role owner|admin|support|auditor [--password-stdin]
  conclave operator list
                 creates (prints a generated password once) and lists console operators in the control store
  conclave turn-config
                 prints the turnserver.conf for a production coturn from the configuration (turn.*, TLS files)
  conclave bench [--scenario livestream|meeting|audio-room] [--subscribers 1,10,25,50] [--duration s] ...
                 load generator and side-by-side benchmark (Conclave, bare mediasoup, Janus); see docs/benchmarks.md
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

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
    case 'audit': {
      const [{ auditCommand }, server] = await Promise.all([import('./commands/audit.ts'), import('@conclave/server')]);
      const config = server.loadConfig();
      const log = server.createLogger('warn');
      const stores = await server.openConfiguredStores(config, log);
      const audit = server.openAuditLog(config, stores, log);
      try {
        const { output, exitCode } = await auditCommand(rest, { audit });
        process.stdout.write(`${output}\n`);
        process.exitCode = exitCode;
      } finally {
        await audit.close();
        await stores.close();
      }
      return;
    }
    case 'operator': {
      const [{ operatorCommand }, server] = await Promise.all([
        import('./commands/operator.ts'),
        import('@conclave/server'),
      ]);
      const config = server.loadConfig();
      const log = server.createLogger('warn');
      const stores = await server.openConfiguredStores(config, log);
      const audit = server.openAuditLog(config, stores, log);
      try {
        const operators = server.openOperatorAccounts(config, stores);
        process.stdout.write(`${await operatorCommand(rest, { operators, audit, readStdin })}\n`);
      } finally {
        await audit.close();
        await stores.close();
      }
      return;
    }
    case 'turn-config': {
      const server = await import('@conclave/server');
      process.stdout.write(await server.turnserverConf(server.loadConfig()));
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
