/**
 * SFrame cipher suites (RFC 9605 §4.5, IANA registry §8.1) and their constants.
 */
import { E2eeError } from '../errors.ts';
import type { HashName } from '../hkdf.ts';

/** Registered SFrame cipher suite identifiers this implementation supports. */
export const CipherSuiteId = {
  AES_128_CTR_HMAC_SHA256_80: 0x0001,
  AES_128_CTR_HMAC_SHA256_64: 0x0002,
  AES_128_CTR_HMAC_SHA256_32: 0x0003,
  AES_128_GCM_SHA256_128: 0x0004,
  AES_256_GCM_SHA512_128: 0x0005,
} as const;

/** One of {@link CipherSuiteId}'s values. */
export type CipherSuiteId = (typeof CipherSuiteId)[keyof typeof CipherSuiteId];

/** The suite Conclave uses unless configured otherwise. */
export const DEFAULT_CIPHER_SUITE: CipherSuiteId = CipherSuiteId.AES_128_GCM_SHA256_128;

/** The constants of one cipher suite (names as in RFC 9605 Table 1). */
export interface CipherSuite {
  readonly id: CipherSuiteId;
  readonly name: keyof typeof CipherSuiteId;
  /** `gcm`: AES-GCM; `ctr-hmac`: the compound AES-CTR + truncated HMAC AEAD of §4.5.1. */
  readonly aead: 'gcm' | 'ctr-hmac';
  readonly hash: HashName;
  /** Hash output size. */
  readonly nh: number;
  /** AEAD key size (for ctr-hmac: Nka + Nh). */
  readonly nk: number;
  /** AES key size inside a ctr-hmac key; 0 for GCM. */
  readonly nka: number;
  /** Nonce size. */
  readonly nn: number;
  /** Tag size. */
  readonly nt: number;
}

const SUITES: Record<CipherSuiteId, CipherSuite> = {
  [CipherSuiteId.AES_128_CTR_HMAC_SHA256_80]: ctrHmac('AES_128_CTR_HMAC_SHA256_80', 10),
  [CipherSuiteId.AES_128_CTR_HMAC_SHA256_64]: ctrHmac('AES_128_CTR_HMAC_SHA256_64', 8),
  [CipherSuiteId.AES_128_CTR_HMAC_SHA256_32]: ctrHmac('AES_128_CTR_HMAC_SHA256_32', 4),
  [CipherSuiteId.AES_128_GCM_SHA256_128]: {
    id: CipherSuiteId.AES_128_GCM_SHA256_128,
    name: 'AES_128_GCM_SHA256_128',
    aead: 'gcm',
    hash: 'SHA-256',
    nh: 32,
    nk: 16,
    nka: 0,
    nn: 12,
    nt: 16,
  },
  [CipherSuiteId.AES_256_GCM_SHA512_128]: {
    id: CipherSuiteId.AES_256_GCM_SHA512_128,
    name: 'AES_256_GCM_SHA512_128',
    aead: 'gcm',
    hash: 'SHA-512',
    nh: 64,
    nk: 32,
    nka: 0,
    nn: 12,
    nt: 16,
  },
};

function ctrHmac(
  name: 'AES_128_CTR_HMAC_SHA256_80' | 'AES_128_CTR_HMAC_SHA256_64' | 'AES_128_CTR_HMAC_SHA256_32',
  nt: number,
): CipherSuite {
  return { id: CipherSuiteId[name], name, aead: 'ctr-hmac', hash: 'SHA-256', nh: 32, nk: 48, nka: 16, nn: 12, nt };
}

/** The constants of a suite; throws `SFRAME_UNKNOWN_SUITE` for an unregistered or unsupported id. */
export function cipherSuite(id: number): CipherSuite {
  const suite = (SUITES as Record<number, CipherSuite | undefined>)[id];
  if (suite === undefined) throw new E2eeError('SFRAME_UNKNOWN_SUITE', `0x${id.toString(16).padStart(4, '0')}`);
  return suite;
}
