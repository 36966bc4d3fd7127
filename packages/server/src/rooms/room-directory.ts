/**
 * The rooms of this node and the only way to change them. Every method checks first and mutates after, so a
 * refused request leaves no trace; events are emitted once the state is whole again. The directory owns its
 * rooms' teardown (a room closes when its last participant is gone) and a room its participants' streams.
 */
import { EventEmitter } from 'node:events';
import { ConclaveError } from '@conclave/protocol';
import type {
  ControlledDevice,
  LeaveReason,
  MediaKind,
  Role,
  RoomControlRequest,
  Scene,
  StreamType,
} from '@conclave/protocol';
import { CustomMessageLimiter, DEFAULT_CUSTOM_MESSAGE_LIMITS } from './custom-message-limiter.ts';
import type { CustomMessageLimits } from './custom-message-limiter.ts';
import { resolveRoomLimits } from './limits.ts';
import type { RoomLimits, RoomLimitsOverrides } from './limits.ts';
import { Participant, streamSlot } from './participant.ts';
import type { ParticipantMetadata, PublishedStream } from './participant.ts';
import { checkEntry, checkPrivilege, checkRoleSwitch, receivePrivilegeFor, sendPrivilegeFor } from './permissions.ts';
import { Room } from './room.ts';
import type { RoomPredecessor } from './room-predecessor.ts';
import { applyControl, type ControlEvent, type ControlOps } from './room-control-actions.ts';
import { deviceOf } from './room-control.ts';
import { roomKeyString } from './room-key.ts';
import type { RoomKey } from './room-key.ts';

/** TRTC removes a user whose connection dropped after 90 s. */
export const DEFAULT_DISCONNECT_GRACE_MS = 90_000;

/** Settings of a {@link RoomDirectory}; all optional. */
export interface RoomDirectoryOptions {
  limits?: RoomLimitsOverrides;
  customMessages?: Partial<CustomMessageLimits>;
  /** How long a dropped participant keeps its place (default 90 s). */
  disconnectGraceMs?: number;
  /**
   * When true, entering an existing room with another scene fails with ROOM_SCENE_MISMATCH. By default the
   * entrant is admitted with the room's scene, as TRTC does (the room keeps the scene of its first entry).
   */
  rejectSceneMismatch?: boolean;
  /** Rooms one app may have open at once on this node (default 10,000); a join that would open one more fails. */
  maxRoomsPerApp?: number;
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number;
  /**
   * In a cluster: the room as it was on a node that died, when a room about to be created here continues it
   * (cluster/room-succession.ts). Its members are awaited for `disconnectGraceMs`.
   */
  predecessorOf?: (key: RoomKey) => RoomPredecessor | undefined;
}

/** What signaling asks for when a verified user wants to enter. */
export interface AdmitRequest {
  key: RoomKey;
  userId: string;
  role: Role;
  scene: Scene;
  /** Opaque id of the caller's session (connection), kept on the participant. */
  sessionId: string;
  /** The app's "advanced permission control" switch. */
  privilegeControl: boolean;
  /** Privilege bitmap of the verified PrivateMapKey, when one came with the request. */
  privileges?: number;
  metadata?: ParticipantMetadata;
  /** The entrant encrypts its media end to end. */
  e2ee?: boolean;
  /** Asks the room to require E2EE of everyone; honoured only when this entry creates the room. */
  requireE2ee?: boolean;
  /** The room password, when the room has one (conference control). */
  password?: string;
}

/** A participant that has gone, with what the caller must clean up. */
export interface Departure {
  room: Room;
  participant: Participant;
  reason: LeaveReason;
  /** Streams that were removed: close their producers. */
  removedStreams: PublishedStream[];
  /** True when this departure emptied and closed the room. */
  roomClosed: boolean;
}

/** The outcome of {@link RoomDirectory.admit}. */
export interface AdmitResult {
  room: Room;
  participant: Participant;
  roomCreated: boolean;
  /** The earlier session of the same user, removed with reason `kicked`: send it KICKED_OUT (`kick`). */
  displaced: Departure | undefined;
}

/** The outcome of {@link RoomDirectory.switchRole}. */
export interface RoleChange {
  previous: Role;
  role: Role;
  /** Streams removed because the participant became audience: close their producers. */
  removedStreams: PublishedStream[];
}

/** A stream to publish: the caller's producer id plus what it carries. */
export interface StreamRequest {
  id: string;
  kind: MediaKind;
  streamType: StreamType;
}

/** Typed events of a {@link RoomDirectory}, emitted after each change is complete. */
export type RoomDirectoryEvents = {
  roomcreated: [room: Room];
  roomclosed: [room: Room];
  participantjoined: [room: Room, participant: Participant];
  participantleft: [room: Room, participant: Participant, reason: LeaveReason];
  rolechanged: [room: Room, participant: Participant, previous: Role];
  streamadded: [room: Room, stream: PublishedStream];
  streamremoved: [room: Room, stream: PublishedStream];
  /** A conference-control action was applied (or the owner left and ownership passed on). */
  control: [room: Room, event: ControlEvent];
  /** The control state changed without an action (a participant with a seat, hand or admin status left). */
  controlchanged: [room: Room];
  /** A member of the room's predecessor (on a node that died) did not come back within the grace period. */
  memberlost: [room: Room, userId: string, role: Role];
};

const DEFAULT_MAX_ROOMS_PER_APP = 10_000;

/** All rooms of this node, keyed by {@link roomKeyString}. */
export class RoomDirectory extends EventEmitter<RoomDirectoryEvents> {
  readonly limits: RoomLimits;
  readonly disconnectGraceMs: number;
  readonly #customMessageLimits: CustomMessageLimits;
  readonly #rejectSceneMismatch: boolean;
  readonly #now: () => number;
  readonly #rooms = new Map<string, Room>();
  /** Open rooms per sdkAppId, kept beside #rooms so the per-app cap costs no walk. */
  readonly #roomsPerApp = new Map<number, number>();
  readonly #maxRoomsPerApp: number;
  /** Participants in their grace period, so expiry does not walk every room. */
  readonly #disconnected = new Set<Participant>();
  /** Rooms still awaiting members of their predecessor. */
  readonly #awaiting = new Set<Room>();
  readonly #predecessorOf: RoomDirectoryOptions['predecessorOf'];

  constructor(options: RoomDirectoryOptions = {}) {
    super();
    this.limits = resolveRoomLimits(options.limits);
    this.disconnectGraceMs = options.disconnectGraceMs ?? DEFAULT_DISCONNECT_GRACE_MS;
    this.#customMessageLimits = { ...DEFAULT_CUSTOM_MESSAGE_LIMITS, ...options.customMessages };
    this.#rejectSceneMismatch = options.rejectSceneMismatch ?? false;
    this.#maxRoomsPerApp = options.maxRoomsPerApp ?? DEFAULT_MAX_ROOMS_PER_APP;
    this.#now = options.now ?? Date.now;
    this.#predecessorOf = options.predecessorOf;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Rooms of one app open on this node. */
  roomCountOf(sdkAppId: number): number {
    return this.#roomsPerApp.get(sdkAppId) ?? 0;
  }

  getRoom(key: RoomKey): Room | undefined {
    return this.#rooms.get(roomKeyString(key));
  }

  rooms(): Room[] {
    return [...this.#rooms.values()];
  }

  /**
   * Lets a verified user in: checks privileges (when the app requires them), scene and limits; creates the
   * room on first entry; displaces an earlier session of the same userId. Throws PRIVATE_MAP_KEY_REQUIRED,
   * PRIVILEGE_MISSING, ROOM_SCENE_MISMATCH (only with `rejectSceneMismatch`), APP_ROOM_LIMIT, ROOM_FULL or
   * ROOM_PUBLISHERS_FULL.
   */
  admit(request: AdmitRequest): AdmitResult {
    const existing = this.getRoom(request.key);
    const appRooms = this.roomCountOf(request.key.sdkAppId);
    if (!existing && appRooms >= this.#maxRoomsPerApp) {
      throw new ConclaveError('APP_ROOM_LIMIT', undefined, { details: { limit: this.#maxRoomsPerApp } });
    }
    checkEntry(request.privilegeControl, request.privileges, existing === undefined);
    if (existing && existing.scene !== request.scene && this.#rejectSceneMismatch) {
      throw new ConclaveError('ROOM_SCENE_MISMATCH', undefined, { details: { scene: existing.scene } });
    }
    const requireE2ee = existing ? existing.e2eeRequired : request.requireE2ee === true;
    if (requireE2ee && request.e2ee !== true) throw new ConclaveError('E2EE_REQUIRED');
    const now = this.#now();
    const predecessor = existing ? undefined : this.#predecessorOf?.(request.key);
    const room =
      existing ??
      new Room(
        request.key,
        request.scene,
        this.limits[request.scene],
        predecessor?.createdAt ?? now,
        requireE2ee,
        this.#now,
      );
    room.control.checkEntry(room.getParticipant(request.userId) !== undefined, request.password);
    room.checkAdmit(request.userId, request.role);

    if (!existing) {
      this.#rooms.set(room.id, room);
      this.#roomsPerApp.set(request.key.sdkAppId, appRooms + 1);
      if (predecessor && predecessor.members.size > 0) {
        room.inherit(predecessor, now + this.disconnectGraceMs);
        this.#awaiting.add(room);
      }
    }
    const previous = room.getParticipant(request.userId);
    const displaced = previous && this.#detach(room, previous, 'kicked', false);
    const participant = new Participant({
      roomKey: room.key,
      userId: request.userId,
      sessionId: request.sessionId,
      role: request.role,
      joinedAt: now,
      privilegeControl: request.privilegeControl,
      privileges: request.privileges,
      metadata: request.metadata ?? {},
      customMessages: new CustomMessageLimiter(this.#customMessageLimits, this.#now),
      carriedOver: room.awaited?.take(request.userId) ?? false,
    });
    room.attach(participant);
    // The first entrant owns the room (a re-entering owner keeps it: ownership goes by userId); a recorder never.
    if (room.control.ownerId === null && !participant.recording) room.control.setOwner(participant.userId);

    if (!existing) this.emit('roomcreated', room);
    if (displaced) this.#announce(displaced);
    this.emit('participantjoined', room, participant);
    return { room, participant, roomCreated: !existing, displaced };
  }

  /** Takes a participant out (default reason `left`); closes the room when it was the last. Idempotent. */
  leave(participant: Participant, reason: LeaveReason = 'left'): Departure | undefined {
    const room = this.#roomOf(participant);
    if (!room) return undefined;
    const departure = this.#detach(room, participant, reason, true);
    const wasOwner = room.control.isOwner(participant.userId);
    const hadState = room.control.forget(participant.userId);
    const handover = !departure.roomClosed && wasOwner ? this.#passOwnership(room, participant.userId) : undefined;
    this.#announce(departure);
    if (handover) this.emit('control', room, handover);
    else if (hadState && !departure.roomClosed) this.emit('controlchanged', room);
    return departure;
  }

  /**
   * Applies a conference-control request (rooms/room-control-actions.ts) and emits `control`. Throws the
   * refusal: NOT_ROOM_ADMIN, NOT_ROOM_OWNER, CONTROL_TARGET_INVALID, SEAT_MODE_OFF, SEAT_UNAVAILABLE,
   * DEVICE_REQUEST_NOT_FOUND.
   */
  control(actor: Participant, request: RoomControlRequest): ControlEvent {
    const room = this.#requireRoom(actor);
    const ops: ControlOps = {
      closeDevices: (r, p, devices) => this.#closeDevices(r, p, devices),
      remove: (p) => void this.leave(p, 'removed'),
    };
    const event = applyControl(ops, room, actor, request);
    this.emit('control', room, event);
    return event;
  }

  #closeDevices(room: Room, participant: Participant, devices: readonly ControlledDevice[]): ControlledDevice[] {
    const closed: ControlledDevice[] = [];
    for (const stream of participant.streams) {
      const device = deviceOf(stream.kind, stream.streamType);
      if (!devices.includes(device)) continue;
      room.removeStream(participant, stream);
      this.emit('streamremoved', room, stream);
      if (!closed.includes(device)) closed.push(device);
    }
    return closed;
  }

  /** The owner left: an admin present takes over, else the longest-present participant. */
  #passOwnership(room: Room, leftUserId: string): ControlEvent {
    const present = room
      .participants()
      .filter((p) => !p.recording)
      .sort((a, b) => a.joinedAt - b.joinedAt);
    const next = present.find((p) => room.control.isAdmin(p.userId)) ?? present[0];
    room.control.setOwner(next?.userId ?? null);
    return { action: 'ownerLeft', actorId: leftUserId, ...(next ? { targetId: next.userId } : {}), closed: [] };
  }

  /**
   * Changes role. With permission control on, a fresh PrivateMapKey's privileges are required and replace the
   * old ones. To anchor checks the anchor limit; to audience removes every stream (returned for cleanup).
   */
  switchRole(participant: Participant, role: Role, privileges?: number): RoleChange {
    const room = this.#requireRoom(participant);
    checkRoleSwitch(participant.privilegeControl, privileges);
    if (role === 'anchor') {
      room.control.checkBecomeAnchor(participant.userId);
      room.checkBecomeAnchor(participant);
    }

    const previous = participant.role;
    if (privileges !== undefined) participant.setPrivileges(privileges);
    const removedStreams = role === 'audience' ? room.removeAllStreams(participant) : [];
    room.changeRole(participant, role);

    for (const stream of removedStreams) this.emit('streamremoved', room, stream);
    if (previous !== role) this.emit('rolechanged', room, participant, previous);
    return { previous, role, removedStreams };
  }

  /**
   * Records a published stream. Throws ROLE_CANNOT_PUBLISH, PRIVILEGE_MISSING, MEDIA_DISABLED_BY_HOST,
   * NOT_ON_SEAT, STREAM_ALREADY_PUBLISHED, SUB_STREAM_TAKEN or ROOM_PUBLISHERS_FULL.
   */
  addStream(participant: Participant, request: StreamRequest): PublishedStream {
    const room = this.#requireRoom(participant);
    const { id, kind, streamType } = request;
    if (participant.role !== 'anchor') throw new ConclaveError('ROLE_CANNOT_PUBLISH');
    checkPrivilege(participant.privilegeControl, participant.privileges, sendPrivilegeFor(kind, streamType));
    room.control.checkPublish(participant.userId, kind, streamType);
    room.checkPublish(participant, id, kind, streamType);

    const stream: PublishedStream = {
      id,
      userId: participant.userId,
      sessionId: participant.sessionId,
      kind,
      streamType,
    };
    room.addStream(participant, stream);
    this.emit('streamadded', room, stream);
    return stream;
  }

  /** Removes one of the participant's streams by id. Throws NOT_FOUND when it has no such stream. */
  removeStream(participant: Participant, streamId: string): PublishedStream {
    const room = this.#requireRoom(participant);
    const stream = room.getStream(streamId);
    if (!stream || participant.streamIn(streamSlot(stream.kind, stream.streamType)) !== stream) {
      throw new ConclaveError('NOT_FOUND', 'No such stream published by this participant');
    }
    room.removeStream(participant, stream);
    this.emit('streamremoved', room, stream);
    return stream;
  }

  /**
   * Checks that `participant` may receive a stream of its room and returns it. Throws NOT_FOUND, or
   * PRIVILEGE_MISSING when permission control is on and the receive bit for that stream is absent.
   */
  authorizeReceive(participant: Participant, streamId: string): PublishedStream {
    const room = this.#requireRoom(participant);
    const stream = room.getStream(streamId);
    if (!stream) throw new ConclaveError('NOT_FOUND', 'No such stream in this room');
    checkPrivilege(
      participant.privilegeControl,
      participant.privileges,
      receivePrivilegeFor(stream.kind, stream.streamType),
    );
    return stream;
  }

  /**
   * Accounts a custom message of `byteLength` bytes and returns its per-sender sequence number. Throws
   * CUSTOM_MESSAGE_FORBIDDEN for audience and CUSTOM_MESSAGE_RATE_LIMITED beyond 30 msg/s or 8 KB/s.
   * cmdId and the 1 KB size cap are validated by the message schema at the boundary.
   */
  sendCustomMessage(participant: Participant, byteLength: number): number {
    this.#requireRoom(participant);
    if (participant.role !== 'anchor') throw new ConclaveError('CUSTOM_MESSAGE_FORBIDDEN');
    return participant.customMessages.accept(byteLength);
  }

  /** Starts the participant's grace period: it keeps its place and streams until reconnected or expired. */
  markDisconnected(participant: Participant): void {
    this.#requireRoom(participant);
    if (!participant.connected) return;
    participant.setDisconnected(this.#now());
    this.#disconnected.add(participant);
  }

  /** Ends the grace period. Throws NOT_FOUND when the participant has already been removed. */
  markReconnected(participant: Participant): void {
    this.#requireRoom(participant);
    participant.setDisconnected(undefined);
    this.#disconnected.delete(participant);
  }

  /** Removes, with reason `timeout`, every participant disconnected for at least the grace period. */
  expireDisconnected(): Departure[] {
    const deadline = this.#now() - this.disconnectGraceMs;
    const expired = [...this.#disconnected].filter((p) => (p.disconnectedAt ?? Infinity) <= deadline);
    return expired.flatMap((participant) => this.leave(participant, 'timeout') ?? []);
  }

  /** Lets go, with `memberlost`, of the predecessor members that did not come back before their deadline. */
  expireAwaitedMembers(): void {
    const now = this.#now();
    for (const room of this.#awaiting) if ((room.awaited?.deadline ?? 0) <= now) this.#loseAwaited(room);
  }

  #loseAwaited(room: Room): void {
    this.#awaiting.delete(room);
    for (const [userId, role] of room.awaited?.drain() ?? []) this.emit('memberlost', room, userId, role);
  }

  /** Server API RemoveUser: removes `userId` with reason `removed`; undefined when not in the room. */
  removeUser(key: RoomKey, userId: string): Departure | undefined {
    const participant = this.getRoom(key)?.getParticipant(userId);
    return participant && this.leave(participant, 'removed');
  }

  /** Server API DismissRoom: removes everyone with reason `disbanded`; undefined when there is no such room. */
  dismissRoom(key: RoomKey): Departure[] | undefined {
    const room = this.getRoom(key);
    if (!room) return undefined;
    const departures = room.participants().map((p) => this.#detach(room, p, 'disbanded', true));
    for (const departure of departures) this.#announce(departure);
    return departures;
  }

  #roomOf(participant: Participant): Room | undefined {
    if (participant.left) return undefined;
    const room = this.#rooms.get(roomKeyString(participant.roomKey));
    // A displaced session shares its userId with the newcomer; only the very object counts as present.
    return room?.getParticipant(participant.userId) === participant ? room : undefined;
  }

  #requireRoom(participant: Participant): Room {
    const room = this.#roomOf(participant);
    if (!room) throw new ConclaveError('NOT_FOUND', 'This participant is no longer in the room');
    return room;
  }

  /** State change only; the caller announces once everything is consistent. */
  #detach(room: Room, participant: Participant, reason: LeaveReason, closeIfEmpty: boolean): Departure {
    this.#disconnected.delete(participant);
    const removedStreams = room.detach(participant);
    const roomClosed = closeIfEmpty && room.userCount === 0;
    if (roomClosed) {
      room.close(this.#now());
      this.#rooms.delete(room.id);
      const left = (this.#roomsPerApp.get(room.key.sdkAppId) ?? 1) - 1;
      if (left > 0) this.#roomsPerApp.set(room.key.sdkAppId, left);
      else this.#roomsPerApp.delete(room.key.sdkAppId);
    }
    return { room, participant, reason, removedStreams, roomClosed };
  }

  #announce(departure: Departure): void {
    const { room, participant, reason, removedStreams, roomClosed } = departure;
    for (const stream of removedStreams) this.emit('streamremoved', room, stream);
    this.emit('participantleft', room, participant, reason);
    if (roomClosed) {
      // Members who never came back left the room before it closed.
      this.#loseAwaited(room);
      this.emit('roomclosed', room);
    }
  }
}
