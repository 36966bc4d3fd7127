/**
 * Conference control in the SDK (TUIRoomKit's room engine over Conclave): keeps the room's control state and the
 * participants' names, turns the server's notifications into TRTC-style events, and sends the host and
 * participant actions. The server decides every action; this module only asks and reports.
 */
import type {
  ControlledDevice,
  NotificationData,
  RemoteParticipant,
  RoomControlRequest,
  RoomControlState,
} from '@conclave/protocol';
import type { Emitter } from './emitter.ts';
import { EVENT, type TRTCEventMap } from './events.ts';
import type { Requester } from './media-session.ts';
import type { PublishSlot } from './media-session.ts';

/** A participant's standing in the room's control. */
export type RoomUserRole = 'owner' | 'admin' | 'member';

/** One entry of {@link RoomControlClient.userList}. */
export interface RoomUser {
  userId: string;
  userName?: string;
  roomRole: RoomUserRole;
  /** Seat index in on-stage mode. */
  seat?: number;
  handRaised: boolean;
}

/** The slot of a controlled device. */
export function slotOf(device: ControlledDevice): PublishSlot {
  return device === 'microphone' ? 'audio' : device === 'camera' ? 'video' : 'sub';
}

export interface RoomControlHooks {
  request: Requester;
  events: Emitter<TRTCEventMap>;
  /** The server closed a local stream: release the capture of that slot. */
  onDeviceClosed: (slot: PublishSlot) => void;
}

export class RoomControlClient {
  readonly #selfId: string;
  readonly #hooks: RoomControlHooks;
  #state: RoomControlState | undefined;
  readonly #names = new Map<string, string>();
  readonly #present = new Set<string>();

  constructor(selfId: string, selfName: string | undefined, hooks: RoomControlHooks) {
    this.#selfId = selfId;
    this.#hooks = hooks;
    if (selfName !== undefined) this.#names.set(selfId, selfName);
  }

  get state(): RoomControlState | undefined {
    return this.#state;
  }

  /** The display name of a participant, when it gave one. */
  nameOf(userId: string): string | undefined {
    return this.#names.get(userId);
  }

  /** Everyone in the room (this user first) with their names, control roles and seats. */
  userList(): RoomUser[] {
    const s = this.#state;
    return [this.#selfId, ...this.#present].map((userId) => {
      const seat = s?.seats.find((x) => x.userId === userId)?.index;
      const userName = this.#names.get(userId);
      return {
        userId,
        ...(userName !== undefined ? { userName } : {}),
        roomRole: s?.ownerId === userId ? 'owner' : s?.adminIds.includes(userId) ? 'admin' : 'member',
        ...(seat !== undefined ? { seat } : {}),
        handRaised: s?.raisedHands.includes(userId) ?? false,
      };
    });
  }

  /** The join (or resume) answer's participants and control state. */
  handleSnapshot(participants: RemoteParticipant[], state: RoomControlState): void {
    this.#present.clear();
    for (const p of participants) this.handleParticipant(p);
    this.#setState(state);
  }

  handleParticipant(p: RemoteParticipant): void {
    if (p.userId === this.#selfId) return;
    this.#present.add(p.userId);
    if (p.userName !== undefined) this.#names.set(p.userId, p.userName);
  }

  handleParticipantLeft(userId: string): void {
    this.#present.delete(userId);
    this.#names.delete(userId);
  }

  handleState(state: RoomControlState): void {
    this.#setState(state);
  }

  handleDeviceRequest(d: NotificationData['deviceRequest']): void {
    let answered = false;
    const answer = async (accept: boolean) => {
      if (answered) return;
      answered = true;
      await this.#hooks.request('roomControl', { action: 'answerDeviceRequest', requestId: d.requestId, accept });
    };
    this.#hooks.events.emit(EVENT.DEVICE_OPEN_REQUEST, {
      requestId: d.requestId,
      userId: d.from,
      device: d.device,
      accept: () => answer(true),
      reject: () => answer(false),
    });
  }

  handleDeviceRequestAnswered(d: NotificationData['deviceRequestAnswered']): void {
    this.#hooks.events.emit(EVENT.DEVICE_OPEN_REQUEST_ANSWERED, { ...d });
  }

  handleDeviceClosed(d: NotificationData['deviceClosed']): void {
    this.#hooks.onDeviceClosed(slotOf(d.device));
    this.#hooks.events.emit(EVENT.DEVICE_CLOSED_BY_HOST, { device: d.device, userId: d.by });
  }

  handleChat(d: NotificationData['chatMessage']): void {
    this.#hooks.events.emit(EVENT.TEXT_MESSAGE, {
      userId: d.userId,
      ...(d.userName !== undefined ? { userName: d.userName } : {}),
      text: d.text,
      time: d.at,
    });
  }

  /** Sends a control action; resolves with the request id of `requestOpenDevice`. */
  async send(request: RoomControlRequest): Promise<string | undefined> {
    const answer = await this.#hooks.request('roomControl', request);
    return answer.requestId;
  }

  async chat(text: string): Promise<void> {
    await this.#hooks.request('chatMessage', { text });
  }

  #setState(state: RoomControlState): void {
    this.#state = state;
    this.#hooks.events.emit(EVENT.ROOM_CONTROL_CHANGED, state);
  }
}
