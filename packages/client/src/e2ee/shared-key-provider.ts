/**
 * Shared mode: the app gives every participant the same room secret. From it each participant derives a
 * room key (PBKDF2, so a guessable passphrase costs an attacker more), and from the room key each sender
 * derives its own base key per KID. Receivers derive a sender's key on demand from the KID in the frame
 * and the sender's userId (which the SSRC tells them), so no key travels through the server.
 *
 * KID = (48 random bits << 8) | (generation mod 256). The random part is fresh per provider and per
 * rotation: base keys are deterministic, so without it a participant who rejoins with the same secret
 * would encrypt under the same key from CTR 0 again, reusing nonces.
 */
import { bufferSource, concatBytes, decodeBigEndian, encodeBigEndian, randomBytes, utf8 } from './bytes.ts';
import { hkdfExpand } from './hkdf.ts';
import type { KeyCommand, KeyProvider } from './key-provider.ts';
import { cipherSuite, DEFAULT_CIPHER_SUITE, type CipherSuite, type CipherSuiteId } from './sframe/cipher-suites.ts';
import type { Timers } from './timers.ts';
import { defaultTimers } from './timers.ts';

/** PBKDF2 iterations for the room secret (tens of milliseconds once per rotation). */
export const SHARED_SECRET_ITERATIONS = 100_000;
/** Bits of the KID that carry the generation. */
export const SHARED_GENERATION_BITS = 8;
const GENERATION_MASK = (1n << BigInt(SHARED_GENERATION_BITS)) - 1n;

/** Derives the room key of a secret; `roomId` salts it so one secret gives unrelated keys in two rooms. */
export async function deriveSharedRoomKey(secret: string, roomId: string, suite: CipherSuite): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', bufferSource(utf8(secret)), 'PBKDF2', false, ['deriveBits']);
  const salt = concatBytes(utf8('Conclave E2EE shared room key v1\0'), utf8(roomId));
  const params = { name: 'PBKDF2', hash: suite.hash, salt: bufferSource(salt), iterations: SHARED_SECRET_ITERATIONS };
  return new Uint8Array(await crypto.subtle.deriveBits(params, material, suite.nh * 8));
}

/** The base key `userId` encrypts with under `kid`, from the room key of the KID's generation. */
export function deriveSharedSenderKey(
  suite: CipherSuite,
  roomKey: Uint8Array,
  userId: string,
  kid: bigint,
): Promise<Uint8Array> {
  const info = concatBytes(utf8('Conclave E2EE shared sender key v1\0'), encodeBigEndian(kid, 8), utf8(userId));
  return hkdfExpand(suite.hash, roomKey, info, suite.nh);
}

/** The generation (mod 256) a shared-mode KID belongs to. */
export function sharedKidGeneration(kid: bigint): number {
  return Number(kid & GENERATION_MASK);
}

/** Options of {@link SharedKeyProvider.create}. */
export interface SharedKeyProviderOptions {
  readonly secret: string;
  /** The local participant's userId. */
  readonly userId: string;
  /** The room's id (string form), salting the room key. */
  readonly roomId: string;
  readonly cipherSuite?: CipherSuiteId;
  /** The generation of `secret` (default 0); pass it to late joiners after rotations. */
  readonly generation?: number;
  /** How long the previous secret still decrypts after {@link SharedKeyProvider.rotate} (default 10 s). */
  readonly previousKeyGraceMs?: number;
  readonly timers?: Timers;
}

/** The shared-secret {@link KeyProvider}. */
export class SharedKeyProvider implements KeyProvider {
  readonly mode = 'shared';
  readonly cipherSuite: CipherSuiteId;
  readonly #suite: CipherSuite;
  readonly #userId: string;
  readonly #roomId: string;
  readonly #graceMs: number;
  readonly #timers: Timers;
  readonly #listeners = new Set<(command: KeyCommand) => void>();
  readonly #roomKeys = new Map<number, Uint8Array>();
  readonly #pendingRemovals = new Set<unknown>();
  #generation: number;
  #senderKey: { kid: bigint; baseKey: Uint8Array } | undefined;

  private constructor(options: SharedKeyProviderOptions) {
    this.cipherSuite = options.cipherSuite ?? DEFAULT_CIPHER_SUITE;
    this.#suite = cipherSuite(this.cipherSuite);
    this.#userId = options.userId;
    this.#roomId = options.roomId;
    this.#graceMs = options.previousKeyGraceMs ?? 10_000;
    this.#timers = options.timers ?? defaultTimers;
    this.#generation = (options.generation ?? 0) & 0xff;
  }

  /** A provider with keys for `secret` ready. */
  static async create(options: SharedKeyProviderOptions): Promise<SharedKeyProvider> {
    const provider = new SharedKeyProvider(options);
    await provider.#install(options.secret);
    return provider;
  }

  /** The current generation (mod 256). */
  get generation(): number {
    return this.#generation;
  }

  /** The KID the local participant currently encrypts with. */
  get senderKid(): bigint | undefined {
    return this.#senderKey?.kid;
  }

  snapshot(): KeyCommand[] {
    const commands: KeyCommand[] = [];
    for (const [generation, roomKey] of this.#roomKeys)
      commands.push({ type: 'setSharedRoomKey', generation, roomKey });
    if (this.#senderKey !== undefined) commands.push({ type: 'setSenderKey', ...this.#senderKey });
    return commands;
  }

  subscribe(listener: (command: KeyCommand) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Switches to `newSecret` as the next generation (or `generation`, if the app tracks it). Every
   * participant must rotate; the previous secret keeps decrypting for the grace period so frames in
   * flight are not lost.
   */
  async rotate(newSecret: string, generation?: number): Promise<void> {
    const previous = this.#generation;
    this.#generation = (generation ?? previous + 1) & 0xff;
    await this.#install(newSecret);
    if (previous === this.#generation) return;
    const handle = this.#timers.setTimeout(() => {
      this.#pendingRemovals.delete(handle);
      this.#roomKeys.delete(previous);
      this.#emit({ type: 'removeSharedRoomKey', generation: previous });
    }, this.#graceMs);
    this.#pendingRemovals.add(handle);
  }

  /**
   * Drops the departed participant's receiver. Its own keys cannot be revoked here: it knows the secret,
   * so keeping it out of the future takes a {@link SharedKeyProvider.rotate} with a secret it lacks.
   */
  handleParticipantLeft(participantId: string): void {
    this.#emit({ type: 'removeParticipant', participantId });
  }

  close(): void {
    for (const handle of this.#pendingRemovals) this.#timers.clearTimeout(handle);
    this.#pendingRemovals.clear();
    this.#roomKeys.clear();
    this.#senderKey = undefined;
    this.#listeners.clear();
  }

  async #install(secret: string): Promise<void> {
    const generation = this.#generation;
    const roomKey = await deriveSharedRoomKey(secret, this.#roomId, this.#suite);
    const random = decodeBigEndian(randomBytes(6));
    const kid = (random << BigInt(SHARED_GENERATION_BITS)) | BigInt(generation);
    const baseKey = await deriveSharedSenderKey(this.#suite, roomKey, this.#userId, kid);
    this.#roomKeys.set(generation, roomKey);
    this.#senderKey = { kid, baseKey };
    this.#emit({ type: 'setSharedRoomKey', generation, roomKey });
    this.#emit({ type: 'setSenderKey', kid, baseKey });
  }

  #emit(command: KeyCommand): void {
    for (const listener of this.#listeners) listener(command);
  }
}
