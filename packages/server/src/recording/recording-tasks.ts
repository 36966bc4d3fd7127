/**
 * Recording tasks started through the Cloud API (CreateCloudRecording): each runs the recorder
 * (packages/recorder) in the server's process, joining over the server's own signaling like any participant and
 * writing to the configured directory (`recording.directory`: the customer's storage mounted on this host).
 *
 * No E2EE key ever reaches the server, so a task started here can only record plain rooms: in an E2EE room its
 * join is refused (E2EE_REQUIRED) and the task exits. E2EE rooms are recorded by the recorder run on the
 * customer's premises with the room secret (docs/recording.md). Tasks live in memory: a restart ends them.
 *
 * With TRTC's CloudStorage a task's files pass through the directory only: each is uploaded to the customer's
 * bucket when finished and removed here; one whose upload keeps failing goes to the backup directory. Every step
 * is reported through the app's signed callbacks (recording-events.ts: 301–310).
 */
import path from 'node:path';
import type { LookupFunction } from 'node:net';
import { ConclaveError } from '@conclave/protocol';
import {
  cloudStorageEndpoint,
  CloudUploader,
  LocalDirectoryStorage,
  Recorder,
  type CloudStorageParams,
  type RecorderModification,
  type RecorderOptions,
  type RecordParams,
  type StopReason,
  type StoredFile,
} from '@conclave/recorder';
import { generatePrivateMapKey, PrivilegeBits } from '../auth/index.ts';
import type { CallbackBody } from '../callbacks/events.ts';
import {
  fileMessage,
  LEAVE_CODE,
  MAX_FILES_PER_CALLBACK,
  recordingEvent,
  RecordingEventType,
  slicePayload,
  type RecordingTaskRef,
} from '../callbacks/recording-events.ts';
import type { Logger } from '../logger.ts';

export type TaskStatus = 'Idle' | 'InProgress' | 'Exited';

export interface RecordingTaskRequest {
  sdkAppId: number;
  room: { roomId: number } | { strRoomId: string };
  /** The recording robot's userId and UserSig (TRTC: UserId, UserSig). */
  userId: string;
  userSig: string;
  recordParams: RecordParams;
  /** RecordMode 2: TRTC's MixLayoutParams and MixTranscodeParams. */
  mix?: RecorderOptions['mix'];
  fileNamePrefix?: string;
  /** TRTC CloudStorage: upload each file to this bucket (the directory is then only a staging area). */
  cloudStorage?: CloudStorageParams;
}

interface Task {
  id: string;
  sdkAppId: number;
  recorder: Recorder;
  uploader: CloudUploader | undefined;
  /** Files as stored (in the bucket: under their key, once uploaded). */
  files: StoredFile[];
  status: TaskStatus;
  exitedAt?: number;
  /** Why it exited, when it did (the recorder's stop reason or the join refusal's code). */
  exitReason?: string;
  /** Settles once the task's files are uploaded and its last callbacks queued. */
  finished?: Promise<void>;
  /** Whether the recorder joined (settles when start() does). */
  joined?: Promise<boolean>;
}

export interface RecordingTasksOptions {
  /** Where files go; undefined: Cloud API recording is off. */
  directory: string | undefined;
  maxConcurrentPerApp: number;
  /** The server's own URL (known once it listens). */
  serverUrl: () => string;
  /** The app's secret key, to sign the robot's PrivateMapKey with the Record bit. */
  appSecret: (sdkAppId: number) => Promise<string>;
  insecureTls: boolean;
  log: Logger;
  /** Where files whose upload failed go (default `<directory>/upload-failed`). */
  backupDirectory?: string;
  /**
   * Checks a CloudStorage endpoint before use (the server's outbound network policy); throws to refuse. Returns a
   * `lookup` that checks every address the endpoint resolves to.
   */
  checkStorageEndpoint?: (endpoint: string) => LookupFunction | undefined;
  /** Upload tries per file and the first retry's delay (tests shorten them). */
  uploadAttempts?: number;
  uploadRetryDelayMs?: number;
  /** Receives the recording callbacks (301–310) for the app's outbox. */
  callback?: (sdkAppId: number, body: CallbackBody) => void;
  now?: () => number;
}

/** Exited tasks stay describable this long. */
const EXITED_KEEP_MS = 60 * 60_000;
const MAX_EXITED_PER_APP = 200;

export class RecordingTasks {
  readonly #tasks = new Map<string, Task>();
  readonly #o: RecordingTasksOptions;

  constructor(options: RecordingTasksOptions) {
    this.#o = options;
  }

  /** Starts a task; resolves with its TaskId once the recorder has joined (or throws why it could not). */
  async create(request: RecordingTaskRequest): Promise<string> {
    const directory = this.#o.directory;
    if (!directory) throw new ConclaveError('RECORDING_NOT_CONFIGURED');
    const lookup = request.cloudStorage ? this.#checkEndpoint(request.cloudStorage) : undefined;
    this.#prune();
    const running = [...this.#tasks.values()].filter((t) => t.sdkAppId === request.sdkAppId && t.status !== 'Exited');
    if (running.length >= this.#o.maxConcurrentPerApp)
      throw new ConclaveError('RECORDING_CONCURRENCY_LIMIT', undefined, {
        details: { limit: this.#o.maxConcurrentPerApp },
      });
    const secretKey = await this.#o.appSecret(request.sdkAppId);
    const recorder = new Recorder({
      serverUrl: this.#o.serverUrl(),
      sdkAppId: request.sdkAppId,
      room: request.room,
      userId: request.userId,
      userSig: request.userSig,
      privateMapKey: generatePrivateMapKey({
        sdkAppId: request.sdkAppId,
        userId: request.userId,
        secretKey,
        expireSeconds: 86_400,
        room: request.room,
        privileges:
          PrivilegeBits.EnterRoom | PrivilegeBits.ReceiveAudio | PrivilegeBits.ReceiveVideo | PrivilegeBits.Record,
      }),
      storage: new LocalDirectoryStorage(
        directory,
        request.fileNamePrefix && !request.cloudStorage ? { fileNamePrefix: request.fileNamePrefix } : {},
      ),
      recordParams: request.recordParams,
      ...(request.mix ? { mix: request.mix } : {}),
      insecureTls: this.#o.insecureTls,
    });
    const uploader = request.cloudStorage
      ? new CloudUploader({
          cloud: request.cloudStorage,
          backupDirectory: this.#o.backupDirectory ?? path.join(directory, 'upload-failed'),
          ...(lookup ? { lookup } : {}),
          ...(this.#o.uploadAttempts ? { attempts: this.#o.uploadAttempts } : {}),
          ...(this.#o.uploadRetryDelayMs !== undefined ? { retryDelayMs: this.#o.uploadRetryDelayMs } : {}),
        })
      : undefined;
    const task: Task = {
      id: recorder.taskId,
      sdkAppId: request.sdkAppId,
      recorder,
      uploader,
      files: [],
      status: 'Idle',
    };
    this.#tasks.set(task.id, task);
    const ref: RecordingTaskRef = {
      taskId: task.id,
      roomId: 'roomId' in request.room ? String(request.room.roomId) : request.room.strRoomId,
      userId: request.userId,
    };
    const emit = (type: Parameters<typeof recordingEvent>[0], payload: Record<string, unknown>) =>
      this.#o.callback?.(request.sdkAppId, recordingEvent(type, ref, (this.#o.now ?? Date.now)(), payload));
    const log = this.#o.log.child({ taskId: task.id, sdkAppId: request.sdkAppId });
    recorder.on('warning', (code, message) => log.warn({ code, message }, 'recording warning'));
    recorder.on('file', (file) => {
      emit(RecordingEventType.FileSlice, slicePayload(file));
      if (!uploader) task.files.push(file);
      else uploader.enqueue(path.join(directory, file.FileName), file);
    });
    uploader?.on('uploaded', (file) => {
      task.files.push({ ...file, FileName: file.Key });
      if (task.files.length === 1) emit(RecordingEventType.FileInfo, { FileList: file.Key });
    });
    uploader?.on('uploadFailed', (file, code, message) => {
      // The S3 error names bucket and key only; the keys never reach a log line or a callback.
      log.warn({ code, file: file.FileName }, 'recording upload failed; file kept in the backup directory');
      emit(RecordingEventType.UploadError, { Code: code, Message: message });
    });
    const started = (this.#o.now ?? Date.now)();
    recorder.once('stopped', (reason) => void this.#finish(task, reason, started, emit, log));
    const starting = recorder.start();
    task.joined = starting.then(
      () => true,
      () => false,
    );
    try {
      await starting;
    } catch (error) {
      task.exitReason = error instanceof Error && 'code' in error ? String(error.code) : 'failed';
      emit(RecordingEventType.RecorderStart, { Status: 1 });
      throw new ConclaveError('RECORDING_START_FAILED', undefined, {
        cause: error,
        details: { reason: task.exitReason },
      });
    }
    if (task.status === 'Idle') task.status = 'InProgress';
    emit(RecordingEventType.RecorderStart, { Status: 0 });
    if (uploader) emit(RecordingEventType.UploadStart, { Status: 0 });
    log.info({ cloudStorage: uploader !== undefined }, 'recording task started');
    return task.id;
  }

  describe(sdkAppId: number, taskId: string): { status: TaskStatus; files: StoredFile[] } {
    const task = this.#own(sdkAppId, taskId);
    return { status: task.status, files: [...task.files] };
  }

  /** ModifyCloudRecording: new subscribe lists (applied live) and a mix layout (kept for mixed mode). */
  async modify(sdkAppId: number, taskId: string, change: RecorderModification): Promise<void> {
    const task = this.#own(sdkAppId, taskId);
    if (task.status === 'Exited') throw new ConclaveError('RECORDING_TASK_EXITED');
    await task.recorder.modify(change);
  }

  /** Stops a task; its last files are written (and uploaded, or backed up) before this resolves. */
  async delete(sdkAppId: number, taskId: string): Promise<void> {
    const task = this.#own(sdkAppId, taskId);
    await task.recorder.stop('requested');
    await task.finished;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.#tasks.values()].map(async (t) => {
        await t.recorder.stop('requested');
        await t.finished;
      }),
    );
  }

  /** After the recorder stopped: uploads drain, then 305/310 and 302, then the task is Exited. */
  async #finish(
    task: Task,
    reason: StopReason,
    startedAt: number,
    emit: (type: Parameters<typeof recordingEvent>[0], payload: Record<string, unknown>) => void,
    log: Logger,
  ): Promise<void> {
    let resolve!: () => void;
    task.finished = new Promise<void>((r) => (resolve = r));
    try {
      const uploader = task.uploader;
      await uploader?.close();
      // A task that never joined reported 301 with Status 1 and nothing more.
      if (!(await task.joined)) return;
      if (uploader) {
        const status = uploader.failed.length > 0 ? 1 : 0;
        emit(RecordingEventType.UploadStop, { Status: status });
        emit(RecordingEventType.Mp4Stop, { Status: status, ...filesPayload(task.files) });
      }
      emit(RecordingEventType.RecorderStop, { LeaveCode: LEAVE_CODE[reason] });
    } finally {
      task.status = 'Exited';
      task.exitedAt = Date.now();
      task.exitReason ??= reason;
      log.info({ reason, files: task.files.length, ms: Date.now() - startedAt }, 'recording task exited');
      resolve();
    }
  }

  #checkEndpoint(cloud: CloudStorageParams): LookupFunction | undefined {
    const check = this.#o.checkStorageEndpoint;
    if (!check) return undefined;
    try {
      return check(cloudStorageEndpoint(cloud));
    } catch (error) {
      throw new ConclaveError('RECORDING_STORAGE_DENIED', error instanceof Error ? error.message : undefined);
    }
  }

  #own(sdkAppId: number, taskId: string): Task {
    const task = this.#tasks.get(taskId);
    if (!task || task.sdkAppId !== sdkAppId) throw new ConclaveError('RECORDING_TASK_NOT_FOUND');
    return task;
  }

  #prune(): void {
    const now = Date.now();
    const exited = [...this.#tasks.values()].filter((t) => t.status === 'Exited');
    for (const t of exited) if (now - (t.exitedAt ?? now) > EXITED_KEEP_MS) this.#tasks.delete(t.id);
    const byApp = new Map<number, Task[]>();
    for (const t of exited) if (this.#tasks.has(t.id)) byApp.set(t.sdkAppId, [...(byApp.get(t.sdkAppId) ?? []), t]);
    for (const list of byApp.values())
      for (const t of list.slice(0, Math.max(0, list.length - MAX_EXITED_PER_APP))) this.#tasks.delete(t.id);
  }
}

/**
 * 310's FileList and FileMessage: as many files as fit the callback outbox's body bound (long prefixes make
 * long keys); the task's Describe lists them all.
 */
function filesPayload(files: StoredFile[]): { FileList: string[]; FileMessage: Record<string, unknown>[] } {
  const payload = { FileList: [] as string[], FileMessage: [] as Record<string, unknown>[] };
  let size = 0;
  for (const file of files.slice(0, MAX_FILES_PER_CALLBACK)) {
    const message = fileMessage(file);
    size += file.FileName.length + JSON.stringify(message).length + 8;
    if (size > MAX_FILES_JSON) break;
    payload.FileList.push(file.FileName);
    payload.FileMessage.push(message);
  }
  return payload;
}

/** Room for 310's file lists in an 8 KiB callback body. */
const MAX_FILES_JSON = 6 * 1024;
