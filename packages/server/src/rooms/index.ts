/**
 * Rooms, participants, roles, scenes, limits and lifecycle with TRTC's semantics. No sockets, no media, no
 * timers: signaling drives a {@link RoomDirectory} and listens to its events.
 */
export {
  type AdmitRequest,
  type AdmitResult,
  type Departure,
  type RoleChange,
  type RoomDirectoryEvents,
  type RoomDirectoryOptions,
  type StreamRequest,
  DEFAULT_DISCONNECT_GRACE_MS,
  RoomDirectory,
} from './room-directory.ts';
export type { Room } from './room.ts';
export type { RoomPredecessor } from './room-predecessor.ts';
export { type DeviceRequest, RoomControl, deviceOf } from './room-control.ts';
export type { ControlEvent, ControlEventAction } from './room-control-actions.ts';
export type { Participant, ParticipantMetadata, PublishedStream, StreamSlot } from './participant.ts';
export { type RoomKey, roomKeyString } from './room-key.ts';
export { localRoomManagement, type RoomManagement } from './room-management.ts';
export {
  type RoomLimits,
  type RoomLimitsOverrides,
  type SceneLimits,
  DEFAULT_ROOM_LIMITS,
  resolveRoomLimits,
} from './limits.ts';
export { type CustomMessageLimits, DEFAULT_CUSTOM_MESSAGE_LIMITS } from './custom-message-limiter.ts';
export { TokenBucket, type TokenBucketOptions } from './token-bucket.ts';
