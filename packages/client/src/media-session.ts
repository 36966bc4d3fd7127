/**
 * The media plane of one signaling session: a mediasoup-client Device loaded with the room router's
 * capabilities, one send and one receive transport, and the producers and consumers on them. Closing the
 * session closes its transports, which closes every producer and consumer (local tracks survive: producers
 * are created with `stopTracks: false`). A reconnection that keeps the server-side transports keeps the
 * session; one that does not builds a new session.
 */
import { Device, type types as ms } from 'mediasoup-client';
import type {
  JoinAnswer,
  RemoteStream,
  RequestInput,
  RequestMethod,
  ResponseData,
  TransportOptions,
} from '@conclave/protocol';
import { Emitter } from './emitter.ts';
import type { Logger } from './logger.ts';
import type { TRTCStreamType } from './constants.ts';

/** Sends a signaling request on whatever socket is current. */
export type Requester = <M extends RequestMethod>(method: M, data: RequestInput<M>) => Promise<ResponseData[M]>;

/** What a local producer carries: main audio, main video (camera) or the sub stream (screen). */
export type PublishSlot = 'audio' | 'video' | 'sub';

/** How to publish one local track. */
export interface PublishRequest {
  slot: PublishSlot;
  track: MediaStreamTrack;
  /** kbps ceiling of the (big) encoding. */
  maxBitrateKbps?: number;
  maxFramerate?: number;
  /** Adds a small layer scaled down by this factor with this kbps ceiling (VP8 simulcast). */
  small?: { scaleResolutionDownBy: number; maxBitrateKbps: number };
  paused?: boolean;
}

/**
 * End-to-end encryption as the media session needs it (implemented by `RoomE2ee`): transforms installed on
 * every sender before its first SDP and on every receiver before its consumer is resumed.
 */
export interface MediaEncryption {
  /** Extra RTCPeerConnection settings (the legacy encoded-streams API needs a flag). */
  readonly peerConnectionSettings: Partial<RTCConfiguration> | undefined;
  /** The router capabilities the Device loads (E2EE leaves out the audio-level header extension). */
  routerCapabilities(caps: ms.RtpCapabilities): ms.RtpCapabilities;
  encryptSender(sender: RTCRtpSender, codec: 'vp8' | 'opus'): void;
  decryptReceiver(receiver: RTCRtpReceiver, participantId: string, mimeType: string): void;
}

/** A consumer with the remote stream it carries. */
export interface RemoteConsumer {
  consumer: ms.Consumer;
  stream: RemoteStream;
  small: boolean;
}

/** Events of a {@link MediaSession}. */
export type MediaSessionEvents = {
  /** ICE restart failed; the session cannot carry media any more. */
  failed: [direction: 'send' | 'recv', error: unknown];
  /** A transport's connection state changed (for NETWORK_QUALITY's disconnected state). */
  connectionState: [direction: 'send' | 'recv', state: string];
};

/** How the transports reach the SFU. */
export interface MediaNetworkOptions {
  /** `'relay'`: only through the TURN servers of the join answer (tests of restrictive networks). */
  iceTransportPolicy?: 'all' | 'relay';
}

/** Device + transports + producers + consumers of one session. */
export class MediaSession extends Emitter<MediaSessionEvents> {
  readonly device: Device;
  readonly sendTransport: ms.Transport;
  readonly recvTransport: ms.Transport;
  readonly #request: Requester;
  readonly #log: Logger;
  readonly #producers = new Map<PublishSlot, ms.Producer>();
  readonly #consumers = new Map<string, RemoteConsumer>();
  readonly #encryption: MediaEncryption | undefined;
  /** Whether the server's receive transport offers the idle data channel of `connectReceiver`. */
  readonly #receiverHasDataChannel: boolean;
  #closed = false;

  private constructor(
    device: Device,
    answer: JoinAnswer,
    request: Requester,
    log: Logger,
    encryption: MediaEncryption | undefined,
    network: MediaNetworkOptions,
  ) {
    super();
    this.device = device;
    this.#request = request;
    this.#log = log;
    this.#encryption = encryption;
    this.#receiverHasDataChannel = answer.recvTransport.sctpParameters !== undefined;
    // TURN relays from the join answer reach the SFU from networks that cannot reach it directly.
    const common = {
      additionalSettings: encryption?.peerConnectionSettings,
      iceServers: (answer.iceServers ?? []).map((s) => ({
        urls: s.urls,
        username: s.username,
        credential: s.credential,
      })),
      iceTransportPolicy: network.iceTransportPolicy ?? 'all',
    };
    this.sendTransport = device.createSendTransport({ ...transportOptions(answer.sendTransport), ...common });
    this.recvTransport = device.createRecvTransport({ ...transportOptions(answer.recvTransport), ...common });
    for (const transport of [this.sendTransport, this.recvTransport]) this.#wireTransport(transport);
  }

  /**
   * Loads a Device with the router's capabilities, tells the server what this browser can receive and
   * creates the transports of `answer`. Throws mediasoup-client's `UnsupportedError` in an unsupported browser.
   * With `encryption`, every producer and consumer is end-to-end encrypted.
   */
  static async create(
    answer: JoinAnswer,
    request: Requester,
    log: Logger,
    encryption?: MediaEncryption,
    network: MediaNetworkOptions = {},
  ): Promise<MediaSession> {
    const device = new Device();
    const routerCaps = answer.routerRtpCapabilities as unknown as ms.RtpCapabilities;
    await device.load({ routerRtpCapabilities: encryption ? encryption.routerCapabilities(routerCaps) : routerCaps });
    await request('setRtpCapabilities', {
      rtpCapabilities: device.rtpCapabilities as unknown as Record<string, unknown>,
    });
    const session = new MediaSession(device, answer, request, log, encryption, network);
    void session.#connectReceiver();
    return session;
  }

  /**
   * Opens the idle data channel of the receive transport now, so its ICE and DTLS are done before the first
   * remote stream arrives (otherwise the first consume waits for them). Best effort: media works without it.
   */
  async #connectReceiver(): Promise<void> {
    if (!this.#receiverHasDataChannel) return;
    try {
      const idle = await this.#request('connectReceiver', {});
      if (this.#closed) return;
      const channel = await this.recvTransport.consumeData({
        id: idle.dataConsumerId,
        dataProducerId: idle.dataProducerId,
        sctpStreamParameters: idle.sctpStreamParameters as unknown as ms.SctpStreamParameters,
        label: idle.label,
        protocol: idle.protocol,
      });
      if (this.#closed) channel.close();
    } catch (err) {
      this.#log.debug('receive transport not connected early', { error: String(err) });
    }
  }

  /** Whether the transports are the ones of `answer` (a resume that kept the server-side session). */
  matches(answer: JoinAnswer): boolean {
    return this.sendTransport.id === answer.sendTransport.id && this.recvTransport.id === answer.recvTransport.id;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The producer of a slot, if published. */
  producer(slot: PublishSlot): ms.Producer | undefined {
    return this.#producers.get(slot);
  }

  /** Consumers by producerId. */
  get consumers(): ReadonlyMap<string, RemoteConsumer> {
    return this.#consumers;
  }

  /**
   * Publishes a track (VP8 for video; simulcast when `small` is set); the server may refuse (e.g. audience).
   * With encryption, the sender gets its transform before any SDP exists, so no frame leaves unencrypted.
   */
  async publish(req: PublishRequest): Promise<ms.Producer> {
    this.#assertOpen();
    const streamType: TRTCStreamType = req.slot === 'sub' ? 'sub' : 'main';
    let encodings: RTCRtpEncodingParameters[] | undefined;
    const e2eeCodec = req.track.kind === 'video' ? 'vp8' : 'opus';
    const codec = this.device.rtpCapabilities.codecs?.find(
      (c) => c.mimeType.toLowerCase() === `${req.track.kind}/${e2eeCodec}`,
    );
    if (this.#encryption && !codec) throw new Error(`end-to-end encryption needs ${e2eeCodec}, which is unavailable`);
    if (req.track.kind === 'video') {
      const big: RTCRtpEncodingParameters = {};
      if (req.maxBitrateKbps) big.maxBitrate = req.maxBitrateKbps * 1000;
      if (req.maxFramerate) big.maxFramerate = req.maxFramerate;
      encodings = req.small
        ? [
            {
              rid: 'r0',
              scaleResolutionDownBy: req.small.scaleResolutionDownBy,
              maxBitrate: req.small.maxBitrateKbps * 1000,
            },
            { rid: 'r1', scaleResolutionDownBy: 1, ...big },
          ]
        : [big];
    } else if (req.maxBitrateKbps) {
      encodings = [{ maxBitrate: req.maxBitrateKbps * 1000 }];
    }
    const encryption = this.#encryption;
    const producer = await this.sendTransport.produce({
      track: req.track,
      encodings,
      codec,
      ...(encryption ? { onRtpSender: (sender: RTCRtpSender) => encryption.encryptSender(sender, e2eeCodec) } : {}),
      stopTracks: false,
      zeroRtpOnPause: true,
      disableTrackOnPause: false,
      appData: { streamType, slot: req.slot },
      ...(req.track.kind === 'audio' ? { codecOptions: { opusStereo: false, opusDtx: true } } : {}),
    });
    if (this.#closed) {
      producer.close();
      throw new Error('the media session closed while publishing');
    }
    this.#producers.set(req.slot, producer);
    producer.on('transportclose', () => this.#producers.delete(req.slot));
    if (req.paused) await this.setProducerPaused(req.slot, true);
    return producer;
  }

  /** Stops publishing a slot. */
  async unpublish(slot: PublishSlot): Promise<void> {
    const producer = this.#producers.get(slot);
    if (!producer) return;
    this.#producers.delete(slot);
    producer.close();
    if (!this.#closed) await this.#request('closeProducer', { producerId: producer.id }).catch(() => undefined);
  }

  /** Pauses (mute) or resumes a published slot, locally and on the server. */
  async setProducerPaused(slot: PublishSlot, paused: boolean): Promise<void> {
    const producer = this.#producers.get(slot);
    if (!producer || producer.paused === paused) return;
    if (paused) producer.pause();
    else producer.resume();
    await this.#request(paused ? 'pauseProducer' : 'resumeProducer', { producerId: producer.id });
  }

  /** Receives a remote stream: the server creates the consumer paused; it is resumed once ours exists. */
  async consume(stream: RemoteStream, small: boolean): Promise<RemoteConsumer> {
    this.#assertOpen();
    const answer = await this.#request('consume', { producerId: stream.producerId, small });
    const rtpParameters = answer.rtpParameters as unknown as ms.RtpParameters;
    const encryption = this.#encryption;
    const mimeType = rtpParameters.codecs[0]?.mimeType ?? '';
    const consumer = await this.recvTransport.consume({
      id: answer.consumerId,
      producerId: answer.producerId,
      kind: answer.kind,
      rtpParameters,
      appData: { userId: stream.userId, streamType: stream.streamType },
      // The server's consumer is paused until resumeConsumer below: no frame arrives before the transform.
      ...(encryption
        ? {
            onRtpReceiver: (receiver: RTCRtpReceiver) => encryption.decryptReceiver(receiver, stream.userId, mimeType),
          }
        : {}),
    });
    if (this.#closed) {
      consumer.close();
      throw new Error('the media session closed while consuming');
    }
    const entry: RemoteConsumer = { consumer, stream, small };
    this.#consumers.set(stream.producerId, entry);
    consumer.on('transportclose', () => this.#consumers.delete(stream.producerId));
    await this.#request('resumeConsumer', { consumerId: consumer.id });
    return entry;
  }

  /** Stops receiving a remote stream. */
  async unconsume(producerId: string): Promise<void> {
    const entry = this.#consumers.get(producerId);
    if (!entry) return;
    this.#consumers.delete(producerId);
    entry.consumer.close();
    if (!this.#closed) await this.#request('closeConsumer', { consumerId: entry.consumer.id }).catch(() => undefined);
  }

  /** The server closed a consumer (its producer went away): forget it locally. */
  handleConsumerClosed(consumerId: string): string | undefined {
    for (const [producerId, entry] of this.#consumers) {
      if (entry.consumer.id !== consumerId) continue;
      this.#consumers.delete(producerId);
      entry.consumer.close();
      return producerId;
    }
    return undefined;
  }

  /** Forgets a consumer locally only (its stream is gone; the server has closed it already). */
  dropConsumer(producerId: string): void {
    const entry = this.#consumers.get(producerId);
    if (!entry) return;
    this.#consumers.delete(producerId);
    entry.consumer.close();
  }

  /** Picks the small or big simulcast layer of a consumed main video. */
  async setConsumerLayer(producerId: string, small: boolean): Promise<void> {
    const entry = this.#consumers.get(producerId);
    if (!entry || entry.small === small) return;
    await this.#request('setConsumerLayer', { consumerId: entry.consumer.id, small });
    entry.small = small;
  }

  /** Closes both transports (and so every producer and consumer). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.sendTransport.close();
    this.recvTransport.close();
    this.#producers.clear();
    this.#consumers.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the media session is closed');
  }

  #wireTransport(transport: ms.Transport): void {
    const direction = transport.direction;
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#request('connectTransport', {
        transportId: transport.id,
        dtlsParameters: dtlsParameters as unknown as Record<string, unknown>,
      })
        .then(() => callback())
        .catch((err: Error) => errback(err));
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const streamType = appData['streamType'] === 'sub' ? 'sub' : 'main';
        this.#request('produce', {
          transportId: transport.id,
          kind,
          streamType,
          rtpParameters: rtpParameters as unknown as Record<string, unknown>,
        })
          .then(({ producerId }) => callback({ id: producerId }))
          .catch((err: Error) => errback(err));
      });
    }
    transport.on('connectionstatechange', (state) => {
      this.#log.debug('transport state', { direction, state });
      this.emit('connectionState', direction, state);
      if (state === 'failed' && !this.#closed) void this.#restartIce(transport);
    });
  }

  async #restartIce(transport: ms.Transport): Promise<void> {
    this.#log.warn('ICE failed; restarting', { direction: transport.direction });
    try {
      const { iceParameters } = await this.#request('restartIce', { transportId: transport.id });
      await transport.restartIce({ iceParameters: iceParameters as unknown as ms.IceParameters });
    } catch (err) {
      if (!this.#closed) this.emit('failed', transport.direction, err);
    }
  }
}

function transportOptions(t: TransportOptions): ms.TransportOptions {
  return {
    id: t.id,
    iceParameters: t.iceParameters as unknown as ms.IceParameters,
    iceCandidates: t.iceCandidates as unknown as ms.IceCandidate[],
    dtlsParameters: t.dtlsParameters as unknown as ms.DtlsParameters,
    ...(t.sctpParameters ? { sctpParameters: t.sctpParameters as unknown as ms.SctpParameters } : {}),
  };
}
