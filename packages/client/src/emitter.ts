/**
 * A small typed event emitter used by every SDK layer. A listener that throws is logged and never stops the
 * other listeners or the SDK's own state changes.
 */

/** Maps event names to their argument tuples. */
export type EventMap = Record<string, unknown[]>;

type Listener<A extends unknown[]> = (...args: A) => void;
/** Listeners are stored untyped; `on` and `emit` keep the types at the edges. */
type StoredListener = (...args: unknown[]) => void;

/** Typed `on/off/once/emit`, with an optional `this` context per listener as TRTC's `on(event, fn, context)`. */
export class Emitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, { fn: StoredListener; context: unknown; once: boolean }[]>();

  /** Adds a listener; `context` becomes `this` inside it. */
  on<K extends keyof E>(event: K, fn: Listener<E[K]>, context?: unknown): this {
    const list = this.#listeners.get(event) ?? [];
    list.push({ fn: fn as unknown as StoredListener, context, once: false });
    this.#listeners.set(event, list);
    return this;
  }

  /** Adds a listener that runs at most once. */
  once<K extends keyof E>(event: K, fn: Listener<E[K]>, context?: unknown): this {
    this.on(event, fn, context);
    const list = this.#listeners.get(event);
    const last = list?.[list.length - 1];
    if (last) last.once = true;
    return this;
  }

  /** Removes a listener; with `'*'` or no `fn`, removes all listeners of that event (or of every event). */
  off<K extends keyof E>(event: K | '*', fn?: Listener<E[K]>, context?: unknown): this {
    if (event === '*') {
      this.#listeners.clear();
      return this;
    }
    if (!fn) {
      this.#listeners.delete(event);
      return this;
    }
    const list = this.#listeners.get(event);
    if (!list) return this;
    const target = fn as unknown as StoredListener;
    const kept = list.filter((l) => l.fn !== target || (context !== undefined && l.context !== context));
    if (kept.length) this.#listeners.set(event, kept);
    else this.#listeners.delete(event);
    return this;
  }

  /** Number of listeners of an event. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Calls every listener of `event` with `args`; returns whether there was any. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(event);
    if (!list?.length) return false;
    for (const l of [...list]) {
      if (l.once) this.off(event, l.fn as unknown as Listener<E[K]>, l.context);
      try {
        l.fn.apply(l.context, args);
      } catch (err) {
        console.error(`[conclave] listener of "${String(event)}" threw`, err);
      }
    }
    return true;
  }
}
