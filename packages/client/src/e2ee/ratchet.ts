/**
 * RFC 9605 §5.1 sender keys: a KID is `(generation << R) + (ratchet step mod 2^R)`, and ratcheting replaces
 * a base key by `HKDF-Expand(HKDF-Extract("", base_key), "SFrame 1.0 Ratchet", Nh)`. Ratcheting on join
 * keeps newcomers out of the past; a new generation (a fresh random key) keeps the departed out of the future.
 */
import { utf8 } from './bytes.ts';
import { hkdfExpand, hkdfExtract } from './hkdf.ts';
import type { CipherSuite } from './sframe/cipher-suites.ts';

/** The R Conclave uses: 256 ratchet steps in flight before the low bits wrap. */
export const DEFAULT_RATCHET_BITS = 8;

const RATCHET_LABEL = utf8('SFrame 1.0 Ratchet');

/** `base_key[i+1]` from `base_key[i]`. */
export async function ratchetBaseKey(suite: CipherSuite, baseKey: Uint8Array): Promise<Uint8Array> {
  const secret = await hkdfExtract(suite.hash, new Uint8Array(0), baseKey);
  return hkdfExpand(suite.hash, secret, RATCHET_LABEL, suite.nh);
}

/** KID = (generation << R) + (step mod 2^R). */
export function composeKid(generation: bigint, step: bigint, ratchetBits: number): bigint {
  const r = BigInt(ratchetBits);
  return (generation << r) + (step & ((1n << r) - 1n));
}

/** The generation and the low R bits of the step carried in a KID. */
export function splitKid(kid: bigint, ratchetBits: number): { generation: bigint; stepLowBits: bigint } {
  const r = BigInt(ratchetBits);
  return { generation: kid >> r, stepLowBits: kid & ((1n << r) - 1n) };
}

/**
 * How many steps a receiver at `knownStep` must ratchet to reach a KID carrying `stepLowBits`, or 0 when
 * the KID is not ahead within the window (same step, an older step, or further than `maxSteps`).
 */
export function stepsAhead(knownStep: bigint, stepLowBits: bigint, ratchetBits: number, maxSteps: number): number {
  const modulus = 1n << BigInt(ratchetBits);
  const delta = (((stepLowBits - knownStep) % modulus) + modulus) % modulus;
  return delta > 0n && delta <= BigInt(maxSteps) && delta < modulus / 2n ? Number(delta) : 0;
}

/** A sender's own key state in the sender-key scheme. Immutable: each change returns a new state. */
export interface SenderKeyState {
  readonly generation: bigint;
  readonly step: bigint;
  readonly baseKey: Uint8Array;
  readonly ratchetBits: number;
}

/** The KID a sender key state encrypts with. */
export function senderKid(state: SenderKeyState): bigint {
  return composeKid(state.generation, state.step, state.ratchetBits);
}

/** The state one ratchet step later (same generation). */
export async function ratchetSenderKey(suite: CipherSuite, state: SenderKeyState): Promise<SenderKeyState> {
  return { ...state, step: state.step + 1n, baseKey: await ratchetBaseKey(suite, state.baseKey) };
}
