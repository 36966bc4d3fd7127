/**
 * TRTC's event callbacks (trtc.md §6): which room and media changes become which event, with TRTC's body.
 * Room group 1: 101 create, 102 dismiss, 103 enter, 104 exit, 105 change role.
 * Media group 2: 201/202 video start/stop, 203/204 audio start/stop, 205/206 sub stream start/stop.
 */
import type { LeaveReason, MediaKind, Role, StreamType } from '@conclave/protocol';
import type { RoomKey } from '../rooms/index.ts';

export const EventGroup = { Room: 1, Media: 2 } as const;

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
