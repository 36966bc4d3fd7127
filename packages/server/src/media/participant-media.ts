/**
 * One participant's media: a send and a receive WebRTC transport, its producers and its consumers.
 * Owns their teardown (closing this closes the transports, which close producers and consumers).
 * Knows nothing of rooms or roles: the caller authorises first.
 */
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { ConclaveError, type MediaKind, type StreamType } from '@conclave/protocol';
import { KEYFRAME_REQUEST_DELAY_MS, KeyframeFastPath, watchKeyframeRequests } from './keyframe-fast-path.ts';
import type { RoomRouter } from './room-router.ts';

export { KEYFRAME_REQUEST_DELAY_MS };

type ParticipantMediaEvents = {
  /** A consumer ended because its producer or transport went away. */
  consumerclosed: [consumerId: string];
};

export interface TransportDescription {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
  sctpParameters?: types.SctpParameters;
}

export class ParticipantMedia extends EventEmitter<ParticipantMediaEvents> {
  readonly send: types.WebRtcTransport;
  readonly recv: types.WebRtcTransport;
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  /** The device's receive capabilities; consuming needs them. */
  rtpCapabilities: types.RtpCapabilities | undefined;
  readonly #room: RoomRouter;
  /** The producer each consumer receives (another participant's), for the keyframe fast path. */
  readonly #sources = new Map<string, types.Producer>();
  /** Consumers resumed at least once (only the first resume takes the keyframe fast path). */
  readonly #resumed = new Set<string>();
  readonly #keyframes = new KeyframeFastPath();
  #idleConsumer: types.DataConsumer | undefined;

  private constructor(room: RoomRouter, send: types.WebRtcTransport, recv: types.WebRtcTransport) {
    super();
    this.#room = room;
    this.send = send;
    this.recv = recv;
  }

  static async create(room: RoomRouter, appData: Record<string, unknown>): Promise<ParticipantMedia> {
    const send = await room.createTransport({ ...appData, direction: 'send' });
    try {
      const recv = await room.createTransport({ ...appData, direction: 'recv' });
      return new ParticipantMedia(room, send, recv);
    } catch (error) {
      send.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.send.closed && this.recv.closed;
  }

  static describe(t: types.WebRtcTransport): TransportDescription {
    return {
      id: t.id,
      iceParameters: t.iceParameters,
      iceCandidates: t.iceCandidates,
      dtlsParameters: t.dtlsParameters,
      ...(t.sctpParameters ? { sctpParameters: t.sctpParameters } : {}),
    };
  }

  transport(transportId: string): types.WebRtcTransport {
    if (transportId === this.send.id) return this.send;
    if (transportId === this.recv.id) return this.recv;
    throw new ConclaveError('NOT_FOUND', 'no such transport in this session');
  }

  async connect(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.transport(transportId).connect({ dtlsParameters });
  }

  async restartIce(transportId: string): Promise<types.IceParameters> {
    return this.transport(transportId).restartIce();
  }

  async produce(
    transportId: string,
    kind: MediaKind,
    rtpParameters: types.RtpParameters,
    appData: { userId: string; streamType: StreamType },
  ): Promise<types.Producer> {
    if (transportId !== this.send.id) throw new ConclaveError('NOT_FOUND', 'produce needs the send transport');
    const producer = await this.send.produce({
      kind,
      rtpParameters,
      appData,
      ...(kind === 'video' ? { keyFrameRequestDelay: KEYFRAME_REQUEST_DELAY_MS } : {}),
    });
    this.producers.set(producer.id, producer);
    producer.observer.once('close', () => this.producers.delete(producer.id));
    await watchKeyframeRequests(producer).catch(() => undefined);
    return producer;
  }

  producer(producerId: string): types.Producer {
    const producer = this.producers.get(producerId);
    if (!producer) throw new ConclaveError('NOT_FOUND', 'no such producer in this session');
    return producer;
  }

  /** Creates a paused consumer (the client resumes it once its side exists, so no early packets are lost). */
  async consume(producer: types.Producer, small: boolean): Promise<types.Consumer> {
    const caps = this.rtpCapabilities;
    if (!caps || !this.#room.canConsume(producer.id, caps)) throw new ConclaveError('MEDIA_CANNOT_CONSUME');
    const simulcast = producer.type === 'simulcast';
    const consumer = await this.recv.consume({
      producerId: producer.id,
      rtpCapabilities: caps,
      paused: true,
      ...(simulcast ? { preferredLayers: { spatialLayer: small ? 0 : 2 } } : {}),
      appData: { ...producer.appData },
    });
    this.consumers.set(consumer.id, consumer);
    this.#sources.set(consumer.id, producer);
    consumer.observer.once('close', () => {
      this.#sources.delete(consumer.id);
      this.#resumed.delete(consumer.id);
    });
    const gone = (): void => {
      if (this.consumers.delete(consumer.id)) this.emit('consumerclosed', consumer.id);
    };
    consumer.once('producerclose', gone);
    consumer.once('transportclose', gone);
    return consumer;
  }

  consumer(consumerId: string): types.Consumer {
    const consumer = this.consumers.get(consumerId);
    if (!consumer) throw new ConclaveError('NOT_FOUND', 'no such consumer in this session');
    return consumer;
  }

  /**
   * Resumes a consumer once the client's side exists. The first resume of a video consumer takes the keyframe
   * fast path (see keyframe-fast-path.ts) so the first picture does not wait out the PLI throttle.
   */
  async resumeConsumer(consumerId: string): Promise<void> {
    const consumer = this.consumer(consumerId);
    const first = !this.#resumed.has(consumerId);
    this.#resumed.add(consumerId);
    const since = Date.now();
    await consumer.resume();
    const source = this.#sources.get(consumerId);
    if (first && source) this.#keyframes.consumerResumed(consumer, source, this.recv, since);
  }

  /** The idle data consumer that connects the receive transport early (one per session). */
  async connectReceiver(): Promise<types.DataConsumer> {
    if (this.#idleConsumer && !this.#idleConsumer.closed) return this.#idleConsumer;
    const dataProducer = await this.#room.idleDataProducer();
    this.#idleConsumer = await this.recv.consumeData({ dataProducerId: dataProducer.id });
    return this.#idleConsumer;
  }

  /** `small` picks the lowest simulcast layer; otherwise the highest the bandwidth allows. */
  async setLayer(consumerId: string, small: boolean): Promise<void> {
    const consumer = this.consumer(consumerId);
    if (consumer.type !== 'simulcast') return;
    await consumer.setPreferredLayers({ spatialLayer: small ? 0 : 2 });
  }

  closeConsumer(consumerId: string): void {
    const consumer = this.consumer(consumerId);
    this.consumers.delete(consumerId);
    consumer.close();
  }

  /**
   * The receive transport's statistics for telemetry (its send bitrate and available outgoing bitrate as
   * mediasoup reports them). One worker request: the server sample reads nothing of the send transport.
   */
  async stats(): Promise<{ recv: types.WebRtcTransportStat[] }> {
    return { recv: await this.recv.getStats() };
  }

  close(): void {
    this.send.close();
    this.recv.close();
    this.producers.clear();
    this.consumers.clear();
  }
}
