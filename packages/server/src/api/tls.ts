/**
 * Decides how the HTTP server is exposed: HTTPS with the configured certificate; a generated self-signed
 * certificate in dev mode on a non-loopback address; plain HTTP only on loopback unless explicitly allowed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';
import { ConclaveError } from '@conclave/protocol';
import { dataDir, isLoopback, type Config } from '../config.ts';
import type { Logger } from '../logger.ts';

export type Transport =
  | { kind: 'https'; cert: string; key: string; source: 'configured' | 'self-signed' }
  | { kind: 'http'; reason: 'loopback' | 'explicitly-allowed' };

export async function resolveTransport(config: Config, log: Logger): Promise<Transport> {
  const { tlsCertFile, tlsKeyFile, host, allowInsecureHttp } = config.http;
  if (tlsCertFile && tlsKeyFile) {
    return {
      kind: 'https',
      cert: readPem(tlsCertFile, 'tlsCertFile'),
      key: readPem(tlsKeyFile, 'tlsKeyFile'),
      source: 'configured',
    };
  }
  if (isLoopback(host)) return { kind: 'http', reason: 'loopback' };
  if (config.dev) {
    const { cert, key } = await devCertificate(config, log);
    return { kind: 'https', cert, key, source: 'self-signed' };
  }
  if (allowInsecureHttp) {
    log.warn({ host }, 'serving plain HTTP beyond loopback because allowInsecureHttp is set; terminate TLS in front');
    return { kind: 'http', reason: 'explicitly-allowed' };
  }
  throw new ConclaveError(
    'CONFIG_INSECURE',
    `refusing plain HTTP on ${host}: configure http.tlsCertFile and http.tlsKeyFile (CONCLAVE_TLS_CERT/CONCLAVE_TLS_KEY), ` +
      'use dev mode for a self-signed certificate, or set http.allowInsecureHttp behind a TLS-terminating proxy',
  );
}

function readPem(file: string, field: string): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes('-----BEGIN')) throw new Error('not PEM');
    return text;
  } catch (cause) {
    throw new ConclaveError('CONFIG_INVALID', `http.${field}: cannot read a PEM file at ${file}`, { cause });
  }
}

/** Where dev mode keeps its self-signed certificate, when it has made one (TURN over TLS reuses it). */
export function devCertificateFiles(config: Config): { certFile: string; keyFile: string } | undefined {
  const dir = path.join(dataDir(config), 'tls');
  const files = { certFile: path.join(dir, 'dev-cert.pem'), keyFile: path.join(dir, 'dev-key.pem') };
  return fs.existsSync(files.certFile) && fs.existsSync(files.keyFile) ? files : undefined;
}

/** A self-signed certificate kept in the data directory so browsers need to accept it only once. */
async function devCertificate(config: Config, log: Logger): Promise<{ cert: string; key: string }> {
  const dir = path.join(dataDir(config), 'tls');
  const certFile = path.join(dir, 'dev-cert.pem');
  const keyFile = path.join(dir, 'dev-key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
  }
  const host = config.http.host;
  const altNames = [
    { type: 2 as const, value: 'localhost' },
    { type: 7 as const, ip: '127.0.0.1' },
    ...(/^[\d.]+$/.test(host) && host !== '0.0.0.0' ? [{ type: 7 as const, ip: host }] : []),
  ];
  const pems = await generate([{ name: 'commonName', value: 'conclave-dev' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
  fs.writeFileSync(certFile, pems.cert);
  log.warn({ certFile }, 'generated a self-signed development certificate; browsers will ask to trust it');
  return { cert: pems.cert, key: pems.private };
}
