/**
 * The recorder's receive path: one mediasoup PlainTransport per recording session, RTP and RTCP muxed on one
 * port, in comedia mode — the SFU sends to wherever the recorder's first packet came from, so no request ever
 * names an address the server would send media to (no reflection). Consumers on it carry VP8 and Opus only,
 * with NACK/PLI feedback so the recorder can ask for keyframes over RTCP. Media here is plain RTP (no SRTP): in
 * an E2EE room every frame is SFrame ciphertext; in a plain room, keep recorder and SFU on a trusted network.
 *
 * Comedia alone would let whoever reaches the port first become the destination. So the learned address must be
 * the recorder's own: the IP its signaling connection comes from (TCP, not spoofable). Any other first packet
 * closes the transport, and the recorder fails instead of someone else receiving the room.
 */
import type { types } from 'mediasoup';
import { ConclaveError } from '@conclave/protocol';
import type { MediaNetwork, RoomRouter } from './room-router.ts';

/** The codecs a recorder can write (VP8 into IVF/WebM, Opus into Ogg/WebM). */
const RECORDABLE = new Set(['video/vp8', 'audio/opus']);

/** Most consumers one recording session may hold (a large room's every stream, with room to spare). */
export const MAX_RECORDED_STREAMS = 64;

export class RecordingTransport {
  readonly transport: types.PlainTransport;
  readonly consumers = new Map<string, types.Consumer>();
  readonly #room: RoomRouter;
  readonly #capabilities: types.RtpCapabilities;

  private constructor(room: RoomRouter, transport: types.PlainTransport, capabilities: types.RtpCapabilities) {
    this.#room = room;
    this.transport = transport;
    this.#capabilities = capabilities;
  }

  /** `recorderIp`: the recorder's signaling address; the transport closes if its first packet comes from elsewhere. */
  static async open(
    room: RoomRouter,
    network: MediaNetwork,
    appData: Record<string, unknown>,
    recorderIp: string,
    onForeignSource: (remoteIp: string) => void,
  ) {
    const transport = await room.router.createPlainTransport({
      listenInfo: {
        protocol: 'udp',
        ip: network.listenIp,
        ...(network.announcedAddress ? { announcedAddress: network.announcedAddress } : {}),
      },
      rtcpMux: true,
      comedia: true,
      appData: { ...appData, purpose: 'recording' },
    });
    transport.once('tuple', (tuple) => {
      if (plainIp(tuple.remoteIp ?? '') !== plainIp(recorderIp)) {
        transport.close();
        onForeignSource(tuple.remoteIp ?? '');
      }
    });
    return new RecordingTransport(room, transport, recorderCapabilities(room.rtpCapabilities));
  }

  /** Where the recorder sends its first packet. */
  describe(): { transportId: string; ip: string; port: number } {
    const tuple = this.transport.tuple;
    return { transportId: this.transport.id, ip: tuple.localAddress || tuple.localIp, port: tuple.localPort };
  }

  /** Consumes `producer` (highest simulcast layer), sending at once; one consumer per producer. */
  async record(producer: types.Producer): Promise<types.Consumer> {
    const existing = [...this.consumers.values()].find((c) => c.producerId === producer.id);
    if (existing) return existing;
    if (this.consumers.size >= MAX_RECORDED_STREAMS)
      throw new ConclaveError('CONSUMER_LIMIT', undefined, { details: { limit: MAX_RECORDED_STREAMS } });
    if (!this.#room.canConsume(producer.id, this.#capabilities))
      throw new ConclaveError('MEDIA_CANNOT_CONSUME', 'the recorder writes VP8 and Opus only');
    const consumer = await this.transport.consume({
      producerId: producer.id,
      rtpCapabilities: this.#capabilities,
      paused: false,
      ...(producer.type === 'simulcast' ? { preferredLayers: { spatialLayer: 2 } } : {}),
      appData: { ...producer.appData },
    });
    this.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
    return consumer;
  }

  close(): void {
    this.transport.close();
    this.consumers.clear();
  }
}

/** The router's VP8 and Opus, with the feedback a recorder uses (NACK, PLI) and no header extensions. */
function recorderCapabilities(router: types.RtpCapabilities): types.RtpCapabilities {
  const codecs = (router.codecs ?? [])
    .filter((c) => RECORDABLE.has(c.mimeType.toLowerCase()))
    .map((c) => ({
      ...c,
      rtcpFeedback: c.kind === 'video' ? [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] : [],
    }));
  return { codecs, headerExtensions: [] };
}

/** An IPv4 address written as IPv4-mapped IPv6 (`::ffff:1.2.3.4`) compares as the IPv4 address. */
function plainIp(ip: string): string {
  return ip.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}
