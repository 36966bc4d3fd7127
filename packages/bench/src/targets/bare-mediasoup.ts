/**
 * The same load on a bare mediasoup router: transports, producers and consumers created directly, with the
 * settings Conclave uses (codecs, transport options, keyframe-request delay) and none of its signaling,
 * rooms or telemetry. The difference to Conclave is Conclave's overhead.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { monotonicUs } from '../native/media-peer.ts';
import { connectSession } from './mediasoup-session.ts';
import {
  PEER_RTP_CAPABILITIES,
  peerRtpParameters,
  randomSsrc,
  mediaVariant,
  streamSlots,
  type BenchParticipant,
  type MediaKind,
  type MeasuredProcess,
  type SystemUnderTest,
  type TargetContext,
} from './target.ts';

// Conclave's router codecs (packages/server/src/media/codecs.ts), repeated so both routers negotiate the same.
const MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
];

export class BareMediasoup implements SystemUnderTest {
  readonly name = 'mediasoup' as const;
  readonly #worker: types.Worker;
  readonly #router: types.Router;
  readonly #ctx: TargetContext;
  readonly #producers = new Map<string, types.Producer[]>();

  private constructor(worker: types.Worker, router: types.Router, ctx: TargetContext) {
    this.#worker = worker;
    this.#router = router;
    this.#ctx = ctx;
  }

  static async start(ctx: TargetContext, ports: { min: number; max: number }): Promise<BareMediasoup> {
    const worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: ports.min, rtcMaxPort: ports.max });
    const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    return new BareMediasoup(worker, router, ctx);
  }

  processes(): MeasuredProcess[] {
    return [{ label: `worker ${this.#worker.pid}`, pid: this.#worker.pid, role: 'worker' }];
  }

  async join(userId: string): Promise<BenchParticipant> {
    const joinStartUs = monotonicUs();
    const create = (): Promise<types.WebRtcTransport> =>
      this.#router.createWebRtcTransport({
        listenInfos: [
          { protocol: 'udp', ip: '127.0.0.1' },
          { protocol: 'tcp', ip: '127.0.0.1' },
        ],
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
        iceConsentTimeout: 30,
      });
    const [send, recv] = await Promise.all([create(), create()]);
    const joinMs = (monotonicUs() - joinStartUs) / 1000;
    const peer = this.#ctx.peer;
    const variant = mediaVariant(this.#ctx);
    const producers = this.#producers;
    let sendSid: number | undefined;
    let recvSid: number | undefined;
    const participant: BenchParticipant = {
      userId,
      joinStartUs,
      joinMs,
      sendSessions: [],
      receiveSessions: [],
      async publish(kinds: MediaKind[], simulcast: boolean) {
        sendSid ??= await connectSession(peer, send, (dtlsParameters) =>
          send.connect({ dtlsParameters: dtlsParameters as unknown as types.DtlsParameters }),
        );
        participant.sendSessions.push(sendSid);
        for (const kind of kinds) {
          const slots = streamSlots(kind, simulcast);
          const ssrcs = slots.map(randomSsrc);
          const producer = await send.produce({
            kind,
            rtpParameters: peerRtpParameters(kind, ssrcs, userId) as unknown as types.RtpParameters,
            ...(kind === 'video' ? { keyFrameRequestDelay: 1000 } : {}),
          });
          producers.set(userId, [...(producers.get(userId) ?? []), producer]);
          slots.forEach((slot, i) =>
            peer.publish(sendSid!, slot, variant, ssrcs[i]!, producer.rtpParameters.codecs[0]!.payloadType),
          );
        }
      },
      async subscribe(publishers: string[]) {
        recvSid ??= await connectSession(peer, recv, (dtlsParameters) =>
          recv.connect({ dtlsParameters: dtlsParameters as unknown as types.DtlsParameters }),
        );
        participant.receiveSessions.push(recvSid);
        let count = 0;
        for (const producer of publishers.flatMap((p) => producers.get(p) ?? [])) {
          const consumer = await recv.consume({
            producerId: producer.id,
            rtpCapabilities: PEER_RTP_CAPABILITIES as unknown as types.RtpCapabilities,
            paused: true,
            ...(producer.type === 'simulcast' ? { preferredLayers: { spatialLayer: 2 } } : {}),
          });
          await consumer.resume();
          count++;
        }
        return count;
      },
      async leave() {
        send.close();
        recv.close();
      },
    };
    return participant;
  }

  async close(): Promise<void> {
    this.#worker.close();
  }
}
