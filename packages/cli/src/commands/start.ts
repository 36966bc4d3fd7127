/** `conclave start`: loads and validates configuration, starts the server, prints where it listens. */
import { parseArgs } from 'node:util';
import { createLogger, loadConfig, startConclave, type ConfigInput } from '@conclave/server';

export const START_USAGE = `conclave start [--dev [--dev-allow-remote]] [--config file.json] [--host addr] [--port n]
  --dev          development mode: generated dev app, keys and self-signed certificate (non-loopback), demo page signs UserSigs
  --dev-allow-remote  allow dev mode on a non-loopback --host (anyone who reaches it gets dev UserSigs)
  --config FILE  JSON configuration file (also CONCLAVE_CONFIG); environment variables override it, flags override both`;

export async function startCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      dev: { type: 'boolean' },
      'dev-allow-remote': { type: 'boolean' },
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
    },
  });
  const overrides: ConfigInput = {};
  if (values.dev) overrides.dev = true;
  if (values['dev-allow-remote']) overrides.devAllowRemote = true;
  if (values.host !== undefined || values.port !== undefined) {
    overrides.http = {
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values.port !== undefined
        ? { port: /^\d+$/.test(values.port) ? Number(values.port) : (values.port as unknown as number) }
        : {}),
    };
  }
  const config = loadConfig({ ...(values.config ? { file: values.config } : {}), overrides });
  const log = createLogger(config.log.level);
  const server = await startConclave(config, log);
  process.stdout.write(
    `\nConclave is running at ${server.url}/\n${config.dev ? 'Dev mode: the demo page signs UserSigs with the dev app key. Never use dev mode in production.\n' : ''}\n`,
  );
  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    // In a cluster the node first stops taking new rooms, so joins arriving meanwhile are placed elsewhere.
    server
      .drain()
      .then(() => server.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
