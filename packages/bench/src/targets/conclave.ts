/**
 * Conclave as a system under test: started as its own process (dev mode, temporary data dir, loopback), so the
 * bench counts its Node CPU beside the media worker's and apart from its own driver; participants join through
 * the real `/signal` WebSocket with real UserSigs and publish/consume through it. The soak starts it in-process
 * instead (`inProcess`), because it watches the worker pool's events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig, startConclave, type ConclaveServer, type ConfigInput } from '@conclave/server';
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
  /** Start the server in this process (the soak, which watches the worker pool); default: its own process. */
  inProcess?: boolean;
}

const SERVER_PROCESS = fileURLToPath(new URL('./conclave-process.ts', import.meta.url));
/** How long the server process may take to start (tsx compiles on the way). */
const START_TIMEOUT_MS = 60_000;

/** Where the server runs: in this process, or a child whose pids the bench measures. */
interface ServerHost {
  url: string;
  nodePid: number;
  workerPids: number[];
  /** Only in-process. */
  server?: ConclaveServer;
  close(): Promise<void>;
}

export class ConclaveTarget implements SystemUnderTest {
  readonly name = 'conclave' as const;
  readonly #host: ServerHost;
  readonly #ctx: ConclaveContext;
  /** The temporary data directory this target made (deleted at close), or undefined for an attached server. */
  readonly #dataDir: string | undefined;
  readonly #app: { sdkAppId: number; secretKey: string };
  readonly #scene: 'live' | 'rtc';
  /** Users who will publish: they join as anchors. */
  readonly anchors = new Set<string>();

  private constructor(
    host: ServerHost,
    ctx: ConclaveContext,
    dataDir: string | undefined,
    app: { sdkAppId: number; secretKey: string },
    scene: 'live' | 'rtc',
  ) {
    this.#host = host;
    this.#ctx = ctx;
    this.#dataDir = dataDir;
    this.#app = app;
    this.#scene = scene;
  }

  static async start(ctx: ConclaveContext, options: ConclaveTargetOptions): Promise<ConclaveTarget> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-bench-'));
    const overrides: ConfigInput = {
      dev: true,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      media: { workers: options.workers, rtcMinPort: options.ports.min, rtcMaxPort: options.ports.max },
      // Every simulated participant comes from 127.0.0.1: lift the per-IP connection rate and open count for the bench.
      signaling: { connectionsPerIpPerMinute: 100_000, connectionsPerIp: 100_000 },
      rooms: { rtcMaxUsers: 100_000, rtcMaxPublishers: 1000, liveMaxAnchors: 1000 },
    };
    let host: ServerHost;
    try {
      host = options.inProcess === true ? await startInProcess(overrides) : await startProcess(overrides);
    } catch (err) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
    // Dev mode wrote its generated app key here (packages/server/src/dev-keys.ts).
    const keys = JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-keys.json'), 'utf8')) as {
      sdkAppId: number;
      secretKey: string;
    };
    return new ConclaveTarget(host, ctx, dataDir, keys, options.scene);
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
    const host: ServerHost = {
      url: server.url,
      nodePid: process.pid,
      get workerPids() {
        return server.workers.workers.map((w) => w.pid);
      },
      server,
      close: () => Promise.resolve(),
    };
    return new ConclaveTarget(host, ctx, undefined, app, scene);
  }

  /** The in-process server (only with `inProcess`). */
  get server(): ConclaveServer {
    if (!this.#host.server) throw new Error('this Conclave target runs in its own process');
    return this.#host.server;
  }

  /** The media workers' pids. */
  get workerPids(): number[] {
    return this.#host.workerPids;
  }

  /** The Node server process's pid (this process when in-process). */
  get nodePid(): number {
    return this.#host.nodePid;
  }

  /** The media workers and, when it runs in its own process, the Node server (signaling, rooms, telemetry). */
  processes(): MeasuredProcess[] {
    const workers = this.#host.workerPids.map((pid) => ({ label: `worker ${pid}`, pid, role: 'worker' as const }));
    if (this.#host.server) return workers;
    return [...workers, { label: `node ${this.#host.nodePid}`, pid: this.#host.nodePid, role: 'node' as const }];
  }

  /** A UserSig of the dev app, as a customer's backend would sign it. */
  userSig(userId: string): string {
    return generateUserSig({ ...this.#app, userId, expireSeconds: 3600 });
  }

  /** Opens the signaling socket and joins; the time measured is what a client waits for its answer. */
  async signalJoin(userId: string, role: 'anchor' | 'audience'): Promise<{ client: SignalClient; answer: JoinAnswer }> {
    const client = await SignalClient.connect(this.#host.url);
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
    await this.#host.close();
    if (this.#dataDir === undefined) return;
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

async function startInProcess(overrides: ConfigInput): Promise<ServerHost> {
  const server = await startConclave(
    loadConfig({ env: {}, overrides }),
    createLogger(process.env.CONCLAVE_BENCH_LOG ?? 'silent'),
  );
  return {
    url: server.url,
    nodePid: process.pid,
    workerPids: server.workers.workers.map((w) => w.pid),
    server,
    close: () => server.close(),
  };
}

/** Starts `conclave-process.ts` and waits for its `{url, workerPids}` line; kills it if it does not come. */
async function startProcess(overrides: ConfigInput): Promise<ServerHost> {
  // CONCLAVE_BENCH_SERVER_ARGS: extra Node flags for the server alone, e.g. `--cpu-prof --cpu-prof-dir=prof`.
  const extra = (process.env.CONCLAVE_BENCH_SERVER_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', SERVER_PROCESS], {
    env: { ...process.env, CONCLAVE_BENCH_OVERRIDES: JSON.stringify(overrides) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const kill = async (): Promise<void> => {
    if (running()) child.kill('SIGKILL');
    if (running()) await exited;
  };
  try {
    const ready = await readReady(child);
    return {
      ...ready,
      nodePid: child.pid!,
      async close() {
        if (!running()) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => void kill(), 10_000);
        await exited;
        clearTimeout(timer);
      },
    };
  } catch (err) {
    await kill();
    throw err;
  }
}

function readReady(child: ChildProcess): Promise<{ url: string; workerPids: number[] }> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error('the Conclave server process did not start in time')),
      START_TIMEOUT_MS,
    );
    const fail = (): void => {
      clearTimeout(timer);
      reject(new Error(`the Conclave server process exited (code ${child.exitCode}, signal ${child.signalCode})`));
    };
    child.once('exit', fail);
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', fail);
      try {
        resolve(JSON.parse(line) as { url: string; workerPids: number[] });
      } catch {
        reject(new Error(`unexpected line from the Conclave server process: ${line.slice(0, 200)}`));
      }
    });
  });
}
