/**
 * The one place that reads configuration. Sources, later ones winning: built-in defaults, a JSON file
 * (`CONCLAVE_CONFIG` or `--config`), environment variables, then explicit overrides (CLI flags).
 * Everything is validated at start; a bad value stops the server with a message naming the field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import { isAllowedHostEntry } from './callbacks/url-policy.ts';

const port = z.number().int().min(0).max(65535);
const nonEmpty = z.string().min(1);
/** A browser Origin as browsers send it: scheme, host and optional port, nothing else. */
const origin = z
  .string()
  .max(256)
  .refine((o) => URL.canParse(o) && new URL(o).origin === o, 'must be an origin such as https://app.example.com');

const regionStore = z.discriminatedUnion('driver', [
  z.object({ driver: z.literal('sqlite'), path: nonEmpty }).strict(),
  z.object({ driver: z.literal('postgres'), url: nonEmpty }).strict(),
]);

export const configSchema = z
  .object({
    /** Dev mode: generated dev app and keys, demo page signs UserSigs. Never for production. */
    dev: z.boolean().default(false),
    /** Dev mode on a non-loopback address is refused unless this is set: `/dev/usersig` signs for anyone. */
    devAllowRemote: z.boolean().default(false),
    dataDir: nonEmpty.default('.conclave'),
    http: z
      .object({
        host: nonEmpty.default('127.0.0.1'),
        port: port.default(8443),
        /** PEM files; when both are given the server speaks HTTPS + WSS. */
        tlsCertFile: nonEmpty.optional(),
        tlsKeyFile: nonEmpty.optional(),
        /** Plain HTTP beyond loopback is refused unless this is set (e.g. behind a TLS-terminating proxy). */
        allowInsecureHttp: z.boolean().default(false),
        bodyLimitBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(64 * 1024),
        requestTimeoutMs: z.number().int().min(1000).max(300_000).default(30_000),
        headersTimeoutMs: z.number().int().min(1000).max(60_000).default(10_000),
        keepAliveTimeoutMs: z.number().int().min(1000).max(120_000).default(5_000),
        /**
         * Proxies whose X-Forwarded-For is believed (addresses, CIDRs, or `loopback`/`linklocal`/`uniquelocal`).
         * Empty: the socket's peer is the client — behind a proxy every user then shares one IP's limits.
         */
        trustProxy: z.array(nonEmpty).max(64).default([]),
      })
      .strict()
      .prefault({}),
    media: z
      .object({
        /** mediasoup workers; 0 = one per CPU core. */
        workers: z.number().int().min(0).max(256).default(0),
        listenIp: nonEmpty.default('127.0.0.1'),
        /** The address clients reach media on (public IP or hostname) when listenIp is 0.0.0.0. */
        announcedAddress: nonEmpty.optional(),
        rtcMinPort: z.number().int().min(1024).max(65535).default(40000),
        rtcMaxPort: z.number().int().min(1024).max(65535).default(49999),
        logLevel: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
        /** ICE over UDP; false leaves ICE-TCP only (TCP candidates are always offered as the fallback). */
        enableUdp: z.boolean().default(true),
        /** How often each worker is asked for its resource usage; a worker that does not answer is hung. 0 = never. */
        workerProbeIntervalMs: z.number().int().min(0).max(600_000).default(5_000),
        /** How long a probe may take before it counts as missed. */
        workerProbeTimeoutMs: z.number().int().min(10).max(600_000).default(2_000),
        /** Missed probes in a row after which the worker is killed (SIGKILL) and replaced like one that died. */
        workerProbeMisses: z.number().int().min(1).max(100).default(3),
      })
      .strict()
      .prefault({}),
    recording: z
      .object({
        /**
         * Where Cloud API recording tasks (CreateCloudRecording) write their files: the customer's storage
         * mounted on this host. Unset: those actions are refused. E2EE rooms need the on-premises recorder.
         */
        directory: nonEmpty.optional(),
        /** TRTC's RestrictedConcurrency: recording tasks one app may run at once. */
        maxConcurrentPerApp: z.number().int().min(1).max(100).default(10),
        /**
         * Where a file goes whose upload to the customer's bucket (CloudStorage) failed after its retries; default
         * `<directory>/upload-failed`. An operator re-uploads from there (a 308 callback names the failure).
         */
        backupDirectory: nonEmpty.optional(),
        /** Upload tries per file before it goes to the backup directory. */
        uploadAttempts: z.number().int().min(1).max(10).default(3),
        /**
         * Which CloudStorage endpoints (EndpointUrl, or the vendor's) the server may upload to: like callbacks,
         * https to public addresses only unless relaxed here (an on-premises MinIO: list it in allowedHosts).
         */
        storageEndpoints: z
          .object({
            allowedHosts: z
              .array(
                z.string().max(253).refine(isAllowedHostEntry, 'must be a host name, an IP address or a CIDR range'),
              )
              .max(1000)
              .default([]),
            allowPrivateNetworks: z.boolean().default(false),
            allowInsecureHttp: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    turn: z
      .object({
        /** Give clients TURN servers with ephemeral credentials in the join answer. */
        enabled: z.boolean().default(false),
        /**
         * TURN URLs handed to clients (`turn:host:3478?transport=udp`, `…?transport=tcp`,
         * `turns:host:443?transport=tcp`). Empty with `spawn`: the spawned coturn's own URLs.
         */
        urls: z
          .array(
            z
              .string()
              .max(256)
              .regex(/^turns?:[^\s?]+(\?transport=(udp|tcp))?$/, 'must be a turn: or turns: URL'),
          )
          .max(16)
          .default([]),
        /** coturn's `static-auth-secret` (use-auth-secret). Dev mode generates one in `dataDir/turn-secret`. */
        secret: z.string().min(32).max(256).optional(),
        /** Lifetime of an issued TURN credential. */
        credentialTtlSeconds: z.number().int().min(60).max(86_400).default(3600),
        realm: z
          .string()
          .regex(/^[A-Za-z0-9.-]{1,128}$/)
          .default('conclave'),
        /** Start coturn (`turnserver -c <rendered file>`) as a child process and stop it on close (dev, tests). */
        spawn: z.boolean().default(false),
        /** The coturn binary `spawn` runs. */
        binary: nonEmpty.default('turnserver'),
        /** Address coturn listens and relays on; default media.announcedAddress, else media.listenIp. */
        listenIp: nonEmpty.optional(),
        /** Public address of a coturn behind 1:1 NAT (coturn `external-ip`). */
        externalIp: nonEmpty.optional(),
        /** TURN over UDP and TCP (0 = a free port, with `spawn`). */
        port: port.default(3478),
        /** TURN over TLS (443 in production, so it passes firewalls that let only HTTPS out; 0 = a free port). */
        tlsPort: port.default(443),
        /** PEM files for TURN over TLS; default the HTTP server's (in dev its self-signed one); none: no TLS. */
        tlsCertFile: nonEmpty.optional(),
        tlsKeyFile: nonEmpty.optional(),
        /** UDP ports coturn relays from. */
        relayMinPort: z.number().int().min(1024).max(65535).default(50000),
        relayMaxPort: z.number().int().min(1024).max(65535).default(59999),
        /** Concurrent allocations of one TURN username (`user-quota`), and of the whole server (`total-quota`). */
        userQuota: z.number().int().min(1).max(10_000).default(10),
        totalQuota: z.number().int().min(1).max(1_000_000).default(2000),
        /** Peer addresses relayed to although in a denied range (the SFU's private address is added itself). */
        allowedPeerIps: z.array(nonEmpty.max(64)).max(64).default([]),
      })
      .strict()
      .prefault({}),
    signaling: z
      .object({
        /** A connection must send its join within this time. */
        joinTimeoutMs: z.number().int().min(500).max(60_000).default(5_000),
        /** Largest message accepted; larger ones get SIGNAL_TOO_LARGE and the socket is closed. */
        maxMessageBytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * 1024)
          .default(16 * 1024),
        /** Sustained messages per second per connection, and the burst allowed above it. */
        messagesPerSecond: z.number().min(1).max(10_000).default(50),
        messageBurst: z.number().int().min(1).max(100_000).default(200),
        /** New connections per minute from one IP address. */
        connectionsPerIpPerMinute: z.number().int().min(1).max(100_000).default(120),
        /** Signaling connections open at once from one IP address (raise it for users behind one NAT gateway). */
        connectionsPerIp: z.number().int().min(1).max(1_000_000).default(100),
        /** Ping interval; a connection that answers no ping for two intervals is dropped. */
        heartbeatMs: z.number().int().min(1000).max(120_000).default(10_000),
        /** A dropped participant may resume its session within this time (TRTC: 90 s), then it is removed. */
        resumeGraceSeconds: z.number().int().min(1).max(3600).default(90),
        /** Browser Origins allowed to open `/signal`; empty allows all (TRTC apps run on customers' origins). */
        allowedOrigins: z.array(origin).max(1000).default([]),
      })
      .strict()
      .prefault({}),
    rooms: z
      .object({
        rtcMaxUsers: z.number().int().min(1).max(100_000).default(300),
        rtcMaxPublishers: z.number().int().min(1).max(1000).default(50),
        liveMaxUsers: z.number().int().min(1).max(1_000_000).default(100_000),
        liveMaxAnchors: z.number().int().min(1).max(1000).default(50),
        /** Rooms one app may have open at once on this node; a join that would open another gets APP_ROOM_LIMIT. */
        maxRoomsPerApp: z.number().int().min(1).max(10_000_000).default(10_000),
      })
      .strict()
      .prefault({}),
    quotas: z
      .object({
        /** Concurrent sessions of one app on this node. */
        sessionsPerApp: z.number().int().min(1).max(10_000_000).default(10_000),
        /** Concurrent sessions of one userId (across rooms) of one app on this node. */
        sessionsPerUser: z.number().int().min(1).max(10_000).default(10),
        /** Streams one session may receive at once (one consumer per stream). */
        consumersPerSession: z.number().int().min(1).max(100_000).default(300),
        /** Joins per minute of one app on this node (token bucket), and the burst allowed above that rate. */
        joinsPerMinutePerApp: z.number().min(1).max(10_000_000).default(6000),
        joinBurstPerApp: z.number().int().min(1).max(10_000_000).default(600),
        /** Joins per minute of one userId of one app, and the burst (reconnects after network changes fit in it). */
        joinsPerMinutePerUser: z.number().min(1).max(100_000).default(30),
        joinBurstPerUser: z.number().int().min(1).max(100_000).default(10),
      })
      .strict()
      .prefault({}),
    api: z
      .object({
        /** Signed Cloud API requests per second per app (token bucket; the burst is twice this). */
        requestsPerSecondPerApp: z.number().min(1).max(1_000_000).default(100),
        /** Mutating Cloud API requests remembered per app against replays (docs/cloud-api.md). */
        replayCapacityPerApp: z.number().int().min(100).max(10_000_000).default(60_000),
      })
      .strict()
      .prefault({}),
    callbacks: z
      .object({
        /** Receivers trusted whatever they resolve to: host names, IP addresses or CIDR ranges. */
        allowedHosts: z
          .array(z.string().max(253).refine(isAllowedHostEntry, 'must be a host name, an IP address or a CIDR range'))
          .max(1000)
          .default([]),
        /** Callbacks may go to private networks (RFC 1918, 100.64/10, fc00::/7); loopback needs allowedHosts. */
        allowPrivateNetworks: z.boolean().default(false),
        /** Callback URLs may be plain http. */
        allowInsecureHttp: z.boolean().default(false),
        /** Callback requests in flight at once (one per app); the rest wait in the store, so memory stays bounded. */
        concurrency: z.number().int().min(1).max(1024).default(32),
        /** Events kept in memory while the store is down; beyond it they are dropped and counted. */
        maxSpooled: z.number().int().min(0).max(1_000_000).default(10_000),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /** Bearer token for `GET /metrics`. Without one, /metrics is open in dev mode and absent otherwise. */
        token: z.string().min(24).optional(),
      })
      .strict()
      .prefault({}),
    storage: z
      .object({
        /** Region of apps created without one. */
        defaultRegion: nonEmpty.default('default'),
        /** Each region's own store; data of an app is written only to its region's store. */
        regions: z.record(nonEmpty, regionStore).optional(),
      })
      .strict()
      .prefault({}),
    security: z
      .object({
        /** Base64 of 32 bytes wrapping every app's data key. Dev mode generates one in dataDir. */
        masterKey: nonEmpty.optional(),
        /** Bearer token for the admin API; dev mode generates one in dataDir. */
        adminToken: z.string().min(24).optional(),
        /** The Contact line of /.well-known/security.txt (RFC 9116): where vulnerabilities are reported. */
        contact: z
          .string()
          .regex(/^(mailto:|https:\/\/)\S+$/)
          .default('mailto:security@conclave.invalid'),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        /** Quality samples and user events (TRTC's quality queries reach 14 days back). */
        qualityRetentionDays: z.number().int().min(1).max(3650).default(14),
        /** Backend logs (room entry/exit) and room sessions. */
        logRetentionDays: z.number().int().min(1).max(3650).default(14),
        /** A terminated app's data and keys are destroyed after this many days (the promise: within 7). */
        terminatedAppPurgeDays: z.number().int().min(0).max(7).default(6),
        /** Audit records are pruned (behind a signed marker) after this many days. */
        auditRetentionDays: z.number().int().min(30).max(3650).default(400),
        /** Vulnerability reports (intake/) are deleted this many days after receipt. */
        securityReportDays: z.number().int().min(30).max(3650).default(730),
      })
      .strict()
      .prefault({}),
    operators: z
      .object({
        /** An operator session ends after this many minutes without a request. */
        sessionIdleMinutes: z.number().int().min(1).max(1440).default(30),
        /** An operator session ends this many hours after sign-in, however active. */
        sessionMaxHours: z.number().int().min(1).max(168).default(12),
        /** WebAuthn origin (its host is the RP ID); default the server's own URL. */
        webauthnOrigin: origin.optional(),
      })
      .strict()
      .prefault({}),
    cluster: z
      .object({
        /** Redis of the cluster (redis://[:password@]host:port[/db]); absent: a single node, as before. */
        redisUrl: z
          .string()
          .max(512)
          .refine(
            (u) => URL.canParse(u) && ['redis:', 'rediss:'].includes(new URL(u).protocol),
            'must be a redis(s):// URL',
          )
          .optional(),
        /** This node's id, unique in the cluster; default the host name. */
        nodeId: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 of [A-Za-z0-9_.-]')
          .optional(),
        /** This node's region; placement prefers nodes in the app's data region. Default storage.defaultRegion. */
        region: nonEmpty.max(64).optional(),
        /** The base URL clients reach this node on (e.g. https://node-a.example.com:8443); redirects name it. */
        publicUrl: z
          .string()
          .max(512)
          .refine((u) => URL.canParse(u) && ['http:', 'https:'].includes(new URL(u).protocol), 'must be an http(s) URL')
          .optional(),
        /** Shared by every node (≥ 32 characters): signs redirect tickets. */
        secret: z.string().min(32).max(512).optional(),
        /** Prefix of every Redis key, to share one Redis between clusters. */
        keyPrefix: z.string().max(64).default('conclave:'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (Boolean(c.http.tlsCertFile) !== Boolean(c.http.tlsKeyFile)) {
      ctx.addIssue({ code: 'custom', path: ['http', 'tlsKeyFile'], message: 'tlsCertFile and tlsKeyFile go together' });
    }
    if (c.media.rtcMinPort > c.media.rtcMaxPort) {
      ctx.addIssue({ code: 'custom', path: ['media', 'rtcMaxPort'], message: 'must be ≥ rtcMinPort' });
    }
    if (c.cluster.redisUrl !== undefined && c.cluster.secret === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'secret'], message: 'is required with cluster.redisUrl' });
    }
    if (c.turn.relayMinPort > c.turn.relayMaxPort) {
      ctx.addIssue({ code: 'custom', path: ['turn', 'relayMaxPort'], message: 'must be ≥ relayMinPort' });
    }
    if (Boolean(c.turn.tlsCertFile) !== Boolean(c.turn.tlsKeyFile)) {
      ctx.addIssue({ code: 'custom', path: ['turn', 'tlsKeyFile'], message: 'tlsCertFile and tlsKeyFile go together' });
    }
    if (!c.turn.spawn && (c.turn.port === 0 || c.turn.tlsPort === 0)) {
      ctx.addIssue({ code: 'custom', path: ['turn', 'port'], message: 'port 0 (a free port) needs turn.spawn' });
    }
    if (c.turn.enabled && !c.dev && c.turn.secret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['turn', 'secret'],
        message: 'TURN needs its shared secret outside dev mode',
      });
    }
    if (c.turn.enabled && !c.turn.spawn && c.turn.urls.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['turn', 'urls'], message: 'TURN needs the URLs clients reach it on' });
    }
    if (c.security.masterKey !== undefined && Buffer.from(c.security.masterKey, 'base64').length !== 32) {
      ctx.addIssue({ code: 'custom', path: ['security', 'masterKey'], message: 'must be base64 of exactly 32 bytes' });
    }
  });

/** Validated configuration. */
export type Config = z.infer<typeof configSchema>;
/** Configuration as written by a person: every field optional. */
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variables understood, each mapped to a config path and a parser. */
const ENV: Record<string, [path: string, parse: (v: string) => unknown]> = {
  CONCLAVE_DEV: ['dev', parseBool],
  CONCLAVE_DEV_ALLOW_REMOTE: ['devAllowRemote', parseBool],
  CONCLAVE_DATA_DIR: ['dataDir', String],
  CONCLAVE_HOST: ['http.host', String],
  CONCLAVE_PORT: ['http.port', parseNumber],
  CONCLAVE_TLS_CERT: ['http.tlsCertFile', String],
  CONCLAVE_TLS_KEY: ['http.tlsKeyFile', String],
  CONCLAVE_ALLOW_INSECURE_HTTP: ['http.allowInsecureHttp', parseBool],
  CONCLAVE_TRUST_PROXY: ['http.trustProxy', parseList],
  CONCLAVE_MEDIA_WORKERS: ['media.workers', parseNumber],
  CONCLAVE_MEDIA_LISTEN_IP: ['media.listenIp', String],
  CONCLAVE_MEDIA_ANNOUNCED_ADDRESS: ['media.announcedAddress', String],
  CONCLAVE_RTC_MIN_PORT: ['media.rtcMinPort', parseNumber],
  CONCLAVE_RTC_MAX_PORT: ['media.rtcMaxPort', parseNumber],
  CONCLAVE_RECORDING_DIR: ['recording.directory', String],
  CONCLAVE_RECORDING_BACKUP_DIR: ['recording.backupDirectory', String],
  CONCLAVE_TURN_ENABLED: ['turn.enabled', parseBool],
  CONCLAVE_TURN_URLS: ['turn.urls', parseList],
  CONCLAVE_TURN_SECRET: ['turn.secret', String],
  CONCLAVE_TURN_SPAWN: ['turn.spawn', parseBool],
  CONCLAVE_MASTER_KEY: ['security.masterKey', String],
  CONCLAVE_ADMIN_TOKEN: ['security.adminToken', String],
  CONCLAVE_METRICS_TOKEN: ['metrics.token', String],
  CONCLAVE_LOG_LEVEL: ['log.level', String],
  CONCLAVE_CLUSTER_REDIS_URL: ['cluster.redisUrl', String],
  CONCLAVE_CLUSTER_NODE_ID: ['cluster.nodeId', String],
  CONCLAVE_CLUSTER_REGION: ['cluster.region', String],
  CONCLAVE_CLUSTER_PUBLIC_URL: ['cluster.publicUrl', String],
  CONCLAVE_CLUSTER_SECRET: ['cluster.secret', String],
};

/** The environment variables {@link loadConfig} reads, for documentation and `--help`. */
export const CONFIG_ENV_VARS = Object.fromEntries(Object.entries(ENV).map(([k, [p]]) => [k, p]));

function parseBool(v: string): unknown {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  return v; // left for the schema to reject with a clear message
}

function parseList(v: string): unknown {
  return v
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function parseNumber(v: string): unknown {
  return /^-?\d+$/.test(v.trim()) ? Number(v) : v;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? mergeDeep(prev, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads and validates the configuration. Throws ConclaveError CONFIG_INVALID listing every bad field. */
export function loadConfig(options: { env?: NodeJS.ProcessEnv; file?: string; overrides?: ConfigInput } = {}): Config {
  const env = options.env ?? process.env;
  let merged: Record<string, unknown> = {};
  const file = options.file ?? env.CONCLAVE_CONFIG;
  if (file) merged = readConfigFile(file);
  const fromEnv: Record<string, unknown> = {};
  for (const [name, [dotted, parse]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(fromEnv, dotted, parse(raw));
  }
  merged = mergeDeep(mergeDeep(merged, fromEnv), (options.overrides ?? {}) as Record<string, unknown>);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConclaveError('CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`, {
      details: { problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConclaveError('CONFIG_INVALID', `cannot read configuration file ${file}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ConclaveError('CONFIG_INVALID', `configuration file ${file} is not valid JSON`, { cause });
  }
  if (!isPlainObject(value))
    throw new ConclaveError('CONFIG_INVALID', `configuration file ${file} must hold a JSON object`);
  return value;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Number of mediasoup workers to start. */
export function workerCount(config: Config): number {
  return config.media.workers > 0 ? config.media.workers : Math.max(1, os.availableParallelism());
}

/** Absolute data directory. */
export function dataDir(config: Config): string {
  return path.resolve(config.dataDir);
}
