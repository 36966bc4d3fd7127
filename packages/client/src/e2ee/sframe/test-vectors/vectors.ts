/** Typed access to RFC 9605 Appendix C's test vectors (see README.md beside this file). */
import raw from './rfc9605-vectors.json' with { type: 'json' };

/** C.1: one header. */
export interface HeaderVector {
  readonly kid: string;
  readonly ctr: string;
  readonly header: string;
}

/** C.2: one AES-CTR + HMAC AEAD case. */
export interface AeadVector {
  readonly cipher_suite: string;
  readonly key: string;
  readonly enc_key: string;
  readonly auth_key: string;
  readonly nonce: string;
  readonly aad: string;
  readonly pt: string;
  readonly ct: string;
}

/** C.3: one SFrame encryption case. */
export interface SFrameVector {
  readonly cipher_suite: string;
  readonly kid: string;
  readonly ctr: string;
  readonly base_key: string;
  readonly sframe_key_label: string;
  readonly sframe_salt_label: string;
  readonly sframe_secret: string;
  readonly sframe_key: string;
  readonly sframe_salt: string;
  readonly metadata: string;
  readonly nonce: string;
  readonly aad: string;
  readonly pt: string;
  readonly ct: string;
}

/** All of Appendix C. */
export const rfc9605Vectors: {
  readonly source: string;
  readonly header: readonly HeaderVector[];
  readonly aes_ctr_hmac: readonly AeadVector[];
  readonly sframe: readonly SFrameVector[];
} = raw;
