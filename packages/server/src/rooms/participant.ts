/** A participant: one session of one user in one room, with its role, privileges and published streams. */
import type { MediaKind, Role, StreamType } from '@conclave/protocol';
import type { CustomMessageLimiter } from './custom-message-limiter.ts';
import type { RoomKey } from './room-key.ts';

/** One published track, named by the caller's opaque id (the mediasoup producer id). */
export interface PublishedStream {
  readonly id: string;
  readonly userId: string;
  /** The publishing participant's session, so a caller can tell a displaced session's streams apart. */
  readonly sessionId: string;
  readonly kind: MediaKind;
  readonly streamType: StreamType;
}

/** A participant publishes at most one stream per slot: main audio, main video, sub video (and sub audio). */
export type StreamSlot = `${MediaKind}/${StreamType}`;

/** The slot of a (kind, streamType) pair. */
export function streamSlot(kind: MediaKind, streamType: StreamType): StreamSlot {
  return `${kind}/${streamType}`;
}

/** Opaque client facts kept for troubleshooting and quality queries; never interpreted here. */
export interface ParticipantMetadata {
  readonly sdkVersion?: string;
  readonly os?: string;
  readonly clientIp?: string;
  /** The participant's E2EE public key (opaque; relayed to the others, never used here). */
  readonly e2eePublicKey?: string;
  /** The display name given at entry (bounded by the join schema); shown in the roster, never stored. */
  readonly userName?: string;
  /** The participant is a recorder (entered with a verified Record privilege); shown to everyone. */
  readonly recording?: boolean;
}

/** Construction input; only the room directory creates participants. */
export interface ParticipantInit {
  readonly roomKey: RoomKey;
  readonly userId: string;
  readonly sessionId: string;
  readonly role: Role;
  readonly joinedAt: number;
  readonly privilegeControl: boolean;
  readonly privileges: number | undefined;
  readonly metadata: ParticipantMetadata;
  readonly customMessages: CustomMessageLimiter;
  /** The entry continues this user's session in the room on a node that died (default false). */
  readonly carriedOver?: boolean;
}

/**
 * Read freely; change only through the RoomDirectory, which keeps the room's counts in step. The mutators
 * below are public for the directory's and room's sake and are not part of the exported API.
 */
export class Participant {
  readonly roomKey: RoomKey;
  readonly userId: string;
  readonly sessionId: string;
  readonly joinedAt: number;
  /** Whether the app had advanced permission control on when this session entered. */
  readonly privilegeControl: boolean;
  readonly sdkVersion: string | undefined;
  readonly os: string | undefined;
  readonly clientIp: string | undefined;
  readonly e2eePublicKey: string | undefined;
  readonly userName: string | undefined;
  /** A recording participant: receives only, and everyone sees that it records. */
  readonly recording: boolean;
  /**
   * This entry continues the user's session in the room on a node that died (cluster failover): to the
   * customer's backend it is not a new entry.
   */
  readonly carriedOver: boolean;
  /** @internal */
  readonly customMessages: CustomMessageLimiter;
  #role: Role;
  #privileges: number | undefined;
  #disconnectedAt: number | undefined;
  #left = false;
  readonly #streams = new Map<StreamSlot, PublishedStream>();

  constructor(init: ParticipantInit) {
    this.roomKey = init.roomKey;
    this.userId = init.userId;
    this.sessionId = init.sessionId;
    this.joinedAt = init.joinedAt;
    this.privilegeControl = init.privilegeControl;
    this.sdkVersion = init.metadata.sdkVersion;
    this.os = init.metadata.os;
    this.clientIp = init.metadata.clientIp;
    this.e2eePublicKey = init.metadata.e2eePublicKey;
    this.userName = init.metadata.userName;
    this.recording = init.metadata.recording === true;
    this.carriedOver = init.carriedOver === true;
    this.customMessages = init.customMessages;
    this.#role = init.role;
    this.#privileges = init.privileges;
  }

  get role(): Role {
    return this.#role;
  }

  /** The PrivateMapKey privilege bitmap of the latest enter or switchRole, if one was given. */
  get privileges(): number | undefined {
    return this.#privileges;
  }

  /** False between markDisconnected and markReconnected (the grace period). */
  get connected(): boolean {
    return this.#disconnectedAt === undefined;
  }

  /** When the connection dropped, while disconnected. */
  get disconnectedAt(): number | undefined {
    return this.#disconnectedAt;
  }

  /** True once the participant has left the room for any reason; it then holds no streams. */
  get left(): boolean {
    return this.#left;
  }

  /** The streams this participant publishes now (a copy). */
  get streams(): PublishedStream[] {
    return [...this.#streams.values()];
  }

  /** True while at least one stream is published (it then counts as a publisher). */
  get isPublishing(): boolean {
    return this.#streams.size > 0;
  }

  /** The stream in a slot, if any. */
  streamIn(slot: StreamSlot): PublishedStream | undefined {
    return this.#streams.get(slot);
  }

  /** True when this participant publishes a sub stream (screen share). */
  get isSharingScreen(): boolean {
    return this.#streams.has('video/sub') || this.#streams.has('audio/sub');
  }

  /** @internal */
  setRole(role: Role): void {
    this.#role = role;
  }

  /** @internal */
  setPrivileges(privileges: number | undefined): void {
    this.#privileges = privileges;
  }

  /** @internal */
  attachStream(stream: PublishedStream): void {
    this.#streams.set(streamSlot(stream.kind, stream.streamType), stream);
  }

  /** @internal */
  detachStream(stream: PublishedStream): void {
    this.#streams.delete(streamSlot(stream.kind, stream.streamType));
  }

  /** @internal */
  setDisconnected(at: number | undefined): void {
    this.#disconnectedAt = at;
  }

  /** @internal */
  markLeft(): void {
    this.#left = true;
    this.#disconnectedAt = undefined;
  }
}
