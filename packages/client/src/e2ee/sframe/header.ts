/**
 * The SFrame header (RFC 9605 §4.3): a config byte `X|K(3)|Y|C(3)` followed by KID and CTR as minimal
 * big-endian integers. Values 0–7 sit in the config byte itself; larger values put their length − 1 there.
 */
import { E2eeError } from '../errors.ts';

/** The largest KID or CTR a header can carry (2^64 − 1). */
export const MAX_HEADER_VALUE = (1n << 64n) - 1n;

/** The longest possible header: config byte + 8-byte KID + 8-byte CTR. */
export const MAX_HEADER_LENGTH = 17;

/** A decoded SFrame header. */
export interface SFrameHeader {
  /** Key ID. */
  readonly kid: bigint;
  /** Counter, the per-key frame number the nonce is made from. */
  readonly ctr: bigint;
}

/** A header decoded from the front of a ciphertext, with how many bytes it took. */
export interface DecodedHeader extends SFrameHeader {
  /** The header's encoded length in bytes (1–17). */
  readonly length: number;
}

function byteLength(value: bigint): number {
  let length = 1;
  while (value >> BigInt(8 * length) !== 0n) length++;
  return length;
}

function checkRange(value: bigint, name: string): void {
  if (value < 0n || value > MAX_HEADER_VALUE) throw new E2eeError('SFRAME_VALUE_OUT_OF_RANGE', name);
}

/** Encodes KID and CTR as an SFrame header. Throws `SFRAME_VALUE_OUT_OF_RANGE` outside 0..2^64−1. */
export function encodeHeader(header: SFrameHeader): Uint8Array {
  const { kid, ctr } = header;
  checkRange(kid, 'kid');
  checkRange(ctr, 'ctr');
  const kidLength = kid < 8n ? 0 : byteLength(kid);
  const ctrLength = ctr < 8n ? 0 : byteLength(ctr);
  const out = new Uint8Array(1 + kidLength + ctrLength);
  const k = kidLength === 0 ? Number(kid) : 0x08 | (kidLength - 1);
  const c = ctrLength === 0 ? Number(ctr) : 0x08 | (ctrLength - 1);
  out[0] = (k << 4) | c;
  writeBigEndian(out, 1, kid, kidLength);
  writeBigEndian(out, 1 + kidLength, ctr, ctrLength);
  return out;
}

function writeBigEndian(out: Uint8Array, offset: number, value: bigint, length: number): void {
  for (let i = 0; i < length; i++) out[offset + i] = Number((value >> BigInt(8 * (length - 1 - i))) & 0xffn);
}

/**
 * Decodes the SFrame header at the start of `bytes`. Throws only {@link E2eeError}:
 * `SFRAME_HEADER_TRUNCATED` when the bytes end early, `SFRAME_HEADER_NOT_MINIMAL` when a value is encoded
 * in more bytes than the RFC allows (so every header has exactly one encoding).
 */
export function decodeHeader(bytes: Uint8Array): DecodedHeader {
  const config = bytes[0];
  if (config === undefined) throw new E2eeError('SFRAME_HEADER_TRUNCATED', 'empty');
  let offset = 1;
  const readField = (nibble: number, name: string): bigint => {
    if ((nibble & 0x08) === 0) return BigInt(nibble);
    const length = (nibble & 0x07) + 1;
    if (offset + length > bytes.length) throw new E2eeError('SFRAME_HEADER_TRUNCATED', name);
    let value = 0n;
    for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(bytes[offset + i] ?? 0);
    offset += length;
    if (value < 8n || byteLength(value) !== length) throw new E2eeError('SFRAME_HEADER_NOT_MINIMAL', name);
    return value;
  };
  const kid = readField(config >> 4, 'kid');
  const ctr = readField(config & 0x0f, 'ctr');
  return { kid, ctr, length: offset };
}
