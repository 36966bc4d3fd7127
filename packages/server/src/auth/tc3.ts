/**
 * Verification of Tencent Cloud API 3.0 requests signed with TC3-HMAC-SHA256 (see trtc.md §5). Pure:
 * the caller gives the request's parts and a way to find a SecretKey by SecretId.
 *
 * Compatibility with Tencent's official client: the service name is read from the credential scope
 * (the client derives it from the endpoint's first DNS label, so it need not be "trtc"), and the host is
 * canonicalised without its port (the client signs `hostname` but sends `Host` with the port).
 */
import crypto from 'node:crypto';
import { ConclaveError } from '@conclave/protocol';

export interface Tc3Request {
  method: string;
  /** Path and query exactly as received, e.g. `/` or `/?a=1`. */
  url: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export interface Tc3Verified {
  secretId: string;
  service: string;
  timestamp: number;
  /** Hex signature. TC3 does not sign X-TC-Action, so the replay memory keys on (action, signature). */
  signature: string;
}

/** Requests whose X-TC-Timestamp is further than this from the server clock are refused (Tencent: 5 minutes). */
export const TC3_MAX_SKEW_SECONDS = 300;

const AUTH_RE =
  /^TC3-HMAC-SHA256 Credential=([A-Za-z0-9_-]{1,128})\/(\d{4}-\d{2}-\d{2})\/([a-z0-9-]{1,64})\/tc3_request, ?SignedHeaders=([a-z0-9;-]{1,200}), ?Signature=([0-9a-f]{64})$/;

function header(headers: Tc3Request['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hmac(key: crypto.BinaryLike, message: string): Buffer {
  return crypto.createHmac('sha256', key).update(message).digest();
}

function sha256Hex(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** The date part of a TC3 credential scope for a Unix timestamp (UTC). */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

/** Computes the hex TC3 signature for a request (shared by verification and by tests/benchmarks that sign). */
export function tc3Signature(input: {
  method: string;
  path: string;
  query: string;
  canonicalHeaders: string;
  signedHeaders: string;
  body: Buffer | string;
  timestamp: number;
  service: string;
  secretKey: string;
}): string {
  const date = tc3Date(input.timestamp);
  const canonicalRequest = [
    input.method,
    input.path,
    input.query,
    input.canonicalHeaders,
    input.signedHeaders,
    sha256Hex(input.body),
  ].join('\n');
  const stringToSign = `TC3-HMAC-SHA256\n${input.timestamp}\n${date}/${input.service}/tc3_request\n${sha256Hex(canonicalRequest)}`;
  const kDate = hmac(`TC3${input.secretKey}`, date);
  const kService = hmac(kDate, input.service);
  const kSigning = hmac(kService, 'tc3_request');
  return crypto.createHmac('sha256', kSigning).update(stringToSign).digest('hex');
}

/**
 * Verifies a TC3-signed request. Throws ConclaveError API_AUTH_MISSING, API_SECRET_ID_UNKNOWN,
 * API_SIGNATURE_INVALID or API_SIGNATURE_EXPIRED. `secretKeyFor` returns undefined for an unknown
 * SecretId. The signature is compared in constant time; the timestamp is checked only after the signature,
 * so an unsigned request learns nothing about the server clock.
 */
export function verifyTc3(
  request: Tc3Request,
  secretKeyFor: (secretId: string) => string | undefined,
  nowSeconds: number,
): Tc3Verified {
  const authorization = header(request.headers, 'authorization');
  const match = authorization ? AUTH_RE.exec(authorization) : null;
  if (!match) throw new ConclaveError('API_AUTH_MISSING', 'the Authorization header is missing or not TC3-HMAC-SHA256');
  const [, secretId, date, service, signedHeaders, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const timestampText = header(request.headers, 'x-tc-timestamp') ?? '';
  if (!/^\d{1,12}$/.test(timestampText))
    throw new ConclaveError('API_AUTH_MISSING', 'X-TC-Timestamp is missing or not a number');
  const timestamp = Number(timestampText);

  const names = signedHeaders.split(';');
  if (!names.includes('content-type') || !names.includes('host') || new Set(names).size !== names.length) {
    throw new ConclaveError('API_AUTH_MISSING', 'SignedHeaders must include content-type and host');
  }
  const canonicalHeaders = names
    .map((name) => {
      let value = header(request.headers, name);
      if (value === undefined) throw new ConclaveError('API_AUTH_MISSING', `signed header ${name} is missing`);
      value = value.trim().toLowerCase();
      if (name === 'host') value = value.replace(/:\d+$/, '');
      return `${name}:${value}\n`;
    })
    .join('');

  const secretKey = secretKeyFor(secretId);
  if (secretKey === undefined) throw new ConclaveError('API_SECRET_ID_UNKNOWN');
  const [path = '/', query = ''] = request.url.split('?', 2);
  const expected = tc3Signature({
    method: request.method.toUpperCase(),
    path,
    query,
    canonicalHeaders,
    signedHeaders,
    body: request.body,
    timestamp,
    service,
    secretKey,
  });
  if (
    !crypto.timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature, 'hex')) ||
    date !== tc3Date(timestamp)
  ) {
    throw new ConclaveError('API_SIGNATURE_INVALID');
  }
  if (Math.abs(nowSeconds - timestamp) > TC3_MAX_SKEW_SECONDS) {
    throw new ConclaveError('API_SIGNATURE_EXPIRED');
  }
  return { secretId, service, timestamp, signature };
}
