/**
 * Recording tasks started through the Cloud API (CreateCloudRecording): each runs the recorder
 * (packages/recorder) in the server's process, joining over the server's own signaling like any participant and
 * writing to the configured directory (`recording.directory`: the customer's storage mounted on this host).
 *
 * No E2EE key ever reaches the server, so a task started here can only record plain rooms: in an E2EE room its
 * join is refused (E2EE_REQUIRED) and the task exits. E2EE rooms are recorded by the recorder run on the
 * customer's premises with the room secret (docs/recording.md). Tasks live in memory: a restart ends them.
 */
import { ConclaveError } from '@conclave/protocol';
import {
  LocalDirectoryStorage,
  Recorder,
  type RecorderOptions,
  type RecordParams,
  type StoredFile,
} from '@conclave/recorder';
import { generatePrivateMapKey, PrivilegeBits } from '../auth/index.ts';
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
}

interface Task {
  id: string;
  sdkAppId: number;
  recorder: Recorder;
  status: TaskStatus;
  exitedAt?: number;
  /** Why it exited, when it did (the recorder's stop reason or the join refusal's code). */
  exitReason?: string;
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
        request.fileNamePrefix ? { fileNamePrefix: request.fileNamePrefix } : {},
      ),
      recordParams: request.recordParams,
      ...(request.mix ? { mix: request.mix } : {}),
      insecureTls: this.#o.insecureTls,
    });
    const task: Task = { id: recorder.taskId, sdkAppId: request.sdkAppId, recorder, status: 'Idle' };
    this.#tasks.set(task.id, task);
    const log = this.#o.log.child({ taskId: task.id, sdkAppId: request.sdkAppId });
    recorder.on('warning', (code, message) => log.warn({ code, message }, 'recording warning'));
    recorder.once('stopped', (reason) => {
      task.status = 'Exited';
      task.exitedAt = Date.now();
      task.exitReason ??= reason;
      log.info({ reason, files: recorder.files.length }, 'recording task exited');
    });
    try {
      await recorder.start();
    } catch (error) {
      task.exitReason = error instanceof Error && 'code' in error ? String(error.code) : 'failed';
      throw new ConclaveError('RECORDING_START_FAILED', undefined, {
        cause: error,
        details: { reason: task.exitReason },
      });
    }
    if (task.status === 'Idle') task.status = 'InProgress';
    log.info('recording task started');
    return task.id;
  }

  describe(sdkAppId: number, taskId: string): { status: TaskStatus; files: StoredFile[] } {
    const task = this.#own(sdkAppId, taskId);
    return { status: task.status, files: [...task.recorder.files] };
  }

  /** Stops a task; its last files are written before this resolves. */
  async delete(sdkAppId: number, taskId: string): Promise<void> {
    await this.#own(sdkAppId, taskId).recorder.stop('requested');
  }

  async close(): Promise<void> {
    await Promise.all([...this.#tasks.values()].map((t) => t.recorder.stop('requested')));
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
