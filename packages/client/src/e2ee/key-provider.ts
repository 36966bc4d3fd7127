/**
 * How keys reach the frame cryptors. A {@link KeyProvider} turns room events into {@link KeyCommand}s;
 * the SDK forwards each command to the e2ee worker (see `worker-protocol.ts`), where `FrameCrypto`
 * applies it. Two providers ship: shared (`shared-key-provider.ts`) and managed sender keys
 * (`managed/key-distributor.ts`).
 */
import type { CipherSuiteId } from './sframe/cipher-suites.ts';

/** A change of key material for the frame cryptors. Contains secrets: never log it. */
export type KeyCommand =
  /** Encrypt local media with this key from now on (a video keyframe should follow). */
  | {
      readonly type: 'setSenderKey';
      readonly kid: bigint;
      readonly baseKey: Uint8Array;
    }
  /** Decrypt `participantId`'s media with this key (managed mode; ratchets forward from `step`). */
  | {
      readonly type: 'setReceiverKey';
      readonly participantId: string;
      readonly kid: bigint;
      readonly baseKey: Uint8Array;
      readonly step: bigint;
      readonly ratchetBits: number;
    }
  /** Shared mode: the room key of one generation; receivers derive each sender's key from it by KID. */
  | { readonly type: 'setSharedRoomKey'; readonly generation: number; readonly roomKey: Uint8Array }
  /** Shared mode: forget an old generation's room key. */
  | { readonly type: 'removeSharedRoomKey'; readonly generation: number }
  /** Forget everything about a participant who left. */
  | { readonly type: 'removeParticipant'; readonly participantId: string };

/** Source of E2EE keys for one local participant in one room. */
export interface KeyProvider {
  /** `shared`: keys derived from an app-provided secret; `managed`: random sender keys sealed to peers. */
  readonly mode: 'shared' | 'managed';
  /** The SFrame cipher suite every participant of the room must use. */
  readonly cipherSuite: CipherSuiteId;
  /** The commands that bring a newly started worker up to date. */
  snapshot(): KeyCommand[];
  /** Calls `listener` for every later command; returns the unsubscribe function. */
  subscribe(listener: (command: KeyCommand) => void): () => void;
  /** A remote participant left the room. */
  handleParticipantLeft(participantId: string): void;
  /** Stops timers and forgets key material. */
  close(): void;
}
