/**
 * Managed sender keys (RFC 9605 §5.1 over HPKE): every participant encrypts with its own random sender
 * key and seals it to each peer's session X25519 key. The state machine:
 *
 * - peer joins → ratchet the sender key one step and give the newcomer only the ratcheted key
 *   (existing peers follow the KID forward by themselves), so the newcomer cannot read the past;
 * - peer leaves → after `rotateDebounceMs` (leaves in that window share one rotation) make a fresh
 *   random key of the next generation, seal it to everyone remaining, and start encrypting with it
 *   `activationDelayMs` later, so the departed cannot read the future. Both delays default to 1 s,
 *   well inside the 5 s promise;
 * - a known participant announced again with another public key → refused (never a silent swap): the
 *   old key stays, nothing is sealed to the new one, and `onPeerKeyChanged` reports it; the app may
 *   {@link KeyDistributor.acceptPeerKey} it, which counts as the old key leaving and the new one joining;
 * - an optional `verifyPeerKey` hook (the app's own identity check) must approve a key before anything
 *   is sealed to it;
 * - key message → open it (only the claimed sender could have made it) and install the peer's key.
 *   A key message may overtake the signaling news of its sender's arrival, so messages from unknown
 *   senders wait (a few per sender, a few senders, for a while) until that participant is announced.
 *
 * Inputs come through `handle*` methods, outputs go to the injected `send` and to subscribers as
 * {@link KeyCommand}s, and time comes from injected timers, so the whole thing runs in unit tests.
 */
import { randomBytes } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import type { KeyCommand, KeyProvider } from '../key-provider.ts';
import {
  composeKid,
  DEFAULT_RATCHET_BITS,
  ratchetSenderKey,
  senderKid,
  splitKid,
  type SenderKeyState,
} from '../ratchet.ts';
import { cipherSuite, DEFAULT_CIPHER_SUITE, type CipherSuite, type CipherSuiteId } from '../sframe/cipher-suites.ts';
import { defaultTimers, type Timers } from '../timers.ts';
import { generateX25519KeyPair, type X25519KeyPair } from './hpke.ts';
import { openSenderKey, sealSenderKey, type SenderKeyGrant } from './key-message.ts';
import { securityCode } from './security-code.ts';

/** Options of {@link KeyDistributor.create}. */
export interface KeyDistributorOptions {
  /** The local participant's userId. */
  readonly localId: string;
  /** Sends an opaque key message to one participant (through the server's relay). */
  readonly send: (to: string, blob: Uint8Array) => void;
  /** The session key pair; a fresh one is made when omitted. */
  readonly keyPair?: X25519KeyPair;
  readonly cipherSuite?: CipherSuiteId;
  readonly ratchetBits?: number;
  readonly rotateDebounceMs?: number;
  readonly activationDelayMs?: number;
  readonly timers?: Timers;
  /** A key message that could not be used (malformed, not from its claimed sender, unknown sender). */
  readonly onError?: (error: E2eeError, from: string) => void;
  /** Approves a peer's public key before our sender key is sealed to it (e.g. against the app's signature). */
  readonly verifyPeerKey?: (userId: string, publicKey: Uint8Array) => boolean | Promise<boolean>;
  /** A known participant was announced with another public key; the new key was refused. */
  readonly onPeerKeyChanged?: (userId: string, current: Uint8Array, announced: Uint8Array) => void;
  /** `verifyPeerKey` refused (or failed on) a participant's key. */
  readonly onPeerKeyRefused?: (userId: string, publicKey: Uint8Array) => void;
  /** The set of key holders ({@link KeyDistributor.keyHolders}) changed. */
  readonly onKeyHoldersChanged?: () => void;
}

/** A participant our sender key is sealed to. */
export interface KeyHolder {
  readonly userId: string;
  readonly publicKey: Uint8Array;
}

/** Limits on key messages held back until their sender is announced. */
const EARLY_MESSAGES_PER_SENDER = 4;
const EARLY_SENDERS = 32;
const EARLY_MESSAGE_TTL_MS = 10_000;

interface Peer {
  readonly publicKey: Uint8Array;
  /** The newest (generation, step) installed from this peer; older grants are replays and ignored. */
  latest: { generation: bigint; step: bigint } | undefined;
}

/** The managed-sender-keys {@link KeyProvider}. */
export class KeyDistributor implements KeyProvider {
  readonly mode = 'managed';
  readonly cipherSuite: CipherSuiteId;
  readonly #suite: CipherSuite;
  readonly #localId: string;
  readonly #keyPair: X25519KeyPair;
  readonly #send: (to: string, blob: Uint8Array) => void;
  readonly #timers: Timers;
  readonly #rotateDebounceMs: number;
  readonly #activationDelayMs: number;
  readonly #onError: (error: E2eeError, from: string) => void;
  readonly #verifyPeerKey: KeyDistributorOptions['verifyPeerKey'];
  readonly #onPeerKeyChanged: NonNullable<KeyDistributorOptions['onPeerKeyChanged']>;
  readonly #onPeerKeyRefused: NonNullable<KeyDistributorOptions['onPeerKeyRefused']>;
  readonly #onKeyHoldersChanged: () => void;
  /** The key each present participant was first announced with (admitted, being verified, or refused). */
  readonly #announced = new Map<string, Uint8Array>();
  readonly #listeners = new Set<(command: KeyCommand) => void>();
  readonly #peers = new Map<string, Peer>();
  readonly #timerHandles = new Set<unknown>();
  readonly #early = new Map<string, Uint8Array[]>();
  #sender: SenderKeyState;
  /** A distributed key of the next generation, not yet used for encryption. */
  #pending: SenderKeyState | undefined;
  #rotationScheduled = false;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(options: KeyDistributorOptions, keyPair: X25519KeyPair) {
    this.cipherSuite = options.cipherSuite ?? DEFAULT_CIPHER_SUITE;
    this.#suite = cipherSuite(this.cipherSuite);
    this.#localId = options.localId;
    this.#keyPair = keyPair;
    this.#send = options.send;
    this.#timers = options.timers ?? defaultTimers;
    this.#rotateDebounceMs = options.rotateDebounceMs ?? 1000;
    this.#activationDelayMs = options.activationDelayMs ?? 1000;
    this.#onError = options.onError ?? (() => undefined);
    this.#verifyPeerKey = options.verifyPeerKey;
    this.#onPeerKeyChanged = options.onPeerKeyChanged ?? (() => undefined);
    this.#onPeerKeyRefused = options.onPeerKeyRefused ?? (() => undefined);
    this.#onKeyHoldersChanged = options.onKeyHoldersChanged ?? (() => undefined);
    this.#sender = this.#freshKey(0n, options.ratchetBits ?? DEFAULT_RATCHET_BITS);
  }

  /** A distributor with a fresh sender key (generation 0) and, unless given, a fresh key pair. */
  static async create(options: KeyDistributorOptions): Promise<KeyDistributor> {
    return new KeyDistributor(options, options.keyPair ?? (await generateX25519KeyPair()));
  }

  /** The session public key to publish through signaling. */
  get publicKey(): Uint8Array {
    return this.#keyPair.publicKey;
  }

  /** The KID the local participant encrypts with now. */
  get senderKid(): bigint {
    return senderKid(this.#sender);
  }

  snapshot(): KeyCommand[] {
    return [this.#senderCommand()];
  }

  subscribe(listener: (command: KeyCommand) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A peer joined (or is already there when we join, or changed role) with its published session public key.
   * The first key announced for a present participant is the one it keeps; another is refused and reported.
   */
  handleParticipantJoined(participantId: string, publicKey: Uint8Array): Promise<void> {
    const known = this.#announced.get(participantId);
    if (known !== undefined) {
      if (!equalBytes(known, publicKey)) this.#onPeerKeyChanged(participantId, known.slice(), publicKey.slice());
      return this.#queue;
    }
    const key = publicKey.slice();
    this.#announced.set(participantId, key);
    const verify = this.#verifyPeerKey;
    if (verify === undefined) return this.#enqueue(() => this.#admit(participantId, key));
    // Verified outside the queue, so a slow app check does not hold up everyone else's keys.
    return (async () => {
      let approved = false;
      try {
        approved = (await verify(participantId, key.slice())) === true;
      } catch {
        approved = false;
      }
      if (this.#closed || this.#announced.get(participantId) !== key) return; // left meanwhile
      if (!approved) return this.#onPeerKeyRefused(participantId, key.slice());
      await this.#enqueue(() => this.#admit(participantId, key));
    })();
  }

  /**
   * The app accepts `publicKey` for `participantId` after a key change: the old key counts as having left
   * (a fresh sender key follows, so it cannot read on) and the new one as having joined (verified again).
   */
  acceptPeerKey(participantId: string, publicKey: Uint8Array): Promise<void> {
    this.handleParticipantLeft(participantId);
    return this.handleParticipantJoined(participantId, publicKey);
  }

  /** The participants our sender key is sealed to, with the public keys it is sealed to. */
  keyHolders(): KeyHolder[] {
    return [...this.#peers].map(([userId, peer]) => ({ userId, publicKey: peer.publicKey.slice() }));
  }

  async #admit(participantId: string, publicKey: Uint8Array): Promise<void> {
    if (this.#announced.get(participantId) !== publicKey || this.#peers.has(participantId)) return;
    this.#sender = await ratchetSenderKey(this.#suite, this.#sender);
    this.#emit(this.#senderCommand());
    this.#peers.set(participantId, { publicKey: publicKey.slice(), latest: undefined });
    this.#onKeyHoldersChanged();
    await this.#grant(participantId, this.#sender);
    if (this.#pending !== undefined) await this.#grant(participantId, this.#pending);
    const early = this.#early.get(participantId) ?? [];
    this.#early.delete(participantId);
    for (const blob of early) await this.#receive(participantId, blob);
  }

  /** A peer left: forget its keys and schedule a fresh sender key for everyone remaining. */
  handleParticipantLeft(participantId: string): void {
    this.#announced.delete(participantId);
    if (!this.#peers.delete(participantId)) return;
    this.#emit({ type: 'removeParticipant', participantId });
    this.#onKeyHoldersChanged();
    if (this.#rotationScheduled) return; // one rotation covers every leave in the debounce window
    this.#rotationScheduled = true;
    this.#after(this.#rotateDebounceMs, () => void this.#enqueue(() => this.#rotate()));
  }

  /** A key message relayed from `from`. Bad messages go to `onError`; this never rejects. */
  handleKeyMessage(from: string, blob: Uint8Array): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#peers.has(from)) await this.#receive(from, blob);
      else this.#holdBack(from, blob);
    });
  }

  /** The room security code over the local participant and every known peer. */
  securityCode(): Promise<string> {
    const entries = [{ userId: this.#localId, publicKey: this.#keyPair.publicKey }];
    for (const [userId, peer] of this.#peers) entries.push({ userId, publicKey: peer.publicKey });
    return securityCode(entries);
  }

  /** Settles once every queued operation has run (tests and orderly shutdown). */
  idle(): Promise<void> {
    return this.#queue;
  }

  close(): void {
    this.#closed = true;
    for (const handle of this.#timerHandles) this.#timers.clearTimeout(handle);
    this.#timerHandles.clear();
    this.#listeners.clear();
    this.#peers.clear();
    this.#announced.clear();
    this.#early.clear();
  }

  #holdBack(from: string, blob: Uint8Array): void {
    const queue = this.#early.get(from);
    if (queue === undefined && this.#early.size >= EARLY_SENDERS) {
      this.#onError(new E2eeError('E2EE_KEY_MESSAGE_UNREADABLE', 'unknown sender'), from);
      return;
    }
    if (queue !== undefined && queue.length >= EARLY_MESSAGES_PER_SENDER) {
      this.#onError(new E2eeError('E2EE_KEY_MESSAGE_UNREADABLE', 'unknown sender'), from);
      return;
    }
    const held = blob.slice();
    if (queue === undefined) this.#early.set(from, [held]);
    else queue.push(held);
    this.#after(EARLY_MESSAGE_TTL_MS, () => {
      const current = this.#early.get(from);
      if (current === undefined || !current.includes(held)) return;
      this.#early.set(
        from,
        current.filter((b) => b !== held),
      );
      if (this.#early.get(from)?.length === 0) this.#early.delete(from);
      this.#onError(new E2eeError('E2EE_KEY_MESSAGE_UNREADABLE', 'sender never announced'), from);
    });
  }

  async #receive(from: string, blob: Uint8Array): Promise<void> {
    const peer = this.#peers.get(from);
    if (peer === undefined) return;
    let grant: SenderKeyGrant;
    try {
      grant = await openSenderKey(
        blob,
        this.cipherSuite,
        { id: from, publicKey: peer.publicKey },
        { id: this.#localId, keyPair: this.#keyPair },
      );
    } catch (error) {
      this.#onError(error instanceof E2eeError ? error : new E2eeError('E2EE_KEY_MESSAGE_MALFORMED'), from);
      return;
    }
    const { generation } = splitKid(grant.kid, grant.ratchetBits);
    if (composeKid(generation, grant.step, grant.ratchetBits) !== grant.kid) {
      this.#onError(new E2eeError('E2EE_KEY_MESSAGE_MALFORMED', 'kid does not match step'), from);
      return;
    }
    const latest = peer.latest;
    const older =
      latest !== undefined &&
      (generation < latest.generation || (generation === latest.generation && grant.step < latest.step));
    if (older) return; // an older key than one we have: a replay or a reordering, harmless to ignore
    peer.latest = { generation, step: grant.step };
    this.#emit({ type: 'setReceiverKey', participantId: from, ...grant });
  }

  async #rotate(): Promise<void> {
    this.#rotationScheduled = false;
    const next = this.#freshKey(this.#sender.generation + 1n, this.#sender.ratchetBits);
    this.#pending = next;
    for (const participantId of this.#peers.keys()) await this.#grant(participantId, next);
    const activate = (): void => {
      if (this.#pending !== next) return;
      this.#pending = undefined;
      this.#sender = next;
      this.#emit(this.#senderCommand());
    };
    if (this.#peers.size === 0) activate();
    else this.#after(this.#activationDelayMs, activate);
  }

  async #grant(participantId: string, state: SenderKeyState): Promise<void> {
    const peer = this.#peers.get(participantId);
    if (peer === undefined) return;
    const grant = { kid: senderKid(state), step: state.step, ratchetBits: state.ratchetBits, baseKey: state.baseKey };
    const blob = await sealSenderKey(
      grant,
      this.cipherSuite,
      { id: this.#localId, keyPair: this.#keyPair },
      { id: participantId, publicKey: peer.publicKey },
    );
    if (!this.#closed) this.#send(participantId, blob);
  }

  #freshKey(generation: bigint, ratchetBits: number): SenderKeyState {
    return { generation, step: 0n, baseKey: randomBytes(this.#suite.nh), ratchetBits };
  }

  #senderCommand(): KeyCommand {
    return { type: 'setSenderKey', kid: senderKid(this.#sender), baseKey: this.#sender.baseKey };
  }

  #after(ms: number, callback: () => void): void {
    const handle = this.#timers.setTimeout(() => {
      this.#timerHandles.delete(handle);
      if (!this.#closed) callback();
    }, ms);
    this.#timerHandles.add(handle);
  }

  #enqueue(operation: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(() => (this.#closed ? undefined : operation()));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #emit(command: KeyCommand): void {
    for (const listener of this.#listeners) listener(command);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
