/**
 * The keyframe-request throttle and the fast path for new consumers, on a real mediasoup worker: a VP8
 * producer fed by a UDP socket that plays a publisher (it sends a keyframe whenever it receives a PLI) and
 * consumers on plain transports. PLIs are counted as the publisher receives them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from './codecs.ts';
import {
  FAST_PATH_INTERVAL_MS,
  KEYFRAME_REQUEST_DELAY_MS,
  PUBLISHER_MIN_INTERVAL_MS,
  KeyframeFastPath,
  fastPathKeyframes,
  watchKeyframeRequests,
} from './keyframe-fast-path.ts';

const SSRC = 0x1234;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake VP8 publisher: 30 fps of one-packet frames; a keyframe after each PLI it receives. */
class FakePublisher {
  readonly socket = dgram.createSocket('udp4');
  readonly plis: number[] = [];
  #seq = 0;
  #keyframeWanted = true;
  #timer: ReturnType<typeof setInterval> | undefined;

  async start(port: number): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    this.socket.on('message', (msg) => {
      // RTCP PSFB (206) with FMT 1 = PLI (possibly inside a compound packet).
      for (let o = 0; o + 4 <= msg.length; ) {
        const fmt = msg[o]! & 0x1f;
        const pt = msg[o + 1]!;
        if (pt === 206 && fmt === 1) {
          this.plis.push(Date.now());
          this.#keyframeWanted = true;
        }
        o += (msg.readUInt16BE(o + 2) + 1) * 4;
      }
    });
    this.#timer = setInterval(() => this.#send(port), 33);
  }

  #send(port: number): void {
    const key = this.#keyframeWanted;
    this.#keyframeWanted = false;
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = 0x80 | 101; // marker, PT 101
    header.writeUInt16BE(this.#seq++ & 0xffff, 2);
    header.writeUInt32BE((this.#seq * 3000) >>> 0, 4);
    header.writeUInt32BE(SSRC, 8);
    // VP8 payload descriptor (S=1, PID 0), then the frame tag: keyframe (P=0) with start code and size, or delta.
    const payload = key
      ? Buffer.from([0x10, 0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0, 0, 0, 0])
      : Buffer.from([0x10, 0x31, 0x00, 0x00, 0, 0, 0, 0]);
    this.socket.send(Buffer.concat([header, payload]), port, '127.0.0.1');
  }

  plisSince(t: number): number[] {
    return this.plis.filter((p) => p >= t);
  }

  close(): void {
    clearInterval(this.#timer);
    this.socket.close();
  }
}

describe('keyframe requests', () => {
  let worker: types.Worker;
  let router: types.Router;
  let producer: types.Producer;
  let publisher: FakePublisher;
  const sinks: dgram.Socket[] = [];

  before(async () => {
    worker = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 42000, rtcMaxPort: 42999 });
    router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    const inbound = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: true,
    });
    producer = await inbound.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/VP8',
            payloadType: 101,
            clockRate: 90000,
            rtcpFeedback: [
              { type: 'nack', parameter: 'pli' },
              { type: 'ccm', parameter: 'fir' },
            ],
          },
        ],
        encodings: [{ ssrc: SSRC }],
      },
      keyFrameRequestDelay: KEYFRAME_REQUEST_DELAY_MS,
    });
    await watchKeyframeRequests(producer);
    publisher = new FakePublisher();
    await publisher.start(inbound.tuple.localPort);
    await sleep(300);
  });

  after(() => {
    publisher.close();
    for (const s of sinks) s.close();
    worker.close();
  });

  /** A paused consumer on a connected transport of its own (a subscriber). */
  async function newConsumer(): Promise<{ consumer: types.Consumer; transport: types.PlainTransport }> {
    const sink = dgram.createSocket('udp4');
    sinks.push(sink);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
    });
    await transport.connect({ ip: '127.0.0.1', port: sink.address().port });
    const consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
      paused: true,
    });
    return { consumer, transport };
  }

  /** Waits out the throttle window (and the merged request sent at its end) so each case starts cold. */
  const cool = () => sleep(2 * KEYFRAME_REQUEST_DELAY_MS + 100);

  it('throttles a PLI storm of existing consumers to one request per window', async () => {
    const { consumer } = await newConsumer();
    await consumer.resume();
    await cool();
    const start = Date.now();
    const durationMs = 2000;
    while (Date.now() - start < durationMs) {
      await consumer.requestKeyFrame();
      await sleep(10);
    }
    await sleep(50);
    const plis = publisher.plisSince(start);
    assert.ok(plis.length >= 2, `the storm still gets keyframes (${plis.length} PLIs)`);
    assert.ok(
      plis.length <= durationMs / KEYFRAME_REQUEST_DELAY_MS + 2,
      `at most one PLI per ${KEYFRAME_REQUEST_DELAY_MS} ms reached the publisher (${plis.length} in ${durationMs} ms)`,
    );
    consumer.close();
  });

  it('a new consumer waits out the throttle without the fast path', async () => {
    const { consumer: existing } = await newConsumer();
    await existing.resume();
    await cool();
    await existing.requestKeyFrame();
    await sleep(100);
    const { consumer } = await newConsumer();
    const resumedAt = Date.now();
    await consumer.resume();
    await sleep(KEYFRAME_REQUEST_DELAY_MS);
    const first = publisher.plisSince(resumedAt)[0];
    assert.ok(first !== undefined, 'a PLI came eventually');
    assert.ok(first - resumedAt >= 150, `merged into the pending request (${first - resumedAt} ms)`);
    existing.close();
    consumer.close();
  });

  it('with the fast path, a new consumer gets a keyframe as soon as the publisher honours one', async () => {
    const fastPath = new KeyframeFastPath();
    const { consumer: existing } = await newConsumer();
    await existing.resume();
    await cool();
    await existing.requestKeyFrame();
    const requestedAt = Date.now();
    await sleep(100);
    const { consumer, transport } = await newConsumer();
    const since = Date.now();
    await consumer.resume();
    fastPath.consumerResumed(consumer, producer, transport, since);
    await sleep(KEYFRAME_REQUEST_DELAY_MS);
    const first = publisher.plisSince(since)[0];
    assert.ok(first !== undefined, 'a PLI came');
    const after = first - requestedAt;
    assert.ok(
      after >= PUBLISHER_MIN_INTERVAL_MS - 20 && after < KEYFRAME_REQUEST_DELAY_MS - 40,
      `the PLI left ${after} ms after the previous one: not before the publisher honours it, well before the throttle`,
    );
    assert.equal(fastPathKeyframes(producer), 1);
    assert.equal(producer.paused, false, 'the producer runs again');

    // Re-consuming in a loop (a hostile subscriber) does not force more keyframes than once per interval.
    const forcedBefore = fastPathKeyframes(producer);
    const stormStart = Date.now();
    for (let i = 0; i < 10; i++) {
      const again = await newConsumer();
      const at = Date.now();
      await again.consumer.resume();
      fastPath.consumerResumed(again.consumer, producer, again.transport, at);
      await existing.requestKeyFrame();
      await sleep(100);
      again.consumer.close();
    }
    assert.equal(fastPathKeyframes(producer), forcedBefore, `no fast path within ${FAST_PATH_INTERVAL_MS} ms`);
    const plis = publisher.plisSince(stormStart);
    const elapsed = Date.now() - stormStart;
    assert.ok(
      plis.length <= elapsed / KEYFRAME_REQUEST_DELAY_MS + 2,
      `still throttled (${plis.length} PLIs in ${elapsed} ms)`,
    );
    existing.close();
    consumer.close();
  });

  it('does not force a keyframe when the request was not held back, nor for a muted producer', async () => {
    const fastPath = new KeyframeFastPath();
    await cool();
    const forced = fastPathKeyframes(producer);
    const { consumer, transport } = await newConsumer();
    const since = Date.now();
    await consumer.resume();
    fastPath.consumerResumed(consumer, producer, transport, since);
    await sleep(50);
    assert.equal(fastPathKeyframes(producer), forced, 'a cold throttle lets the request through by itself');
    assert.ok(publisher.plisSince(since).length >= 1);

    await producer.pause();
    const other = await newConsumer();
    const at = Date.now();
    await other.consumer.resume();
    fastPath.consumerResumed(other.consumer, producer, other.transport, at);
    await sleep(50);
    assert.equal(fastPathKeyframes(producer), forced, 'a muted producer is left alone');
    assert.equal(producer.paused, true);
    await producer.resume();
    consumer.close();
    other.consumer.close();
  });
});
