/** Which room directory events become which TRTC callback (bodies from events.ts). */
import type { LeaveReason, Role } from '@conclave/protocol';
import type { ControlEvent, Participant, PublishedStream, Room, RoomDirectory } from '../rooms/index.ts';
import { controlEvent, mediaEvent, roomEvent, userEvent, type CallbackBody } from './events.ts';

/** Receives each callback body as its event happens. */
export type CallbackSink = (sdkAppId: number, body: CallbackBody) => void;

/** Subscribes to the directory; returns a function that unsubscribes. */
export function attachRoomCallbacks(rooms: RoomDirectory, sink: CallbackSink, now: () => number): () => void {
  const emit = (room: Room, body: CallbackBody | undefined) => {
    if (body) sink(room.key.sdkAppId, body);
  };
  // The room is announced after its first participant is attached: that participant is TRTC's creator. A room
  // that continues one on a node that died was announced there, and so was a member's entry that it carries over.
  const created = (room: Room) => {
    if (!room.continues) emit(room, roomEvent(101, room.key, now(), room.participants()[0]?.userId));
  };
  const closed = (room: Room) => emit(room, roomEvent(102, room.key, now()));
  const joined = (room: Room, p: Participant) => {
    if (!p.carriedOver) emit(room, userEvent(103, room.key, now(), { userId: p.userId, role: p.role }));
  };
  // A member of the room on the dead node who did not come back: it dropped out, as a timeout would have there.
  const lost = (room: Room, userId: string, role: Role) =>
    emit(room, userEvent(104, room.key, now(), { userId, role, reason: 'timeout' }));
  const left = (room: Room, p: Participant, reason: LeaveReason) =>
    emit(room, userEvent(104, room.key, now(), { userId: p.userId, role: p.role, reason }));
  const role = (room: Room, p: Participant) =>
    emit(room, userEvent(105, room.key, now(), { userId: p.userId, role: p.role }));
  const added = (room: Room, s: PublishedStream) => emit(room, mediaEvent(true, s, room.key, now()));
  const removed = (room: Room, s: PublishedStream) => {
    // TRTC: leaving fires only 104. A stream whose publisher is no longer in the room went with its owner.
    if (room.getParticipant(s.userId)?.sessionId === s.sessionId) emit(room, mediaEvent(false, s, room.key, now()));
  };
  const control = (room: Room, event: ControlEvent) => emit(room, controlEvent(event, room.key, now()));
  rooms.on('control', control);
  rooms.on('roomcreated', created);
  rooms.on('roomclosed', closed);
  rooms.on('participantjoined', joined);
  rooms.on('participantleft', left);
  rooms.on('memberlost', lost);
  rooms.on('rolechanged', role);
  rooms.on('streamadded', added);
  rooms.on('streamremoved', removed);
  return () => {
    rooms.off('control', control);
    rooms.off('roomcreated', created);
    rooms.off('roomclosed', closed);
    rooms.off('participantjoined', joined);
    rooms.off('participantleft', left);
    rooms.off('memberlost', lost);
    rooms.off('rolechanged', role);
    rooms.off('streamadded', added);
    rooms.off('streamremoved', removed);
  };
}
