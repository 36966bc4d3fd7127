/**
 * One file of one user (TRTC RecordMode 1, single stream): the user's video frames into an IVF and audio packets
 * into an Ogg while the segment is open, then one WebM when it closes. Each track (an SSRC: a producer, which a
 * user may stop and start again) is placed on the segment's clock by the wall time of its first frame; inside a
 * track, RTP timestamps give the spacing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IvfWriter } from './ivf-writer.ts';
import { OggOpusWriter } from './ogg-opus-writer.ts';
import { opusPacketSamples } from './opus-depacketizer.ts';
import type { StoredFile } from './storage.ts';
import { vp8KeyframeSize } from './vp8-depacketizer.ts';
import { remuxToWebm, type RemuxInput } from './webm-remux.ts';

/** A track's anchor: the wall time and unwrapped RTP timestamp of its first frame in this segment. */
interface Anchor {
  wallMs: number;
  rtp: number;
}

export class UserSegment {
  readonly userId: string;
  /** Wall time (Unix ms) the segment opened. */
  readonly startedAt: number;
  readonly #dir: string;
  #video: { writer: IvfWriter; originMs: number } | undefined;
  #audio: { writer: OggOpusWriter; originMs: number } | undefined;
  readonly #anchors = new Map<number, Anchor>();
  #closed = false;

  constructor(userId: string, workDir: string, now: number) {
    this.userId = userId;
    this.startedAt = now;
    this.#dir = fs.mkdtempSync(path.join(workDir, 'seg-'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written so far (both tracks). */
  get bytes(): number {
    return (this.#video?.writer.bytes ?? 0) + (this.#audio?.writer.bytes ?? 0);
  }

  /** Whether video has started (the first video frame of a segment must be a keyframe). */
  get hasVideo(): boolean {
    return this.#video !== undefined;
  }

  /** Writes a decrypted VP8 frame of track `ssrc` (RTP timestamp already unwrapped). */
  writeVideo(ssrc: number, rtp: number, frame: Buffer, keyframe: boolean, now: number): boolean {
    if (this.#closed) return false;
    if (!this.#video) {
      if (!keyframe) return false;
      this.#video = { writer: new IvfWriter(path.join(this.#dir, 'video.ivf')), originMs: now };
    }
    const pts = this.#pts(ssrc, rtp, now, this.#video.originMs, 90);
    const size = keyframe ? vp8KeyframeSize(frame) : undefined;
    this.#video.writer.write(pts, frame, size);
    return true;
  }

  /** Writes a decrypted Opus packet of track `ssrc`. */
  writeAudio(ssrc: number, rtp: number, packet: Buffer, now: number): boolean {
    if (this.#closed) return false;
    this.#audio ??= { writer: new OggOpusWriter(path.join(this.#dir, 'audio.ogg')), originMs: now };
    const start = this.#pts(ssrc, rtp, now, this.#audio.originMs, 48);
    this.#audio.writer.write(packet, start + opusPacketSamples(packet));
    return true;
  }

  /**
   * Closes the writers and remuxes into `output`. Returns the stored file, or undefined when nothing was
   * written (the work files are removed either way).
   */
  async finish(output: string): Promise<StoredFile | undefined> {
    if (this.#closed) return undefined;
    this.#closed = true;
    try {
      const inputs: RemuxInput[] = [];
      const video = this.#video;
      const audio = this.#audio;
      video?.writer.close();
      audio?.writer.close();
      if (video && video.writer.frames > 0)
        inputs.push({ path: video.writer.path, offsetSeconds: (video.originMs - this.startedAt) / 1000 });
      if (audio && audio.writer.packets > 0)
        inputs.push({ path: audio.writer.path, offsetSeconds: (audio.originMs - this.startedAt) / 1000 });
      if (inputs.length === 0) return undefined;
      await remuxToWebm(inputs, output);
      const hasVideo = !!video && video.writer.frames > 0;
      const hasAudio = !!audio && audio.writer.packets > 0;
      return {
        UserId: this.userId,
        FileName: path.basename(output),
        TrackType: hasVideo && hasAudio ? 'audio_video' : hasVideo ? 'video' : 'audio',
        BeginTimeStamp: Math.min(video?.originMs ?? Infinity, audio?.originMs ?? Infinity),
        Size: fs.statSync(output).size,
      };
    } finally {
      fs.rmSync(this.#dir, { recursive: true, force: true });
    }
  }

  /** Drops everything written (a task that failed): no partial plaintext stays behind. */
  discard(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#video?.writer.close();
      this.#audio?.writer.close();
    } finally {
      fs.rmSync(this.#dir, { recursive: true, force: true });
    }
  }

  /** Presentation time of a frame in `perMs` units per millisecond, from the file's origin. */
  #pts(ssrc: number, rtp: number, now: number, originMs: number, perMs: number): number {
    let anchor = this.#anchors.get(ssrc);
    if (!anchor) {
      anchor = { wallMs: now, rtp };
      this.#anchors.set(ssrc, anchor);
    }
    return Math.max(0, Math.round((anchor.wallMs - originMs) * perMs + (rtp - anchor.rtp)));
  }
}
