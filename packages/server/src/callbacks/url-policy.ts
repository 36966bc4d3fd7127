/**
 * Where event callbacks may go (SSRF defence). A callback URL is typed by an app owner and fetched by the server,
 * so by default it must be `https`, carry no user name or password, and reach only public unicast addresses.
 * The URL is checked when it is set ({@link CallbackUrlPolicy.check}) and again at every delivery, where the
 * host name is resolved, *every* address it resolves to is checked, and the connection goes to the checked
 * address ({@link CallbackUrlPolicy.lookup} is the request's `lookup`), so DNS rebinding cannot swap it after
 * the check. On-premises receivers are configured explicitly: `allowedHosts`, `allowPrivateNetworks`,
 * `allowInsecureHttp` (config `callbacks.*`).
 */
import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import { ConclaveError } from '@conclave/protocol';
import { addressBytes, classifyAddress, type AddressClass } from './address-class.ts';

/** Options of {@link CallbackUrlPolicy}; every relaxation is off by default. */
export interface CallbackUrlPolicyOptions {
  /**
   * Host names (exact, case-insensitive), IP addresses or CIDR ranges trusted completely: their addresses are not
   * checked (loopback, link-local and the rest included). Plain http still needs `allowInsecureHttp`.
   */
  allowedHosts?: readonly string[];
  /** Allow private addresses (RFC 1918, 100.64/10, fc00::/7); loopback and link-local still need `allowedHosts`. */
  allowPrivateNetworks?: boolean;
  /** Allow `http:` callback URLs. */
  allowInsecureHttp?: boolean;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** True for an entry `allowedHosts` accepts: a host name, an IP address or a CIDR range. */
export function isAllowedHostEntry(entry: string): boolean {
  return parseCidr(entry) !== null || net.isIP(entry) !== 0 || HOST_NAME.test(entry);
}

const SUGGEST = 'list the receiver in callbacks.allowedHosts for an on-premises receiver';

export class CallbackUrlPolicy {
  readonly #names = new Set<string>();
  readonly #ranges = new net.BlockList();
  readonly #allowPrivate: boolean;
  readonly #allowHttp: boolean;

  constructor(options: CallbackUrlPolicyOptions = {}) {
    for (const entry of options.allowedHosts ?? []) {
      const cidr = parseCidr(entry);
      if (cidr !== null) this.#ranges.addSubnet(cidr.address, cidr.bits, cidr.family);
      else if (net.isIP(entry) !== 0) this.#ranges.addAddress(normalizeAddress(entry), familyOf(entry));
      else this.#names.add(entry.toLowerCase());
    }
    this.#allowPrivate = options.allowPrivateNetworks ?? false;
    this.#allowHttp = options.allowInsecureHttp ?? false;
  }

  /**
   * Checks a URL without resolving it: scheme, credentials, and the host when it is an IP literal or a
   * `localhost` name. Returns the parsed URL; refused → CALLBACK_URL_DENIED with the reason as message.
   */
  check(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw denied('the callback URL is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw denied(`the callback URL must be https, not ${url.protocol.slice(0, 16)}`);
    if (url.protocol === 'http:' && !this.#allowHttp)
      throw denied('plain http callback URLs are refused: use https (or set callbacks.allowInsecureHttp)');
    if (url.username !== '' || url.password !== '')
      throw denied('a callback URL may not carry a user name or password (sign requests with the callback key)');
    const host = hostOf(url).replace(/\.$/, '');
    if (this.#names.has(host)) return url;
    if (net.isIP(host) !== 0) {
      const refusal = this.addressRefusal(host);
      if (refusal !== null) throw denied(refusal);
    } else if (host === 'localhost' || host.endsWith('.localhost')) {
      throw denied(`${host} names this machine; ${SUGGEST}`);
    }
    return url;
  }

  /** Why a connection to `address` is refused, or null when it is allowed. */
  addressRefusal(address: string): string | null {
    const cls = classifyAddress(address);
    if (cls === null) return `${address.slice(0, 64)} is not an IP address`;
    if (cls === 'public') return null;
    if (this.#ranges.check(normalizeAddress(address), familyOf(normalizeAddress(address)))) return null;
    if (cls === 'private' && this.#allowPrivate) return null;
    return `${address} is a ${CLASS_NAMES[cls]} address; ${cls === 'private' ? 'set callbacks.allowPrivateNetworks or ' : ''}${SUGGEST}`;
  }

  /** A `lookup` for http(s).request: resolves, refuses if any address is refused, and connects to those checked. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      if (!this.#names.has(host)) {
        for (const { address } of addresses) {
          const refusal = this.addressRefusal(address);
          if (refusal !== null)
            return callback(denied(`${host.slice(0, 64)} resolves to a refused address: ${refusal}`), '', 4);
        }
      }
      if (options.all) return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 4);
      callback(null, first.address, first.family);
    });
  };
}

const CLASS_NAMES: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'loopback',
  private: 'private-network',
  'link-local': 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  reserved: 'reserved (non-public)',
};

function denied(reason: string): ConclaveError {
  return new ConclaveError('CALLBACK_URL_DENIED', reason);
}

/** The URL's host without IPv6 brackets, lower case. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return net.isIPv4(address) ? 'ipv4' : 'ipv6';
}

/** IPv4-mapped IPv6 becomes its IPv4 address, so an allowed `10.0.0.5` also covers `::ffff:10.0.0.5`. */
function normalizeAddress(address: string): string {
  const bytes = addressBytes(address);
  if (bytes === null || bytes.length === 4) return address;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? [...bytes.subarray(12)].join('.') : (address.split('%')[0] ?? address);
}

function parseCidr(entry: string): { address: string; bits: number; family: 'ipv4' | 'ipv6' } | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  if (m?.[1] === undefined || m[2] === undefined || net.isIP(m[1]) === 0) return null;
  const family = familyOf(m[1]);
  const bits = Number(m[2]);
  if (bits > (family === 'ipv4' ? 32 : 128)) return null;
  return { address: m[1], bits, family };
}
