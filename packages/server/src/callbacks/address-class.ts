/**
 * What kind of network an IP address belongs to, for the callback network policy (url-policy.ts): a callback is
 * a server-side request to a URL an app owner typed, so anything but public unicast is refused unless configured.
 * Addresses that carry an IPv4 address inside IPv6 (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16`) are classified by the IPv4 address they reach. Pure functions; parses its own bytes so the
 * property test can check it against `net.BlockList`.
 */
import net from 'node:net';

/** The classes the policy tells apart. Everything except `public` is refused by default. */
export type AddressClass =
  | 'public'
  | 'loopback'
  /** RFC 1918, shared address space (100.64/10), unique local (fc00::/7), site-local, local-use NAT64. */
  | 'private'
  /** 169.254/16 (where cloud metadata services live) and fe80::/10. */
  | 'link-local'
  | 'unspecified'
  | 'multicast'
  /** Documentation, benchmarking, protocol assignments, broadcast, future use, IPv6 outside 2000::/3. */
  | 'reserved';

type Range = readonly [prefix: string, bits: number, cls: AddressClass];

/** IPv4 ranges that are not public unicast (IANA special-purpose registry). */
export const IPV4_RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** IPv6 ranges that are not public unicast; checked after the IPv4-embedding forms. */
export const IPV6_RANGES: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'private'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
  ['2001::', 23, 'reserved'],
  ['2001:db8::', 32, 'reserved'],
  ['3fff::', 20, 'reserved'],
];

/** Classifies an IP address; null when `address` is not one. A zone id (`fe80::1%eth0`) is ignored. */
export function classifyAddress(address: string): AddressClass | null {
  const bytes = addressBytes(address);
  if (bytes === null) return null;
  return bytes.length === 4 ? classifyV4(bytes) : classifyV6(bytes);
}

/** The IPv4 address an address reaches (itself, or the one embedded in a mapped/NAT64/6to4 form), else null. */
export function embeddedIpv4(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length === 4) return bytes;
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.subarray(12, 16); // ::ffff:0:0/96
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12))
    return bytes.subarray(12, 16); // 64:ff9b::/96
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.subarray(2, 6); // 2002::/16
  return null;
}

function classifyV4(bytes: Uint8Array): AddressClass {
  for (const [prefix, bits, cls] of IPV4_RANGES) if (inRange(bytes, prefix, bits)) return cls;
  return 'public';
}

function classifyV6(bytes: Uint8Array): AddressClass {
  const v4 = embeddedIpv4(bytes);
  if (v4 !== null) return classifyV4(v4);
  for (const [prefix, bits, cls] of IPV6_RANGES) if (inRange(bytes, prefix, bits)) return cls;
  // Global unicast is 2000::/3; the rest of the space is unassigned or special.
  return ((bytes[0] as number) & 0xe0) === 0x20 ? 'public' : 'reserved';
}

function inRange(bytes: Uint8Array, prefix: string, bits: number): boolean {
  const p = addressBytes(prefix) as Uint8Array;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> i % 8;
    if ((((bytes[i >> 3] as number) ^ (p[i >> 3] as number)) & mask) !== 0) return false;
  }
  return true;
}

/** The address as 4 or 16 bytes, or null when it is not an IP address. */
export function addressBytes(address: string): Uint8Array | null {
  const plain = address.split('%')[0] ?? '';
  const family = net.isIP(plain);
  if (family === 4) return Uint8Array.from(plain.split('.').map(Number));
  if (family !== 6) return null;
  let text = plain.toLowerCase();
  const tail: number[] = [];
  // A trailing dotted quad (::ffff:1.2.3.4) is the last 32 bits.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    tail.push(...dotted[1].split('.').map(Number));
    text = text.slice(0, -dotted[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const missing = 8 - tail.length / 2 - left.length - right.length;
  const all = [...left, ...new Array<number>(rest === undefined ? 0 : missing).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  out.set(tail, 16 - tail.length);
  return out;
}
