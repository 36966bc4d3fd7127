/**
 * A room: its participants keyed by userId, their streams, and the counts its limits are checked against.
 * Checks (`check*`) never change state; mutators assume their check passed. The RoomDirectory runs both,
 * so a refused request leaves nothing behind.
 */
import { ConclaveError } from '@conclave/protocol';
import type { MediaKind, Role, Scene, StreamType } from '@conclave/protocol';
import type { SceneLimits } from './limits.ts';
import { streamSlot } from './participant.ts';
import { RoomControl } from './room-control.ts';
import { AwaitedMembers, type RoomPredecessor } from './room-predecessor.ts';
import type { Participant, PublishedStream } from './participant.ts';
import { roomKeyString } from './room-key.ts';
import type { RoomKey } from './room-key.ts';

/** A room that exists from its first entry until its last participant is gone. */
export class Room {
  readonly key: RoomKey;
  /** {@link roomKeyString} of the key, for maps and logs. */
  readonly id: string;
  /** Fixed by the first entry; later entries join with this scene whatever they asked for. */
  readonly scene: Scene;
  readonly limits: SceneLimits;
  readonly createdAt: number;
  /** Set by the first entry: every participant must encrypt media end to end (E2EE), or is refused. */
  readonly e2eeRequired: boolean;
  /** Conference control: owner, admins, bans, lock, password, seats (the directory applies its actions). */
  readonly control: RoomControl;
  readonly #participants = new Map<string, Participant>();
  readonly #streams = new Map<string, PublishedStream>();
  #anchorCount = 0;
  #publisherCount = 0;
  #subStreamOwner: string | undefined;
  #closedAt: number | undefined;
  #awaited: AwaitedMembers | undefined;

  /** @internal Created by the RoomDirectory. */
  constructor(
    key: RoomKey,
    scene: Scene,
    limits: SceneLimits,
    createdAt: number,
    e2eeRequired = false,
    now: () => number = Date.now,
  ) {
    // A copy, so a caller that reuses its request object cannot move the room under our map key.
    this.key = Object.freeze({ ...key });
    this.id = roomKeyString(key);
    this.scene = scene;
    this.limits = limits;
    this.createdAt = createdAt;
    this.e2eeRequired = e2eeRequired;
    this.control = new RoomControl(now);
  }

  /**
   * @internal Set by the RoomDirectory on a room that continues one served by a node that died: its members
   * are awaited until `deadline`.
   */
  inherit(predecessor: RoomPredecessor, deadline: number): void {
    this.#awaited = new AwaitedMembers(predecessor.members, deadline);
  }

  /** True when this room continues one served by a node that died (its creation was announced there). */
  get continues(): boolean {
    return this.#awaited !== undefined;
  }

  /** Members of the room's predecessor not back yet (undefined for a room that continues nothing). */
  get awaited(): AwaitedMembers | undefined {
    return this.#awaited;
  }

  get userCount(): number {
    return this.#participants.size;
  }

  /** Participants holding the anchor role. */
  get anchorCount(): number {
    return this.#anchorCount;
  }

  /** Participants publishing at least one stream. */
  get publisherCount(): number {
    return this.#publisherCount;
  }

  /** userId of the participant sharing a screen, if any (one per room). */
  get subStreamOwner(): string | undefined {
    return this.#subStreamOwner;
  }

  get closed(): boolean {
    return this.#closedAt !== undefined;
  }

  get closedAt(): number | undefined {
    return this.#closedAt;
  }

  getParticipant(userId: string): Participant | undefined {
    return this.#participants.get(userId);
  }

  participants(): Participant[] {
    return [...this.#participants.values()];
  }

  getStream(streamId: string): PublishedStream | undefined {
    return this.#streams.get(streamId);
  }

  streams(): PublishedStream[] {
    return [...this.#streams.values()];
  }

  /**
   * Throws ROOM_FULL / ROOM_PUBLISHERS_FULL when `userId` cannot enter as `role`. A session of the same
   * user that is already here is about to be displaced, so its seat (and its anchor seat) counts as free.
   */
  checkAdmit(userId: string, role: Role): void {
    const previous = this.#participants.get(userId);
    const users = this.#participants.size - (previous ? 1 : 0);
    if (users >= this.limits.maxUsers) {
      throw new ConclaveError('ROOM_FULL', undefined, { details: { maxUsers: this.limits.maxUsers } });
    }
    if (role === 'anchor') this.#checkAnchorSeat(previous);
  }

  /** Throws ROOM_PUBLISHERS_FULL when `participant` cannot become an anchor. */
  checkBecomeAnchor(participant: Participant): void {
    if (participant.role !== 'anchor') this.#checkAnchorSeat(undefined);
  }

  /** Throws STREAM_ALREADY_PUBLISHED, SUB_STREAM_TAKEN or ROOM_PUBLISHERS_FULL (the role is checked before). */
  checkPublish(participant: Participant, id: string, kind: MediaKind, streamType: StreamType): void {
    if (participant.streamIn(streamSlot(kind, streamType)) || this.#streams.has(id)) {
      throw new ConclaveError('STREAM_ALREADY_PUBLISHED', undefined, { details: { kind, streamType } });
    }
    if (streamType === 'sub' && this.#subStreamOwner !== undefined && this.#subStreamOwner !== participant.userId) {
      throw new ConclaveError('SUB_STREAM_TAKEN', undefined, { details: { userId: this.#subStreamOwner } });
    }
    if (!participant.isPublishing && this.#publisherCount >= this.limits.maxPublishers) {
      throw new ConclaveError('ROOM_PUBLISHERS_FULL', undefined, {
        details: { maxPublishers: this.limits.maxPublishers },
      });
    }
  }

  /** @internal */
  attach(participant: Participant): void {
    this.#participants.set(participant.userId, participant);
    if (participant.role === 'anchor') this.#anchorCount++;
  }

  /** @internal Removes the participant and its streams; returns the streams so their producers can be closed. */
  detach(participant: Participant): PublishedStream[] {
    const removed = this.removeAllStreams(participant);
    this.#participants.delete(participant.userId);
    if (participant.role === 'anchor') this.#anchorCount--;
    participant.markLeft();
    return removed;
  }

  /** @internal */
  changeRole(participant: Participant, role: Role): void {
    if (participant.role === role) return;
    this.#anchorCount += role === 'anchor' ? 1 : -1;
    participant.setRole(role);
  }

  /** @internal */
  addStream(participant: Participant, stream: PublishedStream): void {
    if (!participant.isPublishing) this.#publisherCount++;
    participant.attachStream(stream);
    this.#streams.set(stream.id, stream);
    if (stream.streamType === 'sub') this.#subStreamOwner = participant.userId;
  }

  /** @internal */
  removeStream(participant: Participant, stream: PublishedStream): void {
    participant.detachStream(stream);
    this.#streams.delete(stream.id);
    if (!participant.isPublishing) this.#publisherCount--;
    // Sub audio and sub video belong to one screen share; the room's sub slot frees when both are gone.
    if (stream.streamType === 'sub' && !participant.isSharingScreen) this.#subStreamOwner = undefined;
  }

  /** @internal */
  removeAllStreams(participant: Participant): PublishedStream[] {
    const removed = participant.streams;
    for (const stream of removed) this.removeStream(participant, stream);
    return removed;
  }

  /** @internal */
  close(at: number): void {
    this.#closedAt = at;
  }

  #checkAnchorSeat(displaced: Participant | undefined): void {
    const anchors = this.#anchorCount - (displaced?.role === 'anchor' ? 1 : 0);
    if (anchors >= this.limits.maxAnchors) {
      throw new ConclaveError('ROOM_PUBLISHERS_FULL', undefined, { details: { maxAnchors: this.limits.maxAnchors } });
    }
  }
}
