/**
 * Keyframes for new subscribers without waiting out the PLI throttle.
 *
 * A video producer asks its publisher for a keyframe at most once per `KEYFRAME_REQUEST_DELAY_MS` (mediasoup's
 * `keyFrameRequestDelay`): requests inside that window are merged into one sent when it ends. That protects
 * publishers from PLI storms (a receiver that cannot decode, e.g. without the E2EE key, asks again and again),
 * but it also holds back the first picture of someone who just subscribed, for up to the whole window, when
 * anyone else asked shortly before (back-to-back joins, a meeting starting).
 *
 * The fast path: when a consumer becomes active (resumed on a connected transport) for the first time and its
 * own keyframe request was merged into a pending one (a request went to the publisher within the window and
 * none since), and the keyframe answering that request has already passed (so the consumer missed it), the
 * producer is asked for a keyframe as soon as the publisher will honour it: browsers ignore a keyframe request
 * that comes less than `PUBLISHER_MIN_INTERVAL_MS` after the previous one (libwebrtc's EncoderRtcpFeedback),
 * and the SFU would then only retry a second later. mediasoup bypasses its throttle only when a producer
 * resumes, so the fast path pauses and resumes the producer in one go (two worker requests, in order; the
 * other consumers resynchronise on the same keyframe). That also restarts the throttle window, so repeated
 * requests of existing consumers stay throttled. A subscriber gets the fast path once per producer per
 * `FAST_PATH_INTERVAL_MS`; re-consuming in a loop cannot force keyframes faster than that.
 */
import type { types } from 'mediasoup';

/**
 * The SFU asks a publisher for a keyframe at most once per this many ms, however many subscribers ask
 * (PLI/FIR throttling: a receiver that cannot decode, e.g. without the E2EE key, must not flood the sender).
 */
export const KEYFRAME_REQUEST_DELAY_MS = 500;

/** A publisher's own minimum gap between keyframe requests it acts on (libwebrtc: 300 ms), plus a margin. */
export const PUBLISHER_MIN_INTERVAL_MS = 320;

/** How often one subscriber may take the fast path for one producer. */
export const FAST_PATH_INTERVAL_MS = 10_000;

/** When the worker's notifications for a just-connected transport have settled (its consumers' requests). */
const SETTLE_MS = 15;

/** When a keyframe request last went from the SFU to each watched producer's publisher (ms). */
const lastRequestAt = new WeakMap<types.Producer, number>();
/** When a keyframe last arrived from each watched producer's publisher (ms). */
const lastKeyframeAt = new WeakMap<types.Producer, number>();
/** Fast paths taken, for tests and telemetry. */
const forcedCount = new WeakMap<types.Producer, number>();

/** Starts following a video producer's outgoing keyframe requests (PLI/FIR trace events). */
export async function watchKeyframeRequests(producer: types.Producer): Promise<void> {
  if (producer.kind !== 'video') return;
  producer.on('trace', (trace) => {
    if ((trace.type === 'pli' || trace.type === 'fir') && trace.direction === 'out')
      lastRequestAt.set(producer, Date.now());
    else if (trace.type === 'keyframe' && trace.direction === 'in') lastKeyframeAt.set(producer, Date.now());
  });
  await producer.enableTraceEvent(['pli', 'fir', 'keyframe']);
}

/** How many fast-path keyframes `producer` was asked for. */
export function fastPathKeyframes(producer: types.Producer): number {
  return forcedCount.get(producer) ?? 0;
}

/** The fast path of one subscriber (one per participant's media). */
export class KeyframeFastPath {
  /** producerId → when this subscriber last took the fast path for it. */
  readonly #taken = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * A video consumer was resumed for the first time (`since`: just before the resume request). Once it is
   * active — now, or when `transport` connects — asks for a keyframe if the throttle held its request back.
   */
  consumerResumed(
    consumer: types.Consumer,
    producer: types.Producer,
    transport: types.WebRtcTransport | types.PlainTransport,
    since: number,
  ): void {
    if (consumer.kind !== 'video') return;
    const t = transport as types.WebRtcTransport;
    if (isConnected(transport)) {
      this.#check(consumer, producer, since);
      return;
    }
    const onState = (state: string): void => {
      if (state !== 'connected') return;
      cleanup();
      // The worker announces the connection before its consumers send their requests: let those arrive.
      const at = this.#now();
      setTimeout(() => this.#check(consumer, producer, at), SETTLE_MS).unref();
    };
    const cleanup = (): void => {
      t.off('dtlsstatechange', onState);
      (transport as types.PlainTransport).off('tuple', onTuple);
      consumer.observer.off('close', cleanup);
    };
    const onTuple = (): void => onState('connected');
    t.on('dtlsstatechange', onState);
    (transport as types.PlainTransport).on('tuple', onTuple);
    consumer.observer.once('close', cleanup);
  }

  #check(consumer: types.Consumer, producer: types.Producer, since: number): void {
    if (consumer.closed || consumer.paused || producer.closed || producer.paused) return;
    const last = lastRequestAt.get(producer);
    // Our request went out (or a later one did): the keyframe is on its way.
    if (last === undefined || last >= since) return;
    // No request within the window: ours was not merged (a keyframe was pending and is still coming).
    if (since - last >= KEYFRAME_REQUEST_DELAY_MS) return;
    // The keyframe answering the last request has not come yet: this consumer, active now, gets it.
    if ((lastKeyframeAt.get(producer) ?? 0) < last) return;
    const now = this.#now();
    const taken = this.#taken.get(producer.id);
    if (taken !== undefined && now - taken < FAST_PATH_INTERVAL_MS) return;
    for (const [id, at] of this.#taken) if (now - at >= FAST_PATH_INTERVAL_MS) this.#taken.delete(id);
    this.#taken.set(producer.id, now);
    const wait = last + PUBLISHER_MIN_INTERVAL_MS - now;
    if (wait <= 0) return forceKeyframe(producer);
    setTimeout(() => {
      // Someone else's request went out meanwhile (the throttle's own, or another fast path): it serves us too.
      if (consumer.closed || producer.closed || producer.paused || lastRequestAt.get(producer) !== last) return;
      forceKeyframe(producer);
    }, wait).unref();
  }
}

/** Pause + resume in one go: mediasoup then requests keyframes of every stream of the producer at once. */
function forceKeyframe(producer: types.Producer): void {
  forcedCount.set(producer, (forcedCount.get(producer) ?? 0) + 1);
  // Both requests leave now, in order; nothing else (a user's mute) can be queued between them.
  void producer.pause().catch(() => undefined);
  void producer.resume().catch(() => undefined);
}

function isConnected(transport: types.WebRtcTransport | types.PlainTransport): boolean {
  if (transport.type === 'webrtc') return (transport as types.WebRtcTransport).dtlsState === 'connected';
  const tuple = (transport as types.PlainTransport).tuple as { remotePort?: number } | undefined;
  return tuple?.remotePort !== undefined && tuple.remotePort !== 0;
}
