/**
 * TRTC RecordMode 2 (mixed): one file per task and MaxMediaFileDuration slice, all streams in one picture with
 * all voices mixed. While the call runs every stream is captured as it arrives, without decoding
 * ({@link StreamCapture}); the file's timeline (arrivals, departures, layout changes) is kept alongside. When the
 * file closes (task end or a new slice), ffmpeg renders it once from the captures ({@link composeWebm}) and the
 * captures are removed. ModifyCloudRecording's layout applies from the moment it is received.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StoredFile } from '../storage.ts';
import { MAX_BRANCHES, planComposition, type CapturedStream, type LayoutChange } from './composition.ts';
import { composeWebm } from './mix-compose.ts';
import { ffmpegColor, type MixLayout, type MixOutputFormat } from './mix-params.ts';
import { StreamCapture } from './stream-capture.ts';

/** Streams (a user's main or sub stream, each arrival counted) one file may hold. */
export const MAX_CAPTURES_PER_FILE = 128;
/** Layout changes one file may hold; later ones start a new file. */
export const MAX_LAYOUT_CHANGES_PER_FILE = 64;

export interface MixedRecordingOptions {
  workDir: string;
  layout: MixLayout;
  format: MixOutputFormat;
  audio: boolean;
  video: boolean;
  /** The final path of a file that starts at `startedAt` (Unix ms). */
  outputPath: (startedAt: number) => string;
  onFile: (file: StoredFile) => void;
  onWarning: (code: string, message: string) => void;
  /** A user's place in the room's join order (default: when their first frame arrived). */
  joinRank?: (userId: string) => number;
  /** The ffmpeg binary (default `ffmpeg` on the PATH). */
  ffmpeg?: string;
}

/** One mixed file being captured. */
class MixFile {
  readonly startedAt: number;
  readonly dir: string;
  readonly captures: StreamCapture[] = [];
  readonly ranks = new Map<StreamCapture, number>();
  readonly current = new Map<string, StreamCapture>();
  readonly layouts: { atMs: number; layout: MixLayout }[];

  constructor(workDir: string, startedAt: number, layout: MixLayout) {
    this.startedAt = startedAt;
    this.dir = fs.mkdtempSync(path.join(workDir, 'mix-'));
    this.layouts = [{ atMs: startedAt, layout }];
  }
}

export class MixedRecording {
  readonly #o: MixedRecordingOptions;
  #layout: MixLayout;
  #file: MixFile | undefined;
  readonly #finishing: Promise<void>[] = [];
  #closed = false;

  constructor(options: MixedRecordingOptions) {
    this.#o = options;
    this.#layout = options.layout;
  }

  /** Wall time the open file started, if one is open. */
  get fileStartedAt(): number | undefined {
    return this.#file?.startedAt;
  }

  get layout(): MixLayout {
    return this.#layout;
  }

  writeVideo(
    userId: string,
    mediaId: 0 | 1,
    ssrc: number,
    rtp: number,
    frame: Buffer,
    keyframe: boolean,
    now: number,
  ): boolean {
    if (!this.#o.video) return false;
    return this.#capture(userId, mediaId, now)?.writeVideo(ssrc, rtp, frame, keyframe, now) ?? false;
  }

  writeAudio(userId: string, mediaId: 0 | 1, ssrc: number, rtp: number, packet: Buffer, now: number): boolean {
    if (!this.#o.audio) return false;
    return this.#capture(userId, mediaId, now)?.writeAudio(ssrc, rtp, packet, now) ?? false;
  }

  /** A user left: their tiles go (the layout rearranges from now). */
  userLeft(userId: string, now: number): void {
    for (const mediaId of [0, 1] as const) this.streamEnded(userId, mediaId, now);
  }

  /** A user's main or sub stream stopped (a screen share ended). */
  streamEnded(userId: string, mediaId: 0 | 1, now: number): void {
    const file = this.#file;
    const capture = file?.current.get(`${userId}:${mediaId}`);
    if (!file || !capture) return;
    capture.end(now);
    file.current.delete(`${userId}:${mediaId}`);
  }

  /**
   * ModifyCloudRecording: the new layout applies from `now` on (what was already recorded keeps its layout).
   * Returns true when the open file had to be cut to hold it (too many changes in one file).
   */
  modifyLayout(layout: MixLayout, now: number): boolean {
    this.#layout = layout;
    const file = this.#file;
    if (!file) return false;
    if (file.layouts.length >= MAX_LAYOUT_CHANGES_PER_FILE) {
      this.rollover(now);
      return true;
    }
    file.layouts.push({ atMs: now, layout });
    return false;
  }

  /** Closes the open file (rendered in the background) so the next frame starts a new one (MaxMediaFileDuration). */
  rollover(now: number): void {
    const file = this.#file;
    if (!file) return;
    this.#file = undefined;
    this.#finishing.push(this.#finish(file, now));
  }

  /** Renders the open file (or drops it, `discard`) and waits for every file still rendering. */
  async close(now: number, discard = false): Promise<void> {
    this.#closed = true;
    const file = this.#file;
    this.#file = undefined;
    if (file) {
      if (discard) this.#drop(file, now);
      else this.#finishing.push(this.#finish(file, now));
    }
    await Promise.all(this.#finishing);
  }

  #capture(userId: string, mediaId: 0 | 1, now: number): StreamCapture | undefined {
    if (this.#closed) return undefined;
    this.#file ??= new MixFile(this.#o.workDir, now, this.#layout);
    const file = this.#file;
    const key = `${userId}:${mediaId}`;
    let capture = file.current.get(key);
    if (!capture) {
      if (file.captures.length >= MAX_CAPTURES_PER_FILE) return undefined;
      capture = new StreamCapture(userId, mediaId, path.join(file.dir, `s${file.captures.length}`), now);
      file.captures.push(capture);
      file.ranks.set(capture, this.#o.joinRank?.(userId) ?? now);
      file.current.set(key, capture);
    }
    return capture;
  }

  async #finish(file: MixFile, now: number): Promise<void> {
    for (const c of file.captures) c.end(now);
    try {
      const at = (ms: number) => ms - file.startedAt;
      const streams: CapturedStream[] = file.captures.map((c) => {
        const video = c.video;
        const audio = c.audio;
        return {
          userId: c.userId,
          mediaId: c.mediaId,
          joinRank: file.ranks.get(c) ?? c.startedAt,
          startMs: at(c.startedAt),
          endMs: at(c.endedAt ?? now),
          ...(video ? { video: { path: video.path, offsetMs: at(video.originMs) } } : {}),
          ...(audio ? { audio: { path: audio.path, offsetMs: at(audio.originMs) } } : {}),
        };
      });
      const hasMedia = streams.some((s) => s.video || s.audio);
      if (!hasMedia) return;
      const layouts: LayoutChange[] = file.layouts.map((l) => ({ atMs: at(l.atMs), layout: l.layout }));
      const plan = planComposition({
        durationMs: Math.max(1, at(now)),
        canvas: { width: this.#o.format.width, height: this.#o.format.height },
        streams,
        layouts,
        video: this.#o.video,
        audio: this.#o.audio,
      });
      if (plan.videos.reduce((n, v) => n + v.branches.length, 0) >= MAX_BRANCHES)
        this.#o.onWarning('RECORD_MIX_TRUNCATED', `the layout changed too often; later tiles are missing`);
      if (!plan.video && plan.audios.length === 0) return;
      const output = this.#o.outputPath(file.startedAt);
      await composeWebm({
        plan,
        format: this.#o.format,
        // One background per file: the colour in force when it started (tiles follow every change).
        background: ffmpegColor(file.layouts[0]?.layout.BackGroundColor),
        scriptPath: path.join(file.dir, 'filter.txt'),
        output,
        ...(this.#o.ffmpeg ? { ffmpeg: this.#o.ffmpeg } : {}),
      });
      const hasVideo = plan.video;
      const hasAudio = plan.audios.length > 0;
      this.#o.onFile({
        UserId: '',
        FileName: path.basename(output),
        TrackType: hasVideo && hasAudio ? 'audio_video' : hasVideo ? 'video' : 'audio',
        BeginTimeStamp: file.startedAt,
        Size: fs.statSync(output).size,
      });
    } catch (error) {
      this.#o.onWarning('RECORD_MIX_FAILED', (error as Error).message);
    } finally {
      fs.rmSync(file.dir, { recursive: true, force: true });
    }
  }

  /** A failed task: nothing rendered, no plaintext left behind. */
  #drop(file: MixFile, now: number): void {
    for (const c of file.captures) c.end(now);
    fs.rmSync(file.dir, { recursive: true, force: true });
  }
}
