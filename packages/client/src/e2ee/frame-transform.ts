/**
 * Per-frame encryption for the encoded-transform worker, free of any browser API so it runs in tests:
 * an encrypted frame is `clear codec bytes ‖ SFrame header ‖ ciphertext`, with the clear bytes as SFrame
 * metadata (authenticated). {@link FrameCrypto} holds the local sender key and one receiver per remote
 * participant, and applies the {@link KeyCommand}s a key provider emits.
 */
import { concatBytes } from './bytes.ts';
import { clearByteCount, e2eeCodecOf } from './codec-clear-bytes.ts';
import type { KeyCommand } from './key-provider.ts';
import { deriveSharedSenderKey, sharedKidGeneration } from './shared-key-provider.ts';
import { cipherSuite, DEFAULT_CIPHER_SUITE, type CipherSuite, type CipherSuiteId } from './sframe/cipher-suites.ts';
import { SFrameReceiver, SFrameSender, type DropReason } from './sframe/context.ts';

/** Why a frame was dropped instead of passed on. */
export type FrameDropReason = DropReason | 'no-key' | 'unsupported-codec' | 'counter-exhausted' | 'too-short';

/** The outcome of encrypting or decrypting one frame: the bytes to pass on, or a drop. */
export type FrameResult =
  | { readonly ok: true; readonly data: ArrayBuffer }
  | { readonly ok: false; readonly reason: FrameDropReason };

/** Dropped-frame counts, by participant ('' for the local sender) and reason. */
export type DropStats = Record<string, Partial<Record<FrameDropReason, number>>>;

const LOCAL = '';

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/** All frame keys of one local participant (one per worker). */
export class FrameCrypto {
  readonly #suite: CipherSuite;
  #sender: SFrameSender | undefined;
  /** Next CTR per KID ever used, so re-installing a KID can never restart its counter. */
  readonly #counters = new Map<bigint, bigint>();
  readonly #receivers = new Map<string, { receiver: SFrameReceiver; ratchetBits: number }>();
  readonly #sharedRoomKeys = new Map<number, Uint8Array>();
  #drops: DropStats = {};

  constructor(suite: CipherSuiteId = DEFAULT_CIPHER_SUITE) {
    this.#suite = cipherSuite(suite);
  }

  /** Applies a key change. */
  async apply(command: KeyCommand): Promise<void> {
    switch (command.type) {
      case 'setSenderKey': {
        if (this.#sender !== undefined) this.#counters.set(this.#sender.kid, this.#sender.nextCounter);
        const firstCounter = this.#counters.get(command.kid) ?? 0n;
        this.#sender = await SFrameSender.create(this.#suite, command.kid, command.baseKey, firstCounter);
        return;
      }
      case 'setReceiverKey':
        await this.#receiver(command.participantId, command.ratchetBits).addKey(
          command.kid,
          command.baseKey,
          command.step,
        );
        return;
      case 'setSharedRoomKey':
        this.#sharedRoomKeys.set(command.generation, command.roomKey);
        return;
      case 'removeSharedRoomKey':
        this.#sharedRoomKeys.delete(command.generation);
        // Forget the keys derived from it; the receivers (and their replay windows) stay.
        for (const { receiver } of this.#receivers.values()) {
          receiver.removeKeysWhere((kid) => sharedKidGeneration(kid) === command.generation);
        }
        return;
      case 'removeParticipant':
        this.#receivers.delete(command.participantId);
        return;
    }
  }

  /** Whether a sender key is installed (without one, every outgoing frame is dropped). */
  get hasSenderKey(): boolean {
    return this.#sender !== undefined;
  }

  /**
   * Encrypts one outgoing frame: clear prefix ‖ SFrame(header ‖ ciphertext). `_isKeyFrame` is accepted for
   * the transform's convenience; VP8's own frame tag decides, because the receiver must reach the same answer.
   */
  async encryptFrame(data: ArrayBuffer, codec: string, _isKeyFrame?: boolean): Promise<FrameResult> {
    const known = e2eeCodecOf(codec);
    if (known === undefined) return this.#drop(LOCAL, 'unsupported-codec');
    const sender = this.#sender;
    if (sender === undefined) return this.#drop(LOCAL, 'no-key');
    const frame = new Uint8Array(data);
    // An empty frame (Opus DTX can emit them) has nothing to protect and no clear prefix to find: sent as is.
    if (frame.length === 0) return { ok: true, data };
    const clear = frame.subarray(0, clearByteCount(known, frame));
    let out: Uint8Array;
    try {
      out = concatBytes(clear, await sender.encrypt(frame.subarray(clear.length), clear));
    } catch {
      return this.#drop(LOCAL, 'counter-exhausted');
    }
    // A frame shorter than its codec's clear prefix (a truncated VP8 keyframe header) would be split differently
    // by the receiver, which finds the prefix from the bytes it gets: such a frame is not sent.
    if (clearByteCount(known, out) !== clear.length) return this.#drop(LOCAL, 'too-short');
    return { ok: true, data: toArrayBuffer(out) };
  }

  /** Decrypts one incoming frame from `participantId`, or says why it must be dropped. */
  async decryptFrame(participantId: string, data: ArrayBuffer, codec: string): Promise<FrameResult> {
    const known = e2eeCodecOf(codec);
    if (known === undefined) return this.#drop(participantId, 'unsupported-codec');
    const frame = new Uint8Array(data);
    if (frame.length === 0) return { ok: true, data };
    const clear = frame.subarray(0, clearByteCount(known, frame));
    const result = await this.#receiver(participantId).decrypt(frame.subarray(clear.length), clear);
    if (!result.ok) return this.#drop(participantId, result.reason);
    return { ok: true, data: toArrayBuffer(concatBytes(clear, result.plaintext)) };
  }

  /** Drop counts since the last call (then reset). */
  takeDropStats(): DropStats {
    const drops = this.#drops;
    this.#drops = {};
    return drops;
  }

  #drop(participantId: string, reason: FrameDropReason): FrameResult {
    const counts = (this.#drops[participantId] ??= {});
    counts[reason] = (counts[reason] ?? 0) + 1;
    return { ok: false, reason };
  }

  #receiver(participantId: string, ratchetBits?: number): SFrameReceiver {
    const existing = this.#receivers.get(participantId);
    if (existing !== undefined && (ratchetBits === undefined || existing.ratchetBits === ratchetBits)) {
      return existing.receiver;
    }
    const bits = ratchetBits ?? 0;
    const receiver = new SFrameReceiver(this.#suite, {
      ratchetBits: bits,
      lookup: async (kid) => {
        const roomKey = this.#sharedRoomKeys.get(sharedKidGeneration(kid));
        return roomKey === undefined ? undefined : deriveSharedSenderKey(this.#suite, roomKey, participantId, kid);
      },
    });
    this.#receivers.set(participantId, { receiver, ratchetBits: bits });
    return receiver;
  }
}
