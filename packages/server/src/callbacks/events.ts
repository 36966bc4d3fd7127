/**
 * TRTC's event callbacks (trtc.md §6): which room and media changes become which event, with TRTC's body.
 * Room group 1: 101 create, 102 dismiss, 103 enter, 104 exit, 105 change role.
 * Media group 2: 201/202 video start/stop, 203/204 audio start/stop, 205/206 sub stream start/stop.
 * Conference-control group 9 (Conclave's own range 901–999; TRTC has no such events): see CONTROL_EVENT_TYPE.
 */
import type { LeaveReason, MediaKind, Role, StreamType } from '@conclave/protocol';
import type { ControlEvent, ControlEventAction, RoomKey } from '../rooms/index.ts';

export const EventGroup = { Room: 1, Media: 2, Control: 9 } as const;

/**
 * Conclave's conference-control callbacks (group 9). EventInfo.UserId is who acted, TargetUserId whom it was
 * done to, Detail the device (`microphone`|`camera`|`screen`), seat index or seat count. 901 with Detail
 * `owner_left` is ownership passing on because the owner left (UserId the old owner, TargetUserId the new).
 * Numbers never change meaning; new actions take new numbers.
 */
export const CONTROL_EVENT_TYPE: Record<ControlEventAction, number> = {
  transferOwner: 901,
  ownerLeft: 901,
  setAdmin: 902,
  unsetAdmin: 903,
  disableDevice: 904,
  enableDevice: 905,
  closeDevice: 906,
  requestDevice: 907,
  acceptDevice: 908,
  rejectDevice: 909,
  setSeatMode: 910,
  raiseHand: 911,
  lowerHand: 912,
  takeSeat: 913,
  approveSeat: 914,
  rejectSeat: 915,
  leaveSeat: 916,
  kickOffSeat: 917,
  lockSeat: 918,
  unlockSeat: 919,
  kickUser: 920,
  lockRoom: 921,
  unlockRoom: 922,
  setPassword: 923,
  clearPassword: 924,
};

export const EventType = {
  CreateRoom: 101,
  DismissRoom: 102,
  EnterRoom: 103,
  ExitRoom: 104,
  ChangeRole: 105,
  StartVideo: 201,
  StopVideo: 202,
  StartAudio: 203,
  StopAudio: 204,
  StartSubStream: 205,
  StopSubStream: 206,
} as const;

/** TRTC's role values in callbacks. */
const ROLE: Record<Role, number> = { anchor: 20, audience: 21 };

/** TRTC's exit reasons: 1 normal, 2 timeout, 3 removed from the room (also: displaced, room dismissed). */
const EXIT_REASON: Record<LeaveReason, number> = { left: 1, timeout: 2, removed: 3, kicked: 3, disbanded: 3 };

/** TerminalType: Conclave's SDK runs in browsers (TRTC: 3 = web). UserType 2 = a user of the Web SDK. */
const TERMINAL_WEB = 3;
const USER_TYPE_WEB = 2;

export interface CallbackBody {
  EventGroupId: number;
  EventType: number;
  CallbackTs: number;
  EventInfo: {
    RoomId: number | string;
    EventTs: number;
    EventMsTs: number;
    UserId?: string;
    Role?: number;
    TerminalType?: number;
    UserType?: number;
    Reason?: number;
    /** Group 9: the participant acted upon. */
    TargetUserId?: string;
    /** Group 9: device, seat index or seat count. */
    Detail?: string;
    /** Group 3 (recording, recording-events.ts): the task. */
    TaskId?: string;
    /** Group 3: the event's own fields. */
    Payload?: Record<string, unknown>;
  };
}

function base(group: number, type: number, key: RoomKey, at: number): CallbackBody {
  return {
    EventGroupId: group,
    EventType: type,
    CallbackTs: at,
    EventInfo: { RoomId: 'roomId' in key ? key.roomId : key.strRoomId, EventTs: Math.floor(at / 1000), EventMsTs: at },
  };
}

export function roomEvent(type: 101 | 102, key: RoomKey, at: number, userId?: string): CallbackBody {
  const body = base(EventGroup.Room, type, key, at);
  if (userId !== undefined) body.EventInfo.UserId = userId;
  return body;
}

export function userEvent(
  type: 103 | 104 | 105,
  key: RoomKey,
  at: number,
  user: { userId: string; role: Role; reason?: LeaveReason },
): CallbackBody {
  const body = base(EventGroup.Room, type, key, at);
  Object.assign(body.EventInfo, {
    UserId: user.userId,
    Role: ROLE[user.role],
    TerminalType: TERMINAL_WEB,
    UserType: USER_TYPE_WEB,
    ...(type === EventType.ExitRoom ? { Reason: EXIT_REASON[user.reason ?? 'left'] } : {}),
  });
  return body;
}

/** The media event for a stream starting or stopping, or undefined for a combination TRTC has no event for. */
export function mediaEvent(
  started: boolean,
  stream: { kind: MediaKind; streamType: StreamType; userId: string },
  key: RoomKey,
  at: number,
): CallbackBody | undefined {
  const type =
    stream.streamType === 'sub'
      ? stream.kind === 'video'
        ? started
          ? EventType.StartSubStream
          : EventType.StopSubStream
        : undefined
      : stream.kind === 'video'
        ? started
          ? EventType.StartVideo
          : EventType.StopVideo
        : started
          ? EventType.StartAudio
          : EventType.StopAudio;
  if (type === undefined) return undefined;
  const body = base(EventGroup.Media, type, key, at);
  body.EventInfo.UserId = stream.userId;
  return body;
}

/** The group-9 callback of a conference-control action. */
export function controlEvent(event: ControlEvent, key: RoomKey, at: number): CallbackBody {
  const body = base(EventGroup.Control, CONTROL_EVENT_TYPE[event.action], key, at);
  body.EventInfo.UserId = event.actorId;
  if (event.targetId !== undefined) body.EventInfo.TargetUserId = event.targetId;
  const detail = event.action === 'ownerLeft' ? 'owner_left' : event.detail;
  if (detail !== undefined) body.EventInfo.Detail = detail;
  return body;
}
