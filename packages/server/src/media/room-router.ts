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
}

type RoomRouterEvents = { workerclose: []; close: [] };

export class RoomRouter extends EventEmitter<RoomRouterEvents> {
  readonly router: types.Router;
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
    const { listenIp, announcedAddress } = this.#network;
    const info = (protocol: 'udp' | 'tcp'): types.TransportListenInfo => ({
      protocol,
      ip: listenIp,
      ...(announcedAddress ? { announcedAddress } : {}),
    });
    return this.router.createWebRtcTransport({
      listenInfos: [info('udp'), info('tcp')],
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      iceConsentTimeout: 30,
      appData,
    });
  }

  canConsume(producerId: string, rtpCapabilities: types.RtpCapabilities): boolean {
    return this.router.canConsume({ producerId, rtpCapabilities });
  }

  close(): void {
    this.router.close();
  }
}
