/**
 * Conference control and chat on the session side: rate-limits the requests, hands them to the room directory
 * (which decides, rooms/room-control-actions.ts), tells the participants concerned what happened, and writes
 * every applied or refused action to the audit log. Chat is relayed and never stored.
 */
import { ConclaveError, type RequestData, type RoomControlAction, type RoomControlRequest } from '@conclave/protocol';
import type { AuditSink } from '../audit/audit-entry.ts';
import type { Logger } from '../logger.ts';
import type { ControlEvent, Participant, Room, RoomDirectory, RoomKey } from '../rooms/index.ts';
import type { Session } from './session.ts';

export interface RoomControlServiceOptions {
  directory: RoomDirectory;
  sessionsIn: (room: Room) => Session[];
  sessionOf: (participant: Participant) => Session | undefined;
  log: Logger;
  audit?: AuditSink;
}

function roomIdOf(key: RoomKey): string {
  return 'roomId' in key ? String(key.roomId) : key.strRoomId;
}

export class RoomControlService {
  readonly #o: RoomControlServiceOptions;

  constructor(options: RoomControlServiceOptions) {
    this.#o = options;
    options.directory.on('control', (room, event) => this.#onControl(room, event));
    options.directory.on('controlchanged', (room) => this.#broadcastState(room));
  }

  /** A `roomControl` request: applied, or refused with its code (and audited either way). */
  handle(session: Session, request: RoomControlRequest): { requestId?: string } {
    if (!session.controlRequests.tryTake(1)) throw new ConclaveError('CONTROL_RATE_LIMITED');
    let event: ControlEvent;
    try {
      event = this.#o.directory.control(session.participant, request);
    } catch (error) {
      if (error instanceof ConclaveError) this.#auditRefusal(session, request, error.code);
      throw error;
    }
    return event.action === 'requestDevice' && event.request ? { requestId: event.request.id } : {};
  }

  /** A `chatMessage`: relayed to everyone else in the room with the sender's name; rate-limited; not stored. */
  chat(session: Session, data: RequestData<'chatMessage'>): Record<string, never> {
    if (!session.chatMessages.tryTake(1)) throw new ConclaveError('CHAT_RATE_LIMITED');
    const room = this.#o.directory.getRoom(session.participant.roomKey);
    const { userName } = session.participant;
    const message = {
      userId: session.userId,
      ...(userName !== undefined ? { userName } : {}),
      text: data.text,
      at: Date.now(),
    };
    for (const other of room ? this.#o.sessionsIn(room) : []) {
      if (other !== session) other.notify('chatMessage', message);
    }
    return {};
  }

  #onControl(room: Room, event: ControlEvent): void {
    this.#broadcastState(room);
    for (const { userId, device } of event.closed) {
      this.#sessionOfUser(room, userId)?.notify('deviceClosed', { device, by: event.actorId });
    }
    const request = event.request;
    if (request && event.action === 'requestDevice') {
      this.#sessionOfUser(room, request.to)?.notify('deviceRequest', {
        requestId: request.id,
        from: request.from,
        device: request.device,
      });
    } else if (request) {
      this.#sessionOfUser(room, request.from)?.notify('deviceRequestAnswered', {
        requestId: request.id,
        userId: request.to,
        device: request.device,
        accepted: event.action === 'acceptDevice',
      });
    }
    const actor = room.getParticipant(event.actorId);
    this.#append(room.key, event.actorId, `room_control.${event.action}`, {
      result: 'ok',
      ...(event.targetId !== undefined ? { targetId: event.targetId } : {}),
      ...(event.detail !== undefined ? { detail: event.detail } : {}),
      ...(actor?.clientIp !== undefined ? { sourceIp: actor.clientIp } : {}),
    });
  }

  #broadcastState(room: Room): void {
    const state = room.control.state();
    for (const session of this.#o.sessionsIn(room)) session.notify('roomControl', state);
  }

  #sessionOfUser(room: Room, userId: string): Session | undefined {
    const participant = room.getParticipant(userId);
    return participant && this.#o.sessionOf(participant);
  }

  #auditRefusal(session: Session, request: RoomControlRequest, code: string): void {
    const target = 'userId' in request ? request.userId : undefined;
    this.#append(
      session.participant.roomKey,
      session.userId,
      `room_control.${request.action satisfies RoomControlAction}`,
      {
        result: 'denied',
        detail: code,
        ...(target !== undefined ? { targetId: target } : {}),
        ...(session.participant.clientIp !== undefined ? { sourceIp: session.participant.clientIp } : {}),
      },
    );
  }

  #append(
    key: RoomKey,
    actorId: string,
    action: string,
    facts: { result: 'ok' | 'denied'; targetId?: string; detail?: string; sourceIp?: string },
  ): void {
    const audit = this.#o.audit;
    if (!audit) return;
    // An end user acting in its app's room: recorded as the app's side (kind `customer`), named `room-user:<id>`.
    void audit
      .append({
        actor: { kind: 'customer', id: `room-user:${actorId}`, sdkAppId: key.sdkAppId },
        action,
        target: {
          sdkAppId: key.sdkAppId,
          roomId: roomIdOf(key),
          ...(facts.targetId !== undefined ? { userId: facts.targetId } : {}),
        },
        result: facts.result,
        ...(facts.detail !== undefined ? { detail: facts.detail } : {}),
        ...(facts.sourceIp !== undefined ? { sourceIp: facts.sourceIp } : {}),
      })
      .catch((err: unknown) => this.#o.log.warn({ err, action }, 'conference-control audit record not written'));
  }
}
