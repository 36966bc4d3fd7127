// The callback network policy: the address classifier (property-tested against net.BlockList), URL checks at set
// time, and the delivery-time lookup against the real resolver and a real receiver on loopback.
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ConclaveError } from '@conclave/protocol';
import { classifyAddress, IPV4_RANGES, IPV6_RANGES, type AddressClass } from './address-class.ts';
import { CallbackPoster } from './post.ts';
import { CallbackUrlPolicy, isAllowedHostEntry } from './url-policy.ts';

const refusal = (policy: CallbackUrlPolicy, url: string): string | null => {
  try {
    policy.check(url);
    return null;
  } catch (err) {
    assert.ok(err instanceof ConclaveError && err.code === 'CALLBACK_URL_DENIED', String(err));
    return err.message;
  }
};

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const ipv6 = fc
  .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
  .map((g) => g.map((x) => x.toString(16)).join(':'));

/** An oracle built from net.BlockList: the class of the first listed range containing the address. */
function oracle(address: string, family: 'ipv4' | 'ipv6'): AddressClass | undefined {
  for (const [prefix, bits, cls] of family === 'ipv4' ? IPV4_RANGES : IPV6_RANGES) {
    const list = new net.BlockList();
    list.addSubnet(prefix, bits, family);
    if (list.check(address, family)) return cls;
  }
  return undefined;
}

describe('address classifier', () => {
  test('known addresses of every class', () => {
    const cases: [string, AddressClass][] = [
      ['8.8.8.8', 'public'],
      ['2606:4700:4700::1111', 'public'],
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['64:ff9b::7f00:1', 'loopback'],
      ['2002:7f00:1::', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'private'],
      ['fc00::1', 'private'],
      ['fd12:3456::1', 'private'],
      ['::ffff:10.0.0.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['::ffff:169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['ff02::1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['240.0.0.1', 'reserved'],
      ['192.0.2.1', 'reserved'],
      ['198.18.0.1', 'reserved'],
      ['2001:db8::1', 'reserved'],
      ['2001::1', 'reserved'],
      ['::1.2.3.4', 'reserved'],
      ['1::', 'reserved'],
    ];
    for (const [address, cls] of cases) assert.equal(classifyAddress(address), cls, address);
    for (const notIp of ['', 'localhost', '1.2.3', '1.2.3.256', '::g', '[::1]'])
      assert.equal(classifyAddress(notIp), null);
  });

  test('property: IPv4 classes agree with net.BlockList over the same ranges', () => {
    fc.assert(
      fc.property(ipv4, (a) => classifyAddress(a) === (oracle(a, 'ipv4') ?? 'public')),
      { numRuns: 5000 },
    );
  });

  test('property: IPv6 classes agree with net.BlockList; outside 2000::/3 is reserved', () => {
    fc.assert(
      fc.property(ipv6, (a) => {
        const cls = classifyAddress(a);
        const bytes = a.split(':').map((g) => parseInt(g, 16));
        const embedsV4 =
          (bytes.slice(0, 5).every((g) => g === 0) && bytes[5] === 0xffff) ||
          (bytes[0] === 0x64 && bytes[1] === 0xff9b && bytes.slice(2, 6).every((g) => g === 0)) ||
          bytes[0] === 0x2002;
        if (embedsV4) return true; // covered by the next property
        const expected = oracle(a, 'ipv6') ?? (((bytes[0] as number) & 0xe000) === 0x2000 ? 'public' : 'reserved');
        return cls === expected;
      }),
      { numRuns: 5000 },
    );
  });

  test('property: an IPv4 address and its mapped, NAT64 and 6to4 forms are the same class', () => {
    fc.assert(
      fc.property(ipv4, (a) => {
        const [b0, b1, b2, b3] = a.split('.').map(Number) as [number, number, number, number];
        const hi = ((b0 << 8) | b1).toString(16);
        const lo = ((b2 << 8) | b3).toString(16);
        const cls = classifyAddress(a);
        return [`::ffff:${a}`, `::ffff:${hi}:${lo}`, `64:ff9b::${a}`, `2002:${hi}:${lo}::1`].every(
          (form) => classifyAddress(form) === cls,
        );
      }),
      { numRuns: 2000 },
    );
  });

  test('property: anything that is not an IP address is null, never a throw', () => {
    fc.assert(fc.property(fc.string(), (s) => net.isIP(s.split('%')[0] ?? '') !== 0 || classifyAddress(s) === null));
  });
});

describe('callback URL policy at set time', () => {
  const strict = new CallbackUrlPolicy();

  test('public https URLs pass', () => {
    for (const url of ['https://hooks.example.com/trtc', 'https://8.8.8.8/cb', 'https://[2606:4700::1]:8443/x?a=1'])
      assert.equal(refusal(strict, url), null, url);
  });

  test('every denied class is refused with a reason', () => {
    const cases: [string, RegExp][] = [
      ['http://hooks.example.com/cb', /plain http/],
      ['https://user:pw@hooks.example.com/cb', /user name or password/],
      ['https://user@hooks.example.com/cb', /user name or password/],
      ['ftp://hooks.example.com/cb', /must be https/],
      ['https://127.0.0.1/cb', /127\.0\.0\.1 is a loopback address/],
      ['https://2130706433/cb', /127\.0\.0\.1 is a loopback/], // the URL parser normalises decimal IPv4
      ['https://0x7f.1/cb', /loopback/],
      ['https://[::1]/cb', /loopback/],
      ['https://[::ffff:127.0.0.1]/cb', /loopback/],
      ['https://localhost/cb', /localhost names this machine/],
      ['https://LOCALHOST./cb', /names this machine/],
      ['https://api.localhost/cb', /names this machine/],
      ['https://169.254.169.254/latest/meta-data', /link-local/],
      ['https://[fe80::1]/cb', /link-local/],
      ['https://10.0.0.5/cb', /private-network.*allowPrivateNetworks/],
      ['https://192.168.1.10/cb', /private-network/],
      ['https://100.64.1.1/cb', /private-network/],
      ['https://[fd00::5]/cb', /private-network/],
      ['https://0.0.0.0/cb', /unspecified/],
      ['https://224.0.0.1/cb', /multicast/],
      ['https://[ff02::1]/cb', /multicast/],
      ['https://255.255.255.255/cb', /reserved/],
    ];
    for (const [url, reason] of cases) assert.match(String(refusal(strict, url)), reason, url);
  });

  test('the allow-list: host names, addresses and CIDR ranges; private networks; plain http', () => {
    const onPrem = new CallbackUrlPolicy({ allowedHosts: ['hooks.corp', '127.0.0.1', '10.1.0.0/16', 'fd00::/8'] });
    assert.equal(refusal(onPrem, 'https://hooks.corp/cb'), null);
    assert.equal(refusal(onPrem, 'https://127.0.0.1:9000/cb'), null);
    assert.equal(refusal(onPrem, 'https://[::ffff:127.0.0.1]/cb'), null, 'the mapped form of an allowed address');
    assert.equal(refusal(onPrem, 'https://10.1.200.3/cb'), null);
    assert.equal(refusal(onPrem, 'https://[fd00::9]/cb'), null);
    assert.match(String(refusal(onPrem, 'https://10.2.0.1/cb')), /private-network/);
    assert.match(String(refusal(onPrem, 'https://127.0.0.2/cb')), /loopback/);
    assert.match(String(refusal(onPrem, 'http://hooks.corp/cb')), /plain http/, 'http still needs its own switch');

    const privateNets = new CallbackUrlPolicy({ allowPrivateNetworks: true });
    assert.equal(refusal(privateNets, 'https://10.0.0.5/cb'), null);
    assert.equal(refusal(privateNets, 'https://[fd00::5]/cb'), null);
    assert.match(String(refusal(privateNets, 'https://127.0.0.1/cb')), /loopback/, 'loopback is not a private network');
    assert.match(String(refusal(privateNets, 'https://169.254.169.254/cb')), /link-local/);

    assert.equal(refusal(new CallbackUrlPolicy({ allowInsecureHttp: true }), 'http://hooks.example.com/cb'), null);
  });

  test('allowedHosts entries are validated', () => {
    for (const ok of ['hooks.corp', 'a-b.example.com', '10.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8'])
      assert.ok(isAllowedHostEntry(ok), ok);
    for (const bad of ['', 'http://x', 'a b', '10.0.0.0/33', '::/129', 'x/8', '-x.com', 'x'.repeat(254)])
      assert.ok(!isAllowedHostEntry(bad), bad);
  });
});

describe('callback URL policy at delivery time', () => {
  async function receiver() {
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      requests: () => requests,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  const lookup = (policy: CallbackUrlPolicy, host: string) =>
    new Promise<{ err: NodeJS.ErrnoException | null; addresses: unknown }>((resolve) =>
      policy.lookup(host, { all: true }, (err, addresses) => resolve({ err, addresses })),
    );

  test('a host name that resolves to loopback is refused after resolution; allowed when listed', async () => {
    const refused = await lookup(new CallbackUrlPolicy(), 'localhost');
    assert.ok(refused.err instanceof ConclaveError && refused.err.code === 'CALLBACK_URL_DENIED');
    assert.match(
      refused.err.message,
      /^localhost resolves to a refused address: (127\.0\.0\.1|::1) is a loopback address/,
    );
    const allowed = await lookup(new CallbackUrlPolicy({ allowedHosts: ['localhost'] }), 'localhost');
    assert.equal(allowed.err, null);
    assert.ok(Array.isArray(allowed.addresses) && allowed.addresses.length > 0);
  });

  test('a request through the policy lookup never connects to a refused address', async () => {
    const r = await receiver();
    const policy = new CallbackUrlPolicy({ allowInsecureHttp: true });
    const error = await new Promise<Error>((resolve, reject) => {
      const req = http.request({
        host: 'localhost',
        port: r.port,
        method: 'POST',
        lookup: policy.lookup,
        agent: false,
      });
      req.on('error', resolve).on('response', () => reject(new Error('connected')));
      req.end();
    });
    assert.ok(error instanceof ConclaveError && error.code === 'CALLBACK_URL_DENIED', String(error));
    assert.equal(r.requests(), 0);
    await r.close();
  });

  test('the poster refuses denied URLs without a request, and delivers to an allow-listed receiver', async () => {
    const r = await receiver();
    const options = { timeoutMs: 5_000, signal: new AbortController().signal };
    const target = (url: string) => ({ url, key: null, sdkAppId: 1400000001 });
    const strict = new CallbackPoster(new CallbackUrlPolicy());
    for (const url of [`http://127.0.0.1:${r.port}/cb`, `https://127.0.0.1:${r.port}/cb`, `https://[::1]:${r.port}/`]) {
      const result = await strict.post(target(url), '{}', options);
      assert.deepEqual([result.ok, result.refused, result.httpStatus], [false, true, null], url);
      assert.match(String(result.error), /^CALLBACK_URL_DENIED: /);
    }
    const insecure = new CallbackPoster(new CallbackUrlPolicy({ allowInsecureHttp: true }));
    const loopback = await insecure.post(target(`http://127.0.0.1:${r.port}/cb`), '{}', options);
    assert.match(String(loopback.error), /CALLBACK_URL_DENIED: 127\.0\.0\.1 is a loopback address/);
    assert.equal(r.requests(), 0);

    const onPrem = new CallbackPoster(new CallbackUrlPolicy({ allowedHosts: ['127.0.0.1'], allowInsecureHttp: true }));
    const delivered = await onPrem.post(target(`http://127.0.0.1:${r.port}/cb`), '{}', options);
    assert.deepEqual([delivered.ok, delivered.httpStatus, delivered.refused], [true, 200, false]);
    const named = new CallbackPoster(new CallbackUrlPolicy({ allowedHosts: ['localhost'], allowInsecureHttp: true }));
    assert.equal((await named.post(target(`http://localhost:${r.port}/cb`), '{}', options)).ok, true);
    assert.equal(r.requests(), 2);
    for (const p of [strict, insecure, onPrem, named]) p.close();
    await r.close();
  });
});
