/**
 * A room's mediasoup router, on the least-loaded worker. Owns the router's teardown; tells its owner when the
 * worker underneath died (`workerclose`), so the room can reset its participants instead of hanging.
 */
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from './codecs.ts';
import type { WorkerPool } from './worker-pool.ts';

/** Where transports listen and what address they announce to clients. */
export interface MediaNetwork {
  listenIp: string;
  announcedAddress?: string | undefined;
  /** ICE over UDP (default true); TCP candidates are always offered as the fallback for networks without UDP. */
  enableUdp?: boolean | undefined;
}

type RoomRouterEvents = { workerclose: []; close: [] };

export class RoomRouter extends EventEmitter<RoomRouterEvents> {
  readonly router: types.Router;
  #idle: Promise<types.DataProducer> | undefined;
  readonly #network: MediaNetwork;

  private constructor(router: types.Router, network: MediaNetwork) {
    super();
    this.router = router;
    this.#network = network;
    router.once('workerclose', () => this.emit('workerclose'));
    router.observer.once('close', () => this.emit('close'));
  }

  static async create(pool: WorkerPool, network: MediaNetwork, appData: Record<string, unknown>): Promise<RoomRouter> {
    const router = await pool.createRouter({ mediaCodecs: MEDIA_CODECS, appData });
    return new RoomRouter(router, network);
  }

  get closed(): boolean {
    return this.router.closed;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  /** A WebRTC transport for one direction of one participant (UDP preferred, TCP fallback). */
  createTransport(appData: Record<string, unknown>): Promise<types.WebRtcTransport> {
    const { listenIp, announcedAddress, enableUdp = true } = this.#network;
    const info = (protocol: 'udp' | 'tcp'): types.TransportListenInfo => ({
      protocol,
      ip: listenIp,
      ...(announcedAddress ? { announcedAddress } : {}),
    });
    return this.router.createWebRtcTransport({
      listenInfos: enableUdp ? [info('udp'), info('tcp')] : [info('tcp')],
      enableUdp,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      iceConsentTimeout: 30,
      // A receive transport carries one idle data channel, opened at join so it connects before any media.
      ...(appData['direction'] === 'recv' ? { enableSctp: true, numSctpStreams: { OS: 16, MIS: 16 } } : {}),
      appData,
    });
  }

  /**
   * The room's idle data producer (on a direct transport, never sending): every receive transport consumes it
   * so that its ICE and DTLS are up before the first remote stream. Made on first use.
   */
  idleDataProducer(): Promise<types.DataProducer> {
    this.#idle ??= this.router
      .createDirectTransport({ maxMessageSize: 1024, appData: { purpose: 'idle-data' } })
      .then((transport) => transport.produceData({ label: 'conclave-idle' }));
    this.#idle.catch(() => (this.#idle = undefined));
    return this.#idle;
  }

  canConsume(producerId: string, rtpCapabilities: types.RtpCapabilities): boolean {
    return this.router.canConsume({ producerId, rtpCapabilities });
  }

  close(): void {
    this.router.close();
  }
}
