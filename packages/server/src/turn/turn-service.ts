/**
 * TURN for clients the SFU cannot reach directly. Issues ephemeral credentials for the join answer and, with
 * `turn.spawn` (dev, tests), runs coturn as a child process on the rendered configuration — Conclave does not
 * rely on the system's coturn service — choosing free ports when asked, and stopping it on close.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net, { isIP } from 'node:net';
import path from 'node:path';
import type { IceServer } from '@conclave/protocol';
import { ConclaveError } from '@conclave/protocol';
import type { Config } from '../config.ts';
import { createLogger, type Logger } from '../logger.ts';
import { iceServersFor, loadOrCreateTurnSecret } from './credentials.ts';
import { TurnClient } from './turn-client.ts';
import { isDeniedPeer, isLoopbackIp, renderTurnserverConf, type TurnServerSettings } from './turnserver-conf.ts';

/** Where the HTTP server's certificate lives, for TURN over TLS when none is configured for TURN. */
export interface HttpCertificate {
  certFile: string;
  keyFile: string;
}

export interface TurnServiceOptions {
  dataDir: string;
  /** The HTTP server's certificate files, if it has them (dev: the generated self-signed one). */
  httpCertificate?: HttpCertificate | undefined;
  now?: () => number;
}

const READY_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 2_000;
const LOG_TAIL_LINES = 20;

export class TurnService {
  readonly urls: readonly string[];
  readonly #secret: string;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  readonly #child: ChildProcess | undefined;
  readonly #log: Logger;
  /** The configuration coturn runs with (spawned) or should run with (production: write it out). */
  readonly settings: TurnServerSettings;

  private constructor(init: {
    urls: readonly string[];
    secret: string;
    ttlSeconds: number;
    now: () => number;
    child: ChildProcess | undefined;
    log: Logger;
    settings: TurnServerSettings;
  }) {
    this.urls = init.urls;
    this.#secret = init.secret;
    this.#ttlSeconds = init.ttlSeconds;
    this.#now = init.now;
    this.#child = init.child;
    this.#log = init.log;
    this.settings = init.settings;
  }

  /** TURN as configured, or undefined when `turn.enabled` is off. */
  static async start(config: Config, log: Logger, options: TurnServiceOptions): Promise<TurnService | undefined> {
    if (!config.turn.enabled) return undefined;
    const secret = config.turn.secret ?? (config.dev ? loadOrCreateTurnSecret(options.dataDir) : undefined);
    if (!secret) throw new ConclaveError('CONFIG_INVALID', 'turn.secret (CONCLAVE_TURN_SECRET) is required');
    const settings = await resolveSettings(config, secret, options, log);
    const common = {
      secret,
      ttlSeconds: config.turn.credentialTtlSeconds,
      now: options.now ?? Date.now,
      log,
      settings,
    };
    if (!config.turn.spawn) {
      return new TurnService({ ...common, urls: config.turn.urls, child: undefined });
    }
    const child = await spawnCoturn(config.turn.binary, settings, options.dataDir, log);
    const urls = config.turn.urls.length > 0 ? config.turn.urls : spawnedUrls(settings);
    log.info({ urls, tls: settings.tls !== undefined }, 'coturn started');
    return new TurnService({ ...common, urls, child });
  }

  /** The iceServers of a join answer for `userId`: fresh credentials valid for the configured TTL. */
  iceServers(userId: string): IceServer[] {
    return iceServersFor(this.urls, { secret: this.#secret, userId, ttlSeconds: this.#ttlSeconds, now: this.#now() });
  }

  /** Stops the spawned coturn (SIGTERM, then SIGKILL after 2 s). */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.#log.info('coturn stopped');
  }
}

/**
 * The turnserver.conf a production coturn should run with for `config` (`conclave turn-config`): the same
 * policy as the spawned one, on the configured ports, with TLS from turn.tls* or the HTTP certificate files.
 */
export async function turnserverConf(config: Config): Promise<string> {
  const secret = config.turn.secret;
  if (!secret) throw new ConclaveError('CONFIG_INVALID', 'turn.secret (CONCLAVE_TURN_SECRET) is required');
  const { tlsCertFile, tlsKeyFile } = config.http;
  const httpCertificate = tlsCertFile && tlsKeyFile ? { certFile: tlsCertFile, keyFile: tlsKeyFile } : undefined;
  const settings = await resolveSettings(
    { ...config, turn: { ...config.turn, spawn: false } },
    secret,
    {
      dataDir: '',
      httpCertificate,
    },
    // Written to stdout as a file: the missing-TLS notice is the file's own `no-tls` line, not a log line.
    createLogger('silent'),
  );
  return renderTurnserverConf(settings);
}

async function resolveSettings(
  config: Config,
  secret: string,
  options: TurnServiceOptions,
  log: Logger,
): Promise<TurnServerSettings> {
  const { turn, media } = config;
  const sfu = [media.announcedAddress, media.listenIp].filter((a): a is string => a !== undefined && isIP(a) !== 0);
  const listenIp = turn.listenIp ?? sfu.find((a) => a !== '0.0.0.0' && a !== '::') ?? media.listenIp;
  // The SFU's own private address must stay reachable through the relay; loopback never is.
  const allowedPeerIps = [
    ...new Set([...turn.allowedPeerIps, ...sfu.filter((a) => isDeniedPeer(a) && !isLoopbackIp(a))]),
  ];
  const free = turn.spawn && (turn.port === 0 || turn.tlsPort === 0);
  const port = turn.port === 0 && free ? await freeUdpTcpPort(listenIp) : turn.port;
  const certificate =
    turn.tlsCertFile && turn.tlsKeyFile
      ? { certFile: turn.tlsCertFile, keyFile: turn.tlsKeyFile }
      : options.httpCertificate;
  let tls: TurnServerSettings['tls'];
  if (certificate) {
    tls = { port: turn.tlsPort === 0 ? await freeUdpTcpPort(listenIp) : turn.tlsPort, ...certificate };
  } else if (turn.spawn) {
    log.warn('TURN over TLS is off: no certificate (set turn.tlsCertFile/tlsKeyFile or http.tlsCertFile/tlsKeyFile)');
  }
  return {
    listenIp,
    externalIp: turn.externalIp,
    port,
    tls,
    relayMinPort: turn.relayMinPort,
    relayMaxPort: turn.relayMaxPort,
    realm: turn.realm,
    secret,
    userQuota: turn.userQuota,
    totalQuota: turn.totalQuota,
    allowedPeerIps,
    pidFile: turn.spawn ? path.join(options.dataDir, 'turn', 'turnserver.pid') : undefined,
  };
}

/** The URLs of a spawned coturn: UDP and TCP on its port, TLS when it has a certificate. */
export function spawnedUrls(s: TurnServerSettings): string[] {
  const raw = s.externalIp ?? s.listenIp;
  const host = raw.includes(':') ? `[${raw}]` : raw;
  return [
    `turn:${host}:${s.port}?transport=udp`,
    `turn:${host}:${s.port}?transport=tcp`,
    ...(s.tls ? [`turns:${host}:${s.tls.port}?transport=tcp`] : []),
  ];
}

/** A port free for both UDP and TCP on `host` right now (the child binds it a moment later). */
async function freeUdpTcpPort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, host, () => resolve((tcp.address() as net.AddressInfo).port));
    });
    const udp = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
    if (udpFree) return port;
  }
  throw new ConclaveError('TURN_START_FAILED', `no port free for both UDP and TCP on ${host}`);
}

async function spawnCoturn(
  binary: string,
  settings: TurnServerSettings,
  dataDir: string,
  log: Logger,
): Promise<ChildProcess> {
  const dir = path.join(dataDir, 'turn');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const confFile = path.join(dir, 'turnserver.conf');
  if (settings.pidFile) stopLeftover(settings.pidFile, confFile, log);
  // The file holds the shared secret.
  fs.writeFileSync(confFile, renderTurnserverConf(settings), { mode: 0o600 });
  fs.chmodSync(confFile, 0o600);
  const child = spawn(binary, ['-c', confFile, '--db', path.join(dir, 'turndb')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      log.debug({ coturn: line.slice(0, 500) }, 'coturn');
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new ConclaveError('TURN_START_FAILED', `cannot run ${binary} (install coturn)`, { cause: err })),
    );
    child.once('exit', (code, signal) =>
      reject(
        new ConclaveError(
          'TURN_START_FAILED',
          `coturn exited (${signal ?? code}) before it answered:\n  ${tail.join('\n  ')}`,
        ),
      ),
    );
  });
  failed.catch(() => undefined);
  try {
    await Promise.race([waitUntilAnswering(settings), failed]);
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  }
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') log.error({ code, signal, tail }, 'coturn exited unexpectedly');
  });
  return child;
}

/**
 * A coturn left running by a server that died without closing (its pid file names it, and its command line
 * names this data directory's configuration) would hold the ports and the old secret: stop it.
 */
function stopLeftover(pidFile: string, confFile: string, log: Logger): void {
  let pid: number;
  let cmdline: string;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // no pid file, or that process is gone
  }
  if (!Number.isInteger(pid) || pid <= 1 || !cmdline.split('\0').includes(confFile)) return;
  log.warn({ pid }, 'stopping a coturn left running by an earlier start');
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}

/** Polls with STUN Binding requests until coturn answers on its UDP port. */
async function waitUntilAnswering(settings: TurnServerSettings): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const host = settings.listenIp === '0.0.0.0' ? '127.0.0.1' : settings.listenIp;
  const probe = await TurnClient.open({ host, port: settings.port, username: '', password: '', timeoutMs: 300 });
  try {
    for (;;) {
      try {
        await probe.binding();
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new ConclaveError('TURN_START_FAILED', `coturn did not answer on ${host}:${settings.port}`, {
            cause: err,
          });
        }
      }
    }
  } finally {
    probe.close();
  }
}
