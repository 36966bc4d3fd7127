/**
 * SFrame encryption contexts (RFC 9605 §4.4). A sender holds one key and a counter that never repeats;
 * a receiver holds a table of decrypt-only keys by KID, ratchets forward (§5.1) when a sender does, and
 * reports every failure as a typed result so the caller drops the frame — nothing undecryptable is returned.
 * Each KID has a replay window ({@link ReplayWindow}): a frame the SFU sends again is refused.
 */
import { concatBytes } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import { ratchetBaseKey, splitKid, stepsAhead } from '../ratchet.ts';
import { aeadDecrypt, aeadEncrypt } from './aead.ts';
import type { CipherSuite } from './cipher-suites.ts';
import { decodeHeader, encodeHeader, MAX_HEADER_VALUE } from './header.ts';
import { frameNonce, importSFrameKey, type SFrameKey } from './key-derivation.ts';
import { DEFAULT_REPLAY_WINDOW_SIZE, ReplayWindow } from './replay-window.ts';

const EMPTY = new Uint8Array(0);

/** `encrypt(CTR, KID, metadata, plaintext)` of §4.4.3 with an explicit CTR: header ‖ ciphertext. */
export async function encryptWithCounter(
  key: SFrameKey,
  ctr: bigint,
  metadata: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const header = encodeHeader({ kid: key.kid, ctr });
  const ciphertext = await aeadEncrypt(key, frameNonce(key.salt, ctr), concatBytes(header, metadata), plaintext);
  return concatBytes(header, ciphertext);
}

/** Encrypts with one sender key; each call takes the next CTR, starting at `firstCounter` (default 0). */
export class SFrameSender {
  readonly #key: SFrameKey;
  #nextCounter: bigint;

  private constructor(key: SFrameKey, firstCounter: bigint) {
    this.#key = key;
    this.#nextCounter = firstCounter;
  }

  /** A sender for `kid`, whose key and salt derive from `baseKey`. */
  static async create(suite: CipherSuite, kid: bigint, baseKey: Uint8Array, firstCounter = 0n): Promise<SFrameSender> {
    return new SFrameSender(await importSFrameKey(suite, kid, baseKey), firstCounter);
  }

  /** The KID this sender writes in every header. */
  get kid(): bigint {
    return this.#key.kid;
  }

  /** The CTR the next frame will use (hand it on if this KID is ever re-installed, so no CTR repeats). */
  get nextCounter(): bigint {
    return this.#nextCounter;
  }

  /** header ‖ AEAD(plaintext) with AAD = header ‖ metadata. Throws `SFRAME_COUNTER_EXHAUSTED` after 2^64 frames. */
  encrypt(plaintext: Uint8Array, metadata: Uint8Array = EMPTY): Promise<Uint8Array> {
    const ctr = this.#nextCounter;
    if (ctr > MAX_HEADER_VALUE) return Promise.reject(new E2eeError('SFRAME_COUNTER_EXHAUSTED'));
    // Taken before any await, so concurrent calls can never share a counter.
    this.#nextCounter = ctr + 1n;
    return encryptWithCounter(this.#key, ctr, metadata, plaintext);
  }
}

/** Why a frame was dropped. */
export type DropReason = 'malformed' | 'unknown-kid' | 'auth-failed' | 'replay';

/** The outcome of {@link SFrameReceiver.decrypt}. */
export type DecryptResult =
  | { readonly ok: true; readonly plaintext: Uint8Array; readonly kid: bigint; readonly ctr: bigint }
  | { readonly ok: false; readonly reason: DropReason };

/** Supplies a base key for a KID the receiver has never seen (shared mode derives them on demand). */
export type BaseKeyLookup = (kid: bigint) => Promise<Uint8Array | undefined>;

/** How a receiver handles one remote sender's keys. */
export interface ReceiverOptions {
  /** R of §5.1; 0 (the default) turns ratcheting off. */
  readonly ratchetBits?: number;
  /** The furthest a receiver ratchets for one frame (no unbounded work on a forged KID). Default 16. */
  readonly maxRatchetSteps?: number;
  /** How many KIDs to keep; the oldest installed is forgotten first. Default 8. */
  readonly maxKeys?: number;
  /** Called for a KID with no key and no earlier step to ratchet from. */
  readonly lookup?: BaseKeyLookup;
  /** CTRs remembered per KID behind the highest seen (a multiple of 32). Default {@link DEFAULT_REPLAY_WINDOW_SIZE}. */
  readonly replayWindowSize?: number;
}

/** Replay windows of forgotten KIDs kept per receiver, so re-deriving or re-installing a KID cannot reset one. */
const RETIRED_WINDOWS = 32;

interface ReceiverKey {
  readonly key: SFrameKey;
  readonly baseKey: Uint8Array;
  /** The full ratchet step (the KID only carries its low R bits). */
  readonly step: bigint;
  readonly window: ReplayWindow;
}

/** Decrypts one remote sender's frames (receivers are per sender: the SSRC says who sent a frame). */
export class SFrameReceiver {
  readonly #suite: CipherSuite;
  readonly #ratchetBits: number;
  readonly #maxRatchetSteps: number;
  readonly #maxKeys: number;
  readonly #lookup: BaseKeyLookup | undefined;
  readonly #keys = new Map<bigint, ReceiverKey>();
  readonly #replayWindowSize: number;
  /** Windows of KIDs no longer held, oldest first. */
  readonly #retired = new Map<bigint, ReplayWindow>();

  constructor(suite: CipherSuite, options: ReceiverOptions = {}) {
    this.#suite = suite;
    this.#ratchetBits = options.ratchetBits ?? 0;
    this.#maxRatchetSteps = options.maxRatchetSteps ?? 16;
    this.#maxKeys = options.maxKeys ?? 8;
    this.#lookup = options.lookup;
    this.#replayWindowSize = options.replayWindowSize ?? DEFAULT_REPLAY_WINDOW_SIZE;
  }

  /** Installs a decrypt-only key for `kid` (`step` is the full ratchet step it is at, default 0). */
  async addKey(kid: bigint, baseKey: Uint8Array, step = 0n): Promise<void> {
    const key = await importSFrameKey(this.#suite, kid, baseKey);
    // The same KID again (a re-sent key message, say) keeps its window: CTRs already seen stay refused.
    this.#install(kid, { key, baseKey, step, window: this.#windowFor(kid) });
  }

  /** Forgets the key for `kid` (its replay window is kept). */
  removeKey(kid: bigint): void {
    this.#forget(kid);
  }

  /** Forgets every key older than `generation` (used after a rotation has taken effect). */
  removeGenerationsBefore(generation: bigint): void {
    this.removeKeysWhere((kid) => splitKid(kid, this.#ratchetBits).generation < generation);
  }

  /** Forgets every key whose KID matches (their replay windows are kept). */
  removeKeysWhere(matches: (kid: bigint) => boolean): void {
    for (const kid of [...this.#keys.keys()]) if (matches(kid)) this.#forget(kid);
  }

  /** The KIDs this receiver holds keys for. */
  get kids(): bigint[] {
    return [...this.#keys.keys()];
  }

  /**
   * Decrypts `header ‖ ciphertext` with AAD = header ‖ metadata. Never throws for bad input: a frame that
   * does not parse, has no key, fails authentication or was seen before comes back as `{ ok: false, reason }`.
   */
  async decrypt(frame: Uint8Array, metadata: Uint8Array = EMPTY): Promise<DecryptResult> {
    let parsed;
    try {
      parsed = decodeHeader(frame);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const header = frame.subarray(0, parsed.length);
    const ciphertext = frame.subarray(parsed.length);
    const aad = concatBytes(header, metadata);
    const existing = this.#keys.get(parsed.kid);
    const candidate = existing ?? (await this.#candidate(parsed.kid));
    if (candidate === undefined) return { ok: false, reason: 'unknown-kid' };
    if (!candidate.window.check(parsed.ctr)) return { ok: false, reason: 'replay' };
    const plaintext = await aeadDecrypt(candidate.key, frameNonce(candidate.key.salt, parsed.ctr), aad, ciphertext);
    if (plaintext === undefined) return { ok: false, reason: 'auth-failed' };
    // A ratcheted or looked-up key is kept only once a frame has authenticated with it, so forged KIDs
    // cannot move the receiver's state (and a failing frame never triggers more ratcheting). A copy of
    // the frame may have installed it meanwhile: then that entry's window decides.
    let entry = this.#keys.get(parsed.kid);
    if (entry === undefined) {
      entry = candidate;
      this.#install(parsed.kid, entry);
    }
    if (!entry.window.accept(parsed.ctr)) return { ok: false, reason: 'replay' };
    return { ok: true, plaintext, kid: parsed.kid, ctr: parsed.ctr };
  }

  async #candidate(kid: bigint): Promise<ReceiverKey | undefined> {
    const ratcheted = await this.#ratchetTo(kid);
    if (ratcheted !== undefined || this.#lookup === undefined) return ratcheted;
    const baseKey = await this.#lookup(kid);
    if (baseKey === undefined) return undefined;
    return { key: await importSFrameKey(this.#suite, kid, baseKey), baseKey, step: 0n, window: this.#windowFor(kid) };
  }

  async #ratchetTo(kid: bigint): Promise<ReceiverKey | undefined> {
    if (this.#ratchetBits === 0) return undefined;
    const { generation, stepLowBits } = splitKid(kid, this.#ratchetBits);
    let latest: ReceiverKey | undefined;
    for (const [known, entry] of this.#keys) {
      if (splitKid(known, this.#ratchetBits).generation !== generation) continue;
      if (latest === undefined || entry.step > latest.step) latest = entry;
    }
    if (latest === undefined) return undefined;
    const steps = stepsAhead(latest.step, stepLowBits, this.#ratchetBits, this.#maxRatchetSteps);
    if (steps === 0) return undefined;
    let baseKey = latest.baseKey;
    for (let i = 0; i < steps; i++) baseKey = await ratchetBaseKey(this.#suite, baseKey);
    const key = await importSFrameKey(this.#suite, kid, baseKey);
    return { key, baseKey, step: latest.step + BigInt(steps), window: this.#windowFor(kid) };
  }

  #install(kid: bigint, entry: ReceiverKey): void {
    this.#keys.delete(kid);
    this.#retired.delete(kid);
    this.#keys.set(kid, entry);
    while (this.#keys.size > this.#maxKeys) {
      const oldest = this.#keys.keys().next();
      if (oldest.done === true) break;
      this.#forget(oldest.value);
    }
  }

  /** The window `kid` had (held or retired), else a fresh one; a candidate gets a copy-free reference. */
  #windowFor(kid: bigint): ReplayWindow {
    return this.#keys.get(kid)?.window ?? this.#retired.get(kid) ?? new ReplayWindow(this.#replayWindowSize);
  }

  #forget(kid: bigint): void {
    const entry = this.#keys.get(kid);
    if (entry === undefined) return;
    this.#keys.delete(kid);
    this.#retired.set(kid, entry.window);
    while (this.#retired.size > RETIRED_WINDOWS) {
      const oldest = this.#retired.keys().next();
      if (oldest.done === true) break;
      this.#retired.delete(oldest.value);
    }
  }
}
