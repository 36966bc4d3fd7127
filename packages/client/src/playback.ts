/**
 * Rendering: a `<video>` the SDK creates inside the caller's view element, and an `<audio>` per remote user.
 * Each reports its first frame or an autoplay refusal through callbacks.
 */

/** Options of a {@link VideoView}. */
export interface VideoViewOptions {
  mirror?: boolean;
  fillMode?: 'contain' | 'cover' | 'fill';
  /** Called once per attached track when its first frame is rendered. */
  onFirstFrame?: (width: number, height: number) => void;
  /** Called when the shown video's size changes after its first frame (VIDEO_SIZE_CHANGED). */
  onSizeChanged?: (width: number, height: number) => void;
}

/** A `<video>` element the SDK owns, attached to a view container (or detached, still decoding). */
export class VideoView {
  readonly element: HTMLVideoElement;
  #track: MediaStreamTrack | null = null;
  readonly #options: VideoViewOptions;
  /** The size last reported (first frame or a change), per attached track. */
  #size: { width: number; height: number } | undefined;

  constructor(options: VideoViewOptions = {}) {
    this.#options = options;
    const video = document.createElement('video');
    video.addEventListener('resize', () => this.#onResize());
    video.autoplay = true;
    video.muted = true;
    video.playsInline = true;
    video.setAttribute('playsinline', '');
    video.style.width = '100%';
    video.style.height = '100%';
    video.style.objectFit = options.fillMode ?? 'cover';
    video.style.background = '#000';
    this.element = video;
    this.setMirror(options.mirror ?? false);
  }

  /** Moves the video into `container`, or out of the page with `null`. */
  attach(container: HTMLElement | null): void {
    if (container) {
      if (this.element.parentElement !== container) container.appendChild(this.element);
    } else {
      this.element.remove();
    }
  }

  /** Shows a track (or nothing). */
  setTrack(track: MediaStreamTrack | null): void {
    if (track === this.#track) return;
    this.#track = track;
    this.#size = undefined;
    this.element.srcObject = track ? new MediaStream([track]) : null;
    if (!track) return;
    void this.element.play().catch(() => undefined);
    this.#watchFirstFrame(track);
  }

  get track(): MediaStreamTrack | null {
    return this.#track;
  }

  setMirror(mirror: boolean): void {
    this.element.style.transform = mirror ? 'scaleX(-1)' : '';
  }

  setFillMode(mode: 'contain' | 'cover' | 'fill'): void {
    this.element.style.objectFit = mode;
  }

  /** Removes the element and releases the track (without stopping it). */
  destroy(): void {
    this.#track = null;
    this.element.srcObject = null;
    this.element.remove();
  }

  #watchFirstFrame(track: MediaStreamTrack): void {
    const report = () => {
      if (this.#track !== track) return;
      this.#size = { width: this.element.videoWidth, height: this.element.videoHeight };
      this.#options.onFirstFrame?.(this.element.videoWidth, this.element.videoHeight);
    };
    const video = this.element as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    if (typeof video.requestVideoFrameCallback === 'function') video.requestVideoFrameCallback(report);
    else video.addEventListener('loadeddata', report, { once: true });
  }

  #onResize(): void {
    const { videoWidth: width, videoHeight: height } = this.element;
    // Before the first frame the size is part of FIRST_VIDEO_FRAME; a 0×0 size is no picture yet.
    if (!this.#size || width === 0 || height === 0) return;
    if (this.#size.width === width && this.#size.height === height) return;
    this.#size = { width, height };
    this.#options.onSizeChanged?.(width, height);
  }
}

/** Plays one remote user's audio with its own volume. */
export class AudioPlayer {
  readonly element: HTMLAudioElement;
  #track: MediaStreamTrack | null = null;
  readonly #onAutoplayFailed: (retry: () => Promise<void>) => void;

  /** `onAutoplayFailed` gets a retry to call from a user gesture (see AutoplayGate). */
  constructor(onAutoplayFailed: (retry: () => Promise<void>) => void) {
    this.#onAutoplayFailed = onAutoplayFailed;
    this.element = document.createElement('audio');
    this.element.autoplay = true;
  }

  setTrack(track: MediaStreamTrack | null): void {
    if (track === this.#track) return;
    this.#track = track;
    this.element.srcObject = track ? new MediaStream([track]) : null;
    if (track) {
      this.element.play().catch((err: unknown) => {
        if (err instanceof Error && err.name === 'NotAllowedError')
          this.#onAutoplayFailed(() => (this.#track === track ? this.element.play() : Promise.resolve()));
      });
    }
  }

  /** 0..100 */
  setVolume(volume: number): void {
    this.element.volume = Math.min(1, Math.max(0, volume / 100));
  }

  destroy(): void {
    this.#track = null;
    this.element.pause();
    this.element.srcObject = null;
  }
}
