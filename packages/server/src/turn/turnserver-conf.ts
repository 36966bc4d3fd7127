/**
 * Renders coturn's `turnserver.conf` from Conclave's settings: ephemeral credentials only (`use-auth-secret`,
 * no long-term user database), quotas, and a peer policy that keeps the relay from reaching this host or the
 * networks behind it. The same text serves the dev/test child process and, written out, a production coturn.
 */
import { BlockList, isIP } from 'node:net';

/** Peer ranges a relay must never reach (RFC 6890 special-purpose and private space), as coturn ranges. */
export const DENIED_PEER_RANGES: readonly string[] = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.168.0.0-192.168.255.255',
  '::1',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

const denied = new BlockList();
for (const range of DENIED_PEER_RANGES) {
  const [from, to] = range.split('-') as [string, string | undefined];
  const type = isIP(from) === 6 ? 'ipv6' : 'ipv4';
  if (to === undefined) denied.addAddress(from, type);
  else denied.addRange(from, to, type);
}

/** Whether coturn's peer policy refuses `ip` (unless allowed explicitly). */
export function isDeniedPeer(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && denied.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

/** Whether `ip` is loopback: never allowed as a peer, even for the SFU (it would expose this host). */
export function isLoopbackIp(ip: string): boolean {
  return /^127\./.test(ip) || ip === '::1';
}

export interface TurnServerSettings {
  listenIp: string;
  externalIp?: string | undefined;
  /** TURN over UDP and TCP. */
  port: number;
  /** TURN over TLS, with its certificate; absent: no TLS listener. */
  tls?: { port: number; certFile: string; keyFile: string } | undefined;
  relayMinPort: number;
  relayMaxPort: number;
  realm: string;
  secret: string;
  userQuota: number;
  totalQuota: number;
  /** Addresses relayed to although in a denied range (e.g. the SFU's private address). */
  allowedPeerIps: readonly string[];
  /** Where coturn writes its pid (dev child process). */
  pidFile?: string | undefined;
}

/** A value that would end the line or start a new directive is refused rather than written. */
function safe(value: string | number): string {
  const text = String(value);
  if (/[\r\n#]/.test(text) || text.trim() !== text || text === '') throw new RangeError(`unsafe coturn value: ${text}`);
  return text;
}

/** The text of a turnserver.conf for `settings`. */
export function renderTurnserverConf(s: TurnServerSettings): string {
  const lines = [
    '# Rendered by Conclave (packages/server/src/turn/turnserver-conf.ts); edit Conclave configuration instead.',
    // A wildcard address means every interface: coturn then listens on all and picks its relay addresses.
    ...(s.listenIp === '0.0.0.0' || s.listenIp === '::'
      ? []
      : [`listening-ip=${safe(s.listenIp)}`, `relay-ip=${safe(s.listenIp)}`]),
    ...(s.externalIp ? [`external-ip=${safe(s.externalIp)}`] : []),
    `listening-port=${safe(s.port)}`,
    ...(s.tls
      ? [`tls-listening-port=${safe(s.tls.port)}`, `cert=${safe(s.tls.certFile)}`, `pkey=${safe(s.tls.keyFile)}`]
      : ['no-tls']),
    // DTLS towards the TURN server is not used by browsers; alternate ports would need their own firewall rules.
    'no-dtls',
    `alt-listening-port=0`,
    `alt-tls-listening-port=0`,
    `min-port=${safe(s.relayMinPort)}`,
    `max-port=${safe(s.relayMaxPort)}`,
    // Ephemeral credentials only: username "<expiry>:<userId>", password HMAC-SHA1(secret, username).
    'use-auth-secret',
    `static-auth-secret=${safe(s.secret)}`,
    `realm=${safe(s.realm)}`,
    'fingerprint',
    `user-quota=${safe(s.userQuota)}`,
    `total-quota=${safe(s.totalQuota)}`,
    'stale-nonce=600',
    'no-multicast-peers',
    'no-cli',
    'no-rfc5780',
    'no-stun-backward-compatibility',
    'response-origin-only-with-rfc5780',
    'no-software-attribute',
    'simple-log',
    'log-file=stdout',
    ...(s.pidFile ? [`pidfile=${safe(s.pidFile)}`] : []),
    ...DENIED_PEER_RANGES.map((range) => `denied-peer-ip=${range}`),
    ...s.allowedPeerIps.map((ip) => `allowed-peer-ip=${safe(ip)}`),
  ];
  return `${lines.join('\n')}\n`;
}
