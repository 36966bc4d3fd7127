/**
 * AUTOPLAY_FAILED and its resume path. A browser refuses to start audible playback before the user has
 * interacted with the page; each refused player is kept here until it plays. `resume()` (handed to the app
 * in the event, for its own "click to unmute" button) retries every refused player; the SDK also retries by
 * itself on the next click, key or touch anywhere on the page, as TRTC Web SDK v5 does.
 */

/** Something that can be asked to play (an HTMLMediaElement, a test double). */
export type PlayAttempt = () => Promise<void>;

const GESTURES = ['click', 'keydown', 'touchstart'] as const;

/** Players whose start the browser refused, by key (`userId|mediaType`). */
export class AutoplayGate {
  readonly #pending = new Map<string, PlayAttempt>();
  readonly #target: EventTarget | undefined;
  #listening = false;
  readonly #onGesture = () => void this.resume();

  /** `target` receives the user's gestures (the document by default; none outside a page). */
  constructor(target: EventTarget | undefined = typeof document === 'undefined' ? undefined : document) {
    this.#target = target;
  }

  /** How many players wait for a gesture. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Records a refused start; returns the `resume` function for the AUTOPLAY_FAILED event. */
  blocked(key: string, play: PlayAttempt): () => Promise<void> {
    this.#pending.set(key, play);
    this.#listen(true);
    return () => this.resume();
  }

  /** Forgets a player (it was removed). */
  forget(key: string): void {
    this.#pending.delete(key);
    if (this.#pending.size === 0) this.#listen(false);
  }

  /**
   * Retries every refused player. Call it from a user gesture. A player that plays, or fails for any reason
   * other than the autoplay policy, is forgotten; one still refused stays for the next gesture.
   */
  async resume(): Promise<void> {
    await Promise.all(
      [...this.#pending].map(async ([key, play]) => {
        try {
          await play();
          this.#pending.delete(key);
        } catch (err) {
          if (!isAutoplayRefusal(err)) this.#pending.delete(key);
        }
      }),
    );
    if (this.#pending.size === 0) this.#listen(false);
  }

  /** Forgets everything and stops listening (leaving the room). */
  clear(): void {
    this.#pending.clear();
    this.#listen(false);
  }

  #listen(on: boolean): void {
    if (!this.#target || on === this.#listening) return;
    this.#listening = on;
    for (const name of GESTURES) {
      if (on) this.#target.addEventListener(name, this.#onGesture, { capture: true });
      else this.#target.removeEventListener(name, this.#onGesture, { capture: true });
    }
  }
}

/** Whether a play() rejection is the autoplay policy (NotAllowedError) rather than a broken source. */
export function isAutoplayRefusal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'NotAllowedError';
}
