/**
 * Property tests of the callback configuration an app owner sends (issue 15, item 3): callback URLs (the shape
 * schema, then the network policy) and callback keys. Hostile URLs — IP literals in every spelling WHATWG URL
 * accepts (decimal, hex, octal, short forms, IPv4-mapped IPv6, trailing dots, percent escapes), credentials,
 * odd schemes, random mutations — are refused with CALLBACK_URL_DENIED or pass only when they point at a
 * public address over https.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ConclaveError } from '@conclave/protocol';
import { AppCreateInputSchema, AppUpdateInputSchema, callbackUrlSchema } from '../apps/app-types.ts';
import { classifyAddress } from './address-class.ts';
import { CallbackUrlPolicy, hostOf, isAllowedHostEntry } from './url-policy.ts';

const policy = new CallbackUrlPolicy();

/** The policy's verdict: the accepted URL, or null after checking the refusal is the typed one. */
function verdict(raw: string): URL | null {
  try {
    return policy.check(raw);
  } catch (err) {
    assert.ok(err instanceof ConclaveError && err.code === 'CALLBACK_URL_DENIED', String(err));
    return null;
  }
}

/** What an accepted URL must be: https, no credentials, and a public address when the host is one. */
function checkAccepted(url: URL): void {
  assert.equal(url.protocol, 'https:');
  assert.equal(url.username + url.password, '');
  const host = hostOf(url).replace(/\.$/, '');
  assert.ok(host !== 'localhost' && !host.endsWith('.localhost'), host);
  if (net.isIP(host) !== 0) assert.equal(classifyAddress(host), 'public', host);
}

const octet = fc.nat(255);
const ipv4 = fc.tuple(octet, octet, octet, octet);
/** One IPv4 address in the spellings the URL parser turns into dotted quads. */
const ipv4Spelling = fc
  .tuple(ipv4, fc.constantFrom('dotted', 'decimal', 'hex', 'octal', 'short', 'mapped', 'dot', 'escaped'))
  .map(([[a, b, c, d], form]) => {
    const n = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
    switch (form) {
      case 'decimal':
        return String(n);
      case 'hex':
        return `0x${n.toString(16)}`;
      case 'octal':
        return [a, b, c, d].map((x) => `0${x.toString(8)}`).join('.');
      case 'short':
        return `${a}.${(b << 16) + (c << 8) + d}`;
      case 'mapped':
        return `[::ffff:${a}.${b}.${c}.${d}]`;
      case 'dot':
        return `${a}.${b}.${c}.${d}.`;
      case 'escaped':
        return [...`${a}.${b}.${c}.${d}`].map((ch) => (ch === '.' ? ch : `%${ch.charCodeAt(0).toString(16)}`)).join('');
      default:
        return `${a}.${b}.${c}.${d}`;
    }
  });
const interesting = fc.constantFrom(
  '127.0.0.1',
  '10.0.0.1',
  '169.254.169.254',
  '192.168.1.1',
  '100.64.0.1',
  '0.0.0.0',
  '8.8.8.8',
  '[::1]',
  '[fe80::1]',
  '[fc00::1]',
  '[64:ff9b::7f00:1]',
  '[2002:7f00:1::]',
  'localhost',
  'a.localhost',
  'example.com',
  'hooks.example.com.',
);
const host = fc.oneof(ipv4Spelling, interesting, fc.domain());
const url = fc
  .tuple(
    fc.constantFrom('https', 'http', 'HTTPS', 'ftp', 'file', 'javascript', 'wss'),
    fc.constantFrom('', 'user@', 'user:pw@', ':@'),
    host,
    fc.constantFrom('', ':443', ':8443', ':0', ':99999'),
    fc.webPath(),
  )
  .map(([scheme, cred, h, port, path]) => `${scheme}://${cred}${h}${port}${path}`);

describe('callback configuration: properties', () => {
  test('property: generated URLs are refused with CALLBACK_URL_DENIED or point at a public https address', () => {
    fc.assert(
      fc.property(url, (raw) => {
        const accepted = verdict(raw);
        if (accepted) checkAccepted(accepted);
      }),
      { numRuns: 3000 },
    );
  });

  test('property: mutated URLs and arbitrary strings never get past the schema and the policy unchecked', () => {
    const mutated = fc
      .tuple(
        url,
        fc.nat(),
        fc.constantFrom('@', '#', '?', '/', '\\', '%', '[', ']', ':', '.', ' ', '\t', '\u3002', '\uff0e', '0', 'x'),
      )
      .map(([u, at, ch]) => u.slice(0, at % (u.length + 1)) + ch + u.slice(at % (u.length + 1)));
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 80 }), fc.webUrl()), (raw) => {
        const shape = callbackUrlSchema.safeParse(raw);
        if (!shape.success) return;
        // What the schema lets through is a parseable URL without credentials; the policy decides the rest.
        const parsed = new URL(shape.data);
        assert.equal(parsed.username + parsed.password, '');
        const accepted = verdict(shape.data);
        if (accepted) checkAccepted(accepted);
      }),
      { numRuns: 3000 },
    );
  });

  test('property: a callback key is accepted exactly when it is 1-32 letters or digits (or null, to clear it)', () => {
    const key = fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z0-9]{0,34}$/), fc.jsonValue());
    fc.assert(
      fc.property(key, (callbackKey) => {
        const expected = typeof callbackKey === 'string' && /^[A-Za-z0-9]{1,32}$/.test(callbackKey);
        // null clears the key of an existing app; a new app has none to clear.
        assert.equal(AppUpdateInputSchema.safeParse({ callbackKey }).success, expected || callbackKey === null);
        assert.equal(AppCreateInputSchema.safeParse({ name: 'n', region: 'r', callbackKey }).success, expected);
      }),
      { numRuns: 2000 },
    );
  });

  test('property: any JSON as an app update is accepted or refused, never thrown on', () => {
    const field = fc.constantFrom(
      'name',
      'billingMode',
      'recordingEnabled',
      'callbackUrl',
      'callbackKey',
      'requireE2ee',
      'region',
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.dictionary(field, fc.jsonValue({ maxDepth: 2 })), fc.jsonValue({ maxDepth: 3 })),
        (value) => {
          const result = AppUpdateInputSchema.safeParse(value);
          if (result.success && typeof result.data.callbackUrl === 'string') new URL(result.data.callbackUrl);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('property: allowedHosts entries are classified without throwing; an accepted one configures a policy', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.domain(),
          ipv4.map((q) => `${q.join('.')}/${q[0] % 33}`),
        ),
        (entry) => {
          if (isAllowedHostEntry(entry)) new CallbackUrlPolicy({ allowedHosts: [entry] });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
