/**
 * TRTC's cloud recording callbacks (group 3), with TRTC's EventInfo (RoomId, EventTs, EventMsTs, UserId: the
 * recording robot, TaskId, Payload). Which ones Conclave sends and when:
 * 301 the recorder joined (Status 0) or could not (Status 1); 302 it left, with LeaveCode (0 stopped through the
 * API, 1 removed by the app, 99 MaxIdleTime without media, 100 signaling lost); 303 the upload module started
 * (cloud storage only); 304 the task's first file is in the bucket (FileList: its name); 305 uploads ended
 * (Status 0 all uploaded, 1 some file is in the backup directory); 307 a file was finished (a "slice", with
 * FileName, UserId, TrackType, BeginTimeStamp); 308 an upload failed after its retries (Code, Message); 310 the
 * task's files at its end (Status as 305, FileList, FileMessage) — WebM files, TRTC's MP4 event carries them.
 * Not sent: 306 (tasks do not migrate: a restart ends them), 309 (no placeholder images are downloaded).
 */
import type { StoredFile } from '@conclave/recorder';
import type { CallbackBody } from './events.ts';

export const RECORDING_EVENT_GROUP = 3;

export const RecordingEventType = {
  RecorderStart: 301,
  RecorderStop: 302,
  UploadStart: 303,
  FileInfo: 304,
  UploadStop: 305,
  FileSlice: 307,
  UploadError: 308,
  Mp4Stop: 310,
} as const;

/** TRTC's LeaveCode of 302 for the recorder's stop reason. */
export const LEAVE_CODE: Record<'requested' | 'kicked' | 'idle' | 'disconnected' | 'failed', number> = {
  requested: 0,
  kicked: 1,
  idle: 99,
  disconnected: 100,
  failed: 100,
};

/** The task a callback is about. */
export interface RecordingTaskRef {
  taskId: string;
  /** The room as the Cloud API named it (TRTC sends RoomId as a string). */
  roomId: string;
  /** The recording robot's userId. */
  userId: string;
}

/** At most this many files in one 310 (the outbox bounds a body to 8 KiB). */
export const MAX_FILES_PER_CALLBACK = 20;

export function recordingEvent(
  type: (typeof RecordingEventType)[keyof typeof RecordingEventType],
  task: RecordingTaskRef,
  at: number,
  payload: Record<string, unknown>,
): CallbackBody {
  return {
    EventGroupId: RECORDING_EVENT_GROUP,
    EventType: type,
    CallbackTs: at,
    EventInfo: {
      RoomId: task.roomId,
      EventTs: Math.floor(at / 1000),
      EventMsTs: at,
      UserId: task.userId,
      TaskId: task.taskId,
      Payload: payload,
    },
  };
}

/** A finished file as 307 describes it. */
export function slicePayload(file: StoredFile): Record<string, unknown> {
  return {
    FileName: file.FileName,
    UserId: file.UserId,
    TrackType: file.TrackType,
    BeginTimeStamp: file.BeginTimeStamp,
  };
}

/** A file as 310's FileMessage lists it. */
export function fileMessage(file: StoredFile): Record<string, unknown> {
  return {
    FileName: file.FileName,
    UserId: file.UserId,
    TrackType: file.TrackType,
    MediaId: 'main',
    StartTimeStamp: file.BeginTimeStamp,
  };
}
