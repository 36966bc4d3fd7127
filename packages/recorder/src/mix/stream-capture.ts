/**
 * One stream's media while it is in a mixed file: from the first frame until the user leaves, the stream is
 * removed or the file closes. Video frames go into an IVF and audio packets into an Ogg, unchanged (no decode
 * while the call runs); each track is placed on the file's clock by the wall time of its first frame and spaced by
 * its RTP timestamps, as in single-stream recording.
 */
import path from 'node:path';
import { IvfWriter } from '../ivf-writer.ts';
import { OggOpusWriter } from '../ogg-opus-writer.ts';
import { opusPacketSamples } from '../opus-depacketizer.ts';
import { vp8KeyframeSize } from '../vp8-depacketizer.ts';

interface Anchor {
  wallMs: number;
  rtp: number;
}

export class StreamCapture {
  readonly userId: string;
  readonly mediaId: 0 | 1;
  /** Wall time (Unix ms) of the first frame: the stream's place in the join order. */
  readonly startedAt: number;
  /** Wall time it left the file (undefined while it is in). */
  endedAt: number | undefined;
  #video: { writer: IvfWriter; originMs: number } | undefined;
  #audio: { writer: OggOpusWriter; originMs: number } | undefined;
  readonly #anchors = new Map<number, Anchor>();
  readonly #base: string;

  /** `base`: a path prefix in the work folder, unique to this capture. */
  constructor(userId: string, mediaId: 0 | 1, base: string, now: number) {
    this.userId = userId;
    this.mediaId = mediaId;
    this.startedAt = now;
    this.#base = base;
  }

  get ended(): boolean {
    return this.endedAt !== undefined;
  }

  get hasVideo(): boolean {
    return (this.#video?.writer.frames ?? 0) > 0;
  }

  /** The IVF and its first frame's wall time, when any video was written. */
  get video(): { path: string; originMs: number } | undefined {
    return this.#video && this.#video.writer.frames > 0
      ? { path: this.#video.writer.path, originMs: this.#video.originMs }
      : undefined;
  }

  get audio(): { path: string; originMs: number } | undefined {
    return this.#audio && this.#audio.writer.packets > 0
      ? { path: this.#audio.writer.path, originMs: this.#audio.originMs }
      : undefined;
  }

  /** Writes a VP8 frame; the first one must be a keyframe. */
  writeVideo(ssrc: number, rtp: number, frame: Buffer, keyframe: boolean, now: number): boolean {
    if (this.ended) return false;
    if (!this.#video) {
      if (!keyframe) return false;
      this.#video = { writer: new IvfWriter(`${this.#base}.ivf`), originMs: now };
    }
    const pts = this.#pts(ssrc, rtp, now, this.#video.originMs, 90);
    this.#video.writer.write(pts, frame, keyframe ? vp8KeyframeSize(frame) : undefined);
    return true;
  }

  writeAudio(ssrc: number, rtp: number, packet: Buffer, now: number): boolean {
    if (this.ended) return false;
    this.#audio ??= { writer: new OggOpusWriter(`${this.#base}.ogg`), originMs: now };
    const start = this.#pts(ssrc, rtp, now, this.#audio.originMs, 48);
    this.#audio.writer.write(packet, start + opusPacketSamples(packet));
    return true;
  }

  /** Ends the capture at `now` and closes its files (they stay for the composer). */
  end(now: number): void {
    if (this.ended) return;
    this.endedAt = now;
    this.#video?.writer.close();
    this.#audio?.writer.close();
  }

  get name(): string {
    return path.basename(this.#base);
  }

  #pts(ssrc: number, rtp: number, now: number, originMs: number, perMs: number): number {
    let anchor = this.#anchors.get(ssrc);
    if (!anchor) {
      anchor = { wallMs: now, rtp };
      this.#anchors.set(ssrc, anchor);
    }
    return Math.max(0, Math.round((anchor.wallMs - originMs) * perMs + (rtp - anchor.rtp)));
  }
}
