/**
 * Conclave as a system under test: started in-process (dev mode, temporary data dir, loopback), participants
 * join through the real `/signal` WebSocket with real UserSigs and publish/consume through it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, loadConfig, startConclave, type ConclaveServer } from '@conclave/server';
import { generateUserSig } from '@conclave/server/auth';
import type { JoinAnswer, RemoteStream } from '@conclave/protocol';
import { monotonicUs } from '../native/media-peer.ts';
import { connectSession } from './mediasoup-session.ts';
import { SignalClient } from './signal-client.ts';
import {
  PEER_RTP_CAPABILITIES,
  peerRtpParameters,
  randomSsrc,
  mediaVariant,
  streamSlots,
  PAYLOAD_TYPE,
  type BenchParticipant,
  type MediaKind,
  type MeasuredProcess,
  type SystemUnderTest,
  type TargetContext,
} from './target.ts';

/** The join-rate measurement starts Conclave without a media peer: it only signals. */
export type ConclaveContext = Omit<TargetContext, 'peer'> & { peer?: TargetContext['peer'] };

export interface ConclaveTargetOptions {
  workers: number;
  ports: { min: number; max: number };
  /** 'live' (anchors and audience) or 'rtc' (everyone an anchor). */
  scene: 'live' | 'rtc';
}

export class ConclaveTarget implements SystemUnderTest {
  readonly name = 'conclave' as const;
  readonly server: ConclaveServer;
  readonly #ctx: ConclaveContext;
  /** The temporary data directory this target made (deleted at close), or undefined for an attached server. */
  readonly #dataDir: string | undefined;
  readonly #app: { sdkAppId: number; secretKey: string };
  readonly #scene: 'live' | 'rtc';
  /** Users who will publish: they join as anchors. */
  readonly anchors = new Set<string>();

  private constructor(
    server: ConclaveServer,
    ctx: ConclaveContext,
    dataDir: string | undefined,
    app: { sdkAppId: number; secretKey: string },
    scene: 'live' | 'rtc',
  ) {
    this.server = server;
    this.#ctx = ctx;
    this.#dataDir = dataDir;
    this.#app = app;
    this.#scene = scene;
  }

  static async start(ctx: ConclaveContext, options: ConclaveTargetOptions): Promise<ConclaveTarget> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-bench-'));
    const config = loadConfig({
      env: {},
      overrides: {
        dev: true,
        dataDir,
        http: { host: '127.0.0.1', port: 0 },
        media: { workers: options.workers, rtcMinPort: options.ports.min, rtcMaxPort: options.ports.max },
        // Every simulated participant comes from 127.0.0.1: lift the per-IP connection rate for the bench.
        signaling: { connectionsPerIpPerMinute: 100_000 },
        rooms: { rtcMaxUsers: 100_000, rtcMaxPublishers: 1000, liveMaxAnchors: 1000 },
      },
    });
    const server = await startConclave(config, createLogger(process.env.CONCLAVE_BENCH_LOG ?? 'silent'));
    // Dev mode wrote its generated app key here (packages/server/src/dev-keys.ts).
    const keys = JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-keys.json'), 'utf8')) as {
      sdkAppId: number;
      secretKey: string;
    };
    return new ConclaveTarget(server, ctx, dataDir, keys, options.scene);
  }

  /**
   * Drives a server someone else started and will close (fault tests: a call with real media on a server whose
   * store or workers the test breaks). `close()` then closes nothing.
   */
  static attach(
    server: ConclaveServer,
    ctx: ConclaveContext,
    app: { sdkAppId: number; secretKey: string },
    scene: 'live' | 'rtc',
  ): ConclaveTarget {
    return new ConclaveTarget(server, ctx, undefined, app, scene);
  }

  processes(): MeasuredProcess[] {
    return this.server.workers.workers.map((w) => ({ label: `worker ${w.pid}`, pid: w.pid }));
  }

  /** A UserSig of the dev app, as a customer's backend would sign it. */
  userSig(userId: string): string {
    return generateUserSig({ ...this.#app, userId, expireSeconds: 3600 });
  }

  /** Opens the signaling socket and joins; the time measured is what a client waits for its answer. */
  async signalJoin(userId: string, role: 'anchor' | 'audience'): Promise<{ client: SignalClient; answer: JoinAnswer }> {
    const client = await SignalClient.connect(this.server.url);
    const answer = await client.request('join', {
      sdkAppId: this.#app.sdkAppId,
      userId,
      userSig: this.userSig(userId),
      roomId: this.#ctx.roomId,
      role,
      scene: this.#scene,
      rtpCapabilities: PEER_RTP_CAPABILITIES,
      sdkVersion: 'conclave-bench',
      // As the SDK joins with E2EE on; the room's first entrant makes it an E2EE room, which refuses plain joins.
      ...(this.#ctx.e2ee === true ? { e2ee: true, requireE2ee: true } : {}),
    });
    if (this.#ctx.e2ee === true && !answer.e2eeRequired) throw new Error('Conclave did not make the room an E2EE room');
    return { client, answer };
  }

  async join(userId: string): Promise<BenchParticipant> {
    const joinStartUs = monotonicUs();
    const role = this.#scene === 'rtc' || this.anchors.has(userId) ? 'anchor' : 'audience';
    const { client, answer } = await this.signalJoin(userId, role);
    const joinMs = (monotonicUs() - joinStartUs) / 1000;
    const peer = this.#ctx.peer;
    if (!peer) throw new Error('this Conclave target was started without a media peer (join-rate only)');
    const variant = mediaVariant(this.#ctx);
    let sendSid: number | undefined;
    let recvSid: number | undefined;
    const connect = (transportId: string) => (dtlsParameters: Record<string, unknown>) =>
      client.request('connectTransport', { transportId, dtlsParameters }).then(() => undefined);
    const participant: BenchParticipant = {
      userId,
      joinStartUs,
      joinMs,
      sendSessions: [],
      receiveSessions: [],
      async publish(kinds: MediaKind[], simulcast: boolean) {
        sendSid ??= await connectSession(peer, answer.sendTransport, connect(answer.sendTransport.id));
        participant.sendSessions.push(sendSid);
        for (const kind of kinds) {
          const slots = streamSlots(kind, simulcast);
          const ssrcs = slots.map(randomSsrc);
          await client.request('produce', {
            transportId: answer.sendTransport.id,
            kind,
            streamType: 'main',
            rtpParameters: peerRtpParameters(kind, ssrcs, userId),
          });
          slots.forEach((slot, i) => peer.publish(sendSid!, slot, variant, ssrcs[i]!, PAYLOAD_TYPE[kind]));
        }
      },
      async subscribe(publishers: string[]) {
        recvSid ??= await connectSession(peer, answer.recvTransport, connect(answer.recvTransport.id));
        participant.receiveSessions.push(recvSid);
        const wanted = new Set(publishers);
        const streams = [
          ...answer.streams,
          ...client.notifications.filter((n) => n.name === 'streamAdded').map((n) => n.data as RemoteStream),
        ].filter((s) => wanted.has(s.userId));
        for (const stream of streams) {
          const consumer = await client.request('consume', { producerId: stream.producerId, small: false });
          await client.request('resumeConsumer', { consumerId: consumer.consumerId });
        }
        return streams.length;
      },
      async leave() {
        await client.request('leave', {}).catch(() => undefined);
        client.close();
      },
    };
    return participant;
  }

  async close(): Promise<void> {
    if (this.#dataDir === undefined) return;
    await this.server.close();
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
  }
}
