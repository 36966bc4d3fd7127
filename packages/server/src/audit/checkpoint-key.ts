/**
 * The checkpoint signing key: Ed25519, derived from the master key (HKDF), so every process of a deployment signs
 * with the same key and nothing new has to be stored or distributed. The public key (hex, 32 bytes) can be given
 * to an external verifier.
 */
import crypto from 'node:crypto';
import { ConclaveError } from '@conclave/protocol';

// PKCS#8 and SPKI DER prefixes of an Ed25519 key (RFC 8410); the 32 key bytes follow.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A checkpoint statement: what a signature covers. */
export interface CheckpointStatement {
  kind: 'head' | 'pruned';
  seq: number;
  hash: string;
  at: number;
}

function message(s: CheckpointStatement): Buffer {
  return Buffer.from(`conclave-audit-checkpoint-v1\n${s.kind}\n${s.seq}\n${s.hash}\n${s.at}`, 'utf8');
}

/** Verifies checkpoint signatures with one public key. */
export class CheckpointVerifier {
  readonly publicKey: crypto.KeyObject;
  /** Hex of the raw 32-byte public key. */
  readonly publicKeyHex: string;
  /** Short fingerprint stored with each checkpoint. */
  readonly keyId: string;

  constructor(publicKey: crypto.KeyObject) {
    this.publicKey = publicKey;
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
    this.publicKeyHex = raw.toString('hex');
    this.keyId = crypto.createHash('sha256').update(raw).digest('hex').slice(0, 16);
  }

  /** A verifier from a raw 32-byte public key as hex or base64 (e.g. `conclave audit verify --public-key`). */
  static fromText(text: string): CheckpointVerifier {
    const raw = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (raw.length !== 32) throw new ConclaveError('AUDIT_PUBLIC_KEY_INVALID');
    return new CheckpointVerifier(
      crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }),
    );
  }

  /** True when `signature` (base64) signs the statement. */
  verify(statement: CheckpointStatement, signature: string): boolean {
    try {
      return crypto.verify(null, message(statement), this.publicKey, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  }
}

/** Signs checkpoints with the deployment's derived key. */
export class CheckpointSigner extends CheckpointVerifier {
  readonly #privateKey: crypto.KeyObject;

  private constructor(privateKey: crypto.KeyObject) {
    super(crypto.createPublicKey(privateKey));
    this.#privateKey = privateKey;
  }

  /** The signer derived from the 32-byte master key. */
  static fromMasterKey(masterKey: Buffer): CheckpointSigner {
    const seed = Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), 'conclave/audit-checkpoint', 32));
    return new CheckpointSigner(
      crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
    );
  }

  /** Base64 signature of the statement. */
  sign(statement: CheckpointStatement): string {
    return crypto.sign(null, message(statement), this.#privateKey).toString('base64');
  }
}
