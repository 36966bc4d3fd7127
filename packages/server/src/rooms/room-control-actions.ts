/**
 * The conference-control actions: who may do each (owner, host, anyone) and what it changes. Every action checks
 * first and mutates after, so a refused one leaves nothing behind; the outcome names the streams the server
 * closed and the device request made or answered, for the caller to tell the participants concerned.
 */
import { ConclaveError } from '@conclave/protocol';
import type { ControlledDevice, RoomControlRequest } from '@conclave/protocol';
import type { Participant } from './participant.ts';
import type { Room } from './room.ts';
import type { DeviceRequest } from './room-control.ts';

/** What happened, for callbacks and the audit log (one name per outcome, not per request). */
export type ControlEventAction =
  | 'transferOwner'
  | 'setAdmin'
  | 'unsetAdmin'
  | 'disableDevice'
  | 'enableDevice'
  | 'closeDevice'
  | 'requestDevice'
  | 'acceptDevice'
  | 'rejectDevice'
  | 'setSeatMode'
  | 'raiseHand'
  | 'lowerHand'
  | 'takeSeat'
  | 'approveSeat'
  | 'rejectSeat'
  | 'leaveSeat'
  | 'kickOffSeat'
  | 'lockSeat'
  | 'unlockSeat'
  | 'kickUser'
  | 'lockRoom'
  | 'unlockRoom'
  | 'setPassword'
  | 'clearPassword'
  | 'ownerLeft';

/** One applied control action. */
export interface ControlEvent {
  action: ControlEventAction;
  /** Who did it (for `ownerLeft`, the owner who left). */
  actorId: string;
  targetId?: string;
  /** Device, seat index or seat count; never a secret. */
  detail?: string;
  /** Streams the server closed because of it. */
  closed: { userId: string; device: ControlledDevice }[];
  /** The device request made or answered. */
  request?: DeviceRequest;
}

/** What an action needs of the directory beyond the room's own state. */
export interface ControlOps {
  /** Closes the participant's streams of these devices (emits `streamremoved`); returns the devices closed. */
  closeDevices(room: Room, participant: Participant, devices: readonly ControlledDevice[]): ControlledDevice[];
  /** Removes the participant from the room (reason `removed`). */
  remove(participant: Participant): void;
}

const ALL_DEVICES: readonly ControlledDevice[] = ['microphone', 'camera', 'screen'];

/** Applies `request` of `actor` to `room`. Throws the refusal (NOT_ROOM_ADMIN, NOT_ROOM_OWNER, …). */
export function applyControl(
  ops: ControlOps,
  room: Room,
  actor: Participant,
  request: RoomControlRequest,
): ControlEvent {
  const c = room.control;
  const me = actor.userId;
  const event = (action: ControlEventAction, extra: Partial<ControlEvent> = {}): ControlEvent => ({
    action,
    actorId: me,
    closed: [],
    ...extra,
  });
  /** A participant in the room other than the actor; hosts may not act on the owner, admins not on admins. */
  const target = (userId: string, protect: 'owner' | 'hosts' | 'none'): Participant => {
    const p = room.getParticipant(userId);
    if (!p || userId === me) throw new ConclaveError('CONTROL_TARGET_INVALID');
    if (protect !== 'none' && c.isOwner(userId)) throw new ConclaveError('CONTROL_TARGET_INVALID');
    if (protect === 'hosts' && c.isAdmin(userId) && !c.isOwner(me)) throw new ConclaveError('CONTROL_TARGET_INVALID');
    return p;
  };
  const closeAll = (p: Participant, devices: readonly ControlledDevice[]) =>
    ops.closeDevices(room, p, devices).map((device) => ({ userId: p.userId, device }));

  switch (request.action) {
    case 'transferOwner': {
      c.requireOwner(me);
      const to = target(request.userId, 'none');
      c.setOwner(to.userId);
      return event('transferOwner', { targetId: to.userId });
    }
    case 'setAdmin': {
      c.requireOwner(me);
      const to = target(request.userId, 'owner');
      c.setAdmin(to.userId, request.admin);
      return event(request.admin ? 'setAdmin' : 'unsetAdmin', { targetId: to.userId });
    }
    case 'disableDeviceForAll': {
      c.requireHost(me);
      c.setDisabled(request.device, request.disabled);
      const closed = request.disabled
        ? room.participants().flatMap((p) => (c.isHost(p.userId) ? [] : closeAll(p, [request.device])))
        : [];
      return event(request.disabled ? 'disableDevice' : 'enableDevice', { detail: request.device, closed });
    }
    case 'closeRemoteDevice': {
      c.requireHost(me);
      const to = target(request.userId, 'hosts');
      return event('closeDevice', {
        targetId: to.userId,
        detail: request.device,
        closed: closeAll(to, [request.device]),
      });
    }
    case 'requestOpenDevice': {
      c.requireHost(me);
      const to = target(request.userId, 'hosts');
      return event('requestDevice', {
        targetId: to.userId,
        detail: request.device,
        request: c.addRequest(me, to.userId, request.device),
      });
    }
    case 'answerDeviceRequest': {
      const found = c.requestFor(request.requestId, me);
      c.removeRequest(found.id);
      // Accepting lets this participant open the device even while it is disabled for everyone; opening it is
      // still the participant's own act (the server never starts anyone's capture).
      if (request.accept) c.grantPermit(me, found.device);
      return event(request.accept ? 'acceptDevice' : 'rejectDevice', {
        targetId: found.from,
        detail: found.device,
        request: found,
      });
    }
    case 'setSeatMode': {
      c.requireHost(me);
      const wasOn = c.seatMode;
      const lostSeat = c.setSeatCount(request.maxSeats);
      // Turning on-stage mode on takes everyone but the hosts off stage; shrinking it, those beyond the last seat.
      const offStage = room
        .participants()
        .filter((p) => !c.isHost(p.userId) && (wasOn ? lostSeat.includes(p.userId) : request.maxSeats > 0));
      const closed = offStage.flatMap((p) => closeAll(p, ALL_DEVICES));
      return event('setSeatMode', { detail: String(request.maxSeats), closed });
    }
    case 'raiseHand': {
      c.requireSeatMode();
      if (!request.raised) {
        c.setHand(me, false);
        return event('lowerHand');
      }
      if (c.seatOf(me) !== undefined) return event('raiseHand', { detail: 'seated' });
      if (c.isHost(me)) {
        const index = c.freeSeat();
        c.sit(me, index);
        return event('takeSeat', { detail: String(index) });
      }
      c.setHand(me, true);
      return event('raiseHand');
    }
    case 'approveSeat': {
      c.requireHost(me);
      c.requireSeatMode();
      const to = target(request.userId, 'none');
      if (!c.handRaised(to.userId))
        throw new ConclaveError('CONTROL_TARGET_INVALID', 'this participant has not raised a hand');
      if (!request.approve) {
        c.setHand(to.userId, false);
        return event('rejectSeat', { targetId: to.userId });
      }
      const index = c.freeSeat();
      c.sit(to.userId, index);
      return event('approveSeat', { targetId: to.userId, detail: String(index) });
    }
    case 'leaveSeat': {
      c.requireSeatMode();
      if (!c.stand(me)) throw new ConclaveError('CONTROL_TARGET_INVALID', 'you are not on a seat');
      return event('leaveSeat', { closed: c.isHost(me) ? [] : closeAll(actor, ALL_DEVICES) });
    }
    case 'kickOffSeat': {
      c.requireHost(me);
      c.requireSeatMode();
      const to = target(request.userId, 'hosts');
      if (!c.stand(to.userId)) throw new ConclaveError('CONTROL_TARGET_INVALID', 'this participant is not on a seat');
      return event('kickOffSeat', { targetId: to.userId, closed: closeAll(to, ALL_DEVICES) });
    }
    case 'lockSeat': {
      c.requireHost(me);
      c.requireSeatMode();
      c.lockSeat(request.index, request.locked);
      return event(request.locked ? 'lockSeat' : 'unlockSeat', { detail: String(request.index) });
    }
    case 'kickUser': {
      c.requireHost(me);
      const to = target(request.userId, 'hosts');
      ops.remove(to);
      return event('kickUser', { targetId: to.userId });
    }
    case 'lockRoom':
      c.requireHost(me);
      c.setLocked(request.locked);
      return event(request.locked ? 'lockRoom' : 'unlockRoom');
    case 'setPassword':
      c.requireOwner(me);
      c.setPassword(request.password);
      return event(request.password === null ? 'clearPassword' : 'setPassword');
  }
}
