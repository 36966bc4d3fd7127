/**
 * Remembers each app's mutating requests, with their answers, for as long as their timestamps are acceptable, so
 * a request sent again (a retry, or a captured request replayed) gets the first answer instead of running twice.
 * See docs/cloud-api.md.
 *
 * Bounded per app: one app filling its share cannot push out, or lock out, another app's requests. When an app's
 * share is full its new mutating requests are refused rather than old entries forgotten (forgetting one would let
 * it run again while its timestamp is still valid).
 */

interface Entry<Answer> {
  answer: Promise<Answer>;
  expiresAt: number;
}

interface Expiry {
  at: number;
  sdkAppId: number;
  key: string;
}

export class ReplayCache<Answer> {
  readonly #apps = new Map<number, Map<string, Entry<Answer>>>();
  /** Min-heap on `at`: timestamps differ per request, so insertion order is not expiry order. */
  readonly #expiries: Expiry[] = [];
  readonly #capacityPerApp: number;

  constructor(options: { capacityPerApp: number }) {
    this.#capacityPerApp = options.capacityPerApp;
  }

  /**
   * The answer for `key`: the first time, `run()`'s (remembered until `expiresAt`, epoch ms); later, the same
   * promise, so concurrent duplicates share one run. Undefined when the app has no room left (nothing ran).
   */
  answer(sdkAppId: number, key: string, expiresAt: number, now: number, run: () => Promise<Answer>) {
    this.#prune(now);
    const entries = this.#apps.get(sdkAppId) ?? new Map<string, Entry<Answer>>();
    const seen = entries.get(key);
    if (seen) return seen.answer;
    if (entries.size >= this.#capacityPerApp) return undefined;
    const answer = run();
    entries.set(key, { answer, expiresAt });
    this.#apps.set(sdkAppId, entries);
    this.#push({ at: expiresAt, sdkAppId, key });
    return answer;
  }

  /** Forgets `key`, so the same request may run again (after a failure that was not the request's fault). */
  forget(sdkAppId: number, key: string): void {
    const entries = this.#apps.get(sdkAppId);
    entries?.delete(key);
    if (entries?.size === 0) this.#apps.delete(sdkAppId);
  }

  /** How many requests of `sdkAppId` are remembered. */
  size(sdkAppId: number): number {
    return this.#apps.get(sdkAppId)?.size ?? 0;
  }

  #prune(now: number): void {
    for (let top = this.#expiries[0]; top !== undefined && top.at <= now; top = this.#expiries[0]) {
      this.#pop();
      const entries = this.#apps.get(top.sdkAppId);
      // A key forgotten and remembered again has two expiries in the heap: only the current one removes it.
      if (entries?.get(top.key)?.expiresAt === top.at) this.forget(top.sdkAppId, top.key);
    }
  }

  #push(expiry: Expiry): void {
    const heap = this.#expiries;
    let i = heap.push(expiry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= expiry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = expiry;
  }

  #pop(): void {
    const heap = this.#expiries;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
