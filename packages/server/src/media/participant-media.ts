/**
 * One participant's media: a send and a receive WebRTC transport, its producers and its consumers.
 * Owns their teardown (closing this closes the transports, which close producers and consumers).
 * Knows nothing of rooms or roles: the caller authorises first.
 */
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { ConclaveError, type MediaKind, type StreamType } from '@conclave/protocol';
import type { RoomRouter } from './room-router.ts';

/**
 * The SFU asks a publisher for a keyframe at most once per this many ms, however many subscribers ask
 * (PLI/FIR throttling: a receiver that cannot decode, e.g. without the E2EE key, must not flood the sender).
 */
export const KEYFRAME_REQUEST_DELAY_MS = 500;

type ParticipantMediaEvents = {
  /** A consumer ended because its producer or transport went away. */
  consumerclosed: [consumerId: string];
};

export interface TransportDescription {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

export class ParticipantMedia extends EventEmitter<ParticipantMediaEvents> {
  readonly send: types.WebRtcTransport;
  readonly recv: types.WebRtcTransport;
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  /** The device's receive capabilities; consuming needs them. */
  rtpCapabilities: types.RtpCapabilities | undefined;
  readonly #room: RoomRouter;

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

  /** Transport statistics for telemetry (bytes, bitrate, RTT, packet loss as mediasoup reports them). */
  async stats(): Promise<{ send: types.WebRtcTransportStat[]; recv: types.WebRtcTransportStat[] }> {
    const [send, recv] = await Promise.all([this.send.getStats(), this.recv.getStats()]);
    return { send, recv };
  }

  close(): void {
    this.send.close();
    this.recv.close();
    this.producers.clear();
    this.consumers.clear();
  }
}
