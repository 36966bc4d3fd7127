/**
 * Test helpers that look at media the way the server sees it: a watch over every producer the SFU creates,
 * and a tap — a mediasoup PlainTransport consumer that sends one producer's RTP, as forwarded, unencrypted
 * by SRTP, to a local UDP port — read either by ffmpeg (how many frames decode?) or by a UDP socket (the raw
 * RTP payloads, i.e. the encoded frames of a one-packet-per-frame codec such as Opus).
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { WorkerPool } from '../media/worker-pool.ts';

/** A producer the SFU created, with the router it lives on. */
export interface WatchedProducer {
  router: types.Router;
  producer: types.Producer;
  /** The producer's appData (ParticipantMedia puts `userId` and `streamType` there). */
  userId: string | undefined;
  /** When the SFU created it (Unix ms). */
  createdAt: number;
}

/** Records every producer created on `workers` from now on. */
export class ProducerWatch {
  readonly #seen: WatchedProducer[] = [];

  constructor(workers: WorkerPool) {
    for (const worker of workers.workers) {
      worker.observer.on('newrouter', (router) =>
        router.observer.on('newtransport', (transport) =>
          transport.observer.on('newproducer', (producer) => {
            const userId = producer.appData['userId'];
            this.#seen.push({
              router,
              producer,
              userId: typeof userId === 'string' ? userId : undefined,
              createdAt: Date.now(),
            });
          }),
        ),
      );
    }
  }

  /**
   * Waits for a live producer of `userId` and `kind` created at or after `since` (a user who left an
   * earlier room may still have producers there during the reconnection grace period).
   */
  async waitFor(userId: string, kind: types.MediaKind, since = 0, timeoutMs = 15_000): Promise<WatchedProducer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#seen.find(
        (p) => p.userId === userId && p.producer.kind === kind && !p.producer.closed && p.createdAt >= since,
      );
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${kind} producer of ${userId} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A PlainTransport consumer forwarding one producer's RTP to 127.0.0.1:`port` (RTCP to `port + 1`). */
export class ProducerTap {
  readonly transport: types.PlainTransport;
  readonly consumer: types.Consumer;
  readonly port: number;

  private constructor(transport: types.PlainTransport, consumer: types.Consumer, port: number) {
    this.transport = transport;
    this.consumer = consumer;
    this.port = port;
  }

  /** Starts forwarding `producer` to `port` (use {@link freeUdpPortPair}). */
  static async open(router: types.Router, producer: types.Producer, port: number): Promise<ProducerTap> {
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: false,
      comedia: false,
    });
    await transport.connect({ ip: '127.0.0.1', port, rtcpPort: port + 1 });
    const consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
      paused: false,
    });
    return new ProducerTap(transport, consumer, port);
  }

  /** An SDP that tells ffmpeg what arrives on the port. */
  sdp(): string {
    const codec = this.consumer.rtpParameters.codecs[0];
    if (!codec) throw new Error('the tap consumer has no codec');
    const name = codec.mimeType.split('/')[1];
    const channels = codec.channels && codec.channels > 1 ? `/${codec.channels}` : '';
    return [
      'v=0',
      'o=- 0 0 IN IP4 127.0.0.1',
      's=conclave tap',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=${this.consumer.kind} ${this.port} RTP/AVP ${codec.payloadType}`,
      `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`,
      'a=recvonly',
      '',
    ].join('\n');
  }

  close(): void {
    this.transport.close();
  }
}

/** An even UDP port whose successor is free too (RTP and RTCP), on 127.0.0.1. */
export async function freeUdpPortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 10000);
    const sockets = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
    const ok = await Promise.all(
      sockets.map(
        (s, i) =>
          new Promise<boolean>((resolve) => {
            s.once('error', () => resolve(false));
            s.bind(port + i, '127.0.0.1', () => resolve(true));
          }),
      ),
    );
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok.every(Boolean)) return port;
  }
  throw new Error('no free UDP port pair found');
}

/** Size of the thumbnails {@link decodeTapWithFfmpeg} returns: enough to tell a picture from noise. */
export const THUMBNAIL = { width: 32, height: 24 } as const;

/** What ffmpeg made of a tapped video stream. */
export interface FfmpegResult {
  /** Every frame the decoder output, as an 8-bit grayscale {@link THUMBNAIL}. */
  frames: Buffer[];
  /** ffmpeg's error lines (decoder complaints), trimmed. */
  errors: string[];
}

/** How {@link decodeTapWithFfmpeg} runs. */
export interface DecodeTapOptions {
  /** Stop once this many frames are decoded (default: run until `maxMs`). */
  enoughFrames?: number;
  /** Longest the decoder runs after it listens (ms). */
  maxMs: number;
  /** Called every `pokeEveryMs` while ffmpeg runs, starting once it listens (e.g. to ask for a keyframe). */
  poke?: () => Promise<void>;
  /** Default 1200 ms (the SFU forwards at most about one keyframe request a second). */
  pokeEveryMs?: number;
}

/**
 * Runs ffmpeg on a video `tap` and returns every frame it decoded, scaled down to a grayscale thumbnail (a
 * decoder may turn undecipherable input into noise frames: callers judge content). Nothing is sent before
 * ffmpeg's socket is bound (so no keyframe is lost to a slow start), and it is poked until it has decoded
 * `enoughFrames` or `maxMs` has passed: a loaded machine only makes it take longer.
 */
export async function decodeTapWithFfmpeg(tap: ProducerTap, options: DecodeTapOptions): Promise<FfmpegResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-tap-'));
  const sdpFile = path.join(dir, 'tap.sdp');
  const rawFile = path.join(dir, 'frames.gray');
  const frameSize = THUMBNAIL.width * THUMBNAIL.height;
  fs.writeFileSync(sdpFile, tap.sdp());
  // prettier-ignore
  const ffmpeg = spawn('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-protocol_whitelist', 'file,udp,rtp', '-i', sdpFile,
    '-vf', `scale=${THUMBNAIL.width}:${THUMBNAIL.height}:flags=area,format=gray`, '-flush_packets', '1',
    '-f', 'rawvideo', rawFile,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let running = true;
  const exited = new Promise<void>((resolve, reject) => {
    ffmpeg.once('error', (err) => reject(new Error(`cannot run ffmpeg (apt-get install -y ffmpeg): ${err.message}`)));
    ffmpeg.once('exit', () => {
      running = false;
      resolve();
    });
  });
  const framesSoFar = () => (fs.existsSync(rawFile) ? Math.floor(fs.statSync(rawFile).size / frameSize) : 0);
  try {
    const listenDeadline = Date.now() + 10_000;
    while (running && !udpPortBound(tap.port) && Date.now() < listenDeadline) await sleep(50);
    const deadline = Date.now() + options.maxMs;
    let nextPoke = 0;
    while (running && Date.now() < deadline) {
      if (options.enoughFrames !== undefined && framesSoFar() >= options.enoughFrames) break;
      if (options.poke && Date.now() >= nextPoke) {
        nextPoke = Date.now() + (options.pokeEveryMs ?? 1200);
        await options.poke();
      }
      await sleep(100);
    }
    ffmpeg.kill('SIGINT'); // ffmpeg flushes and exits cleanly
    const killer = setTimeout(() => ffmpeg.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    const raw = fs.existsSync(rawFile) ? fs.readFileSync(rawFile) : Buffer.alloc(0);
    const frames: Buffer[] = [];
    for (let offset = 0; offset + frameSize <= raw.length; offset += frameSize)
      frames.push(raw.subarray(offset, offset + frameSize));
    const errors = stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return { frames, errors };
  } finally {
    if (ffmpeg.exitCode === null) ffmpeg.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether some process has a UDP socket bound to `port` (Linux: /proc/net/udp and udp6). */
function udpPortBound(port: number): boolean {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    try {
      const lines = fs.readFileSync(table, 'utf8').split('\n').slice(1);
      if (lines.some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix))) return true;
    } catch {
      // no such table (no IPv6): look at the other
    }
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** RTP payloads (and their RTP timestamps) arriving on a UDP port, e.g. from a {@link ProducerTap}. */
export class RtpPayloadCapture {
  readonly #socket = dgram.createSocket('udp4');
  readonly packets: { at: number; timestamp: number; payload: Buffer }[] = [];

  private constructor() {
    this.#socket.on('message', (packet) => {
      const payload = rtpPayload(packet);
      if (payload) this.packets.push({ at: Date.now(), timestamp: packet.readUInt32BE(4), payload });
    });
  }

  /** Listens on 127.0.0.1:`port`. */
  static async listen(port: number): Promise<RtpPayloadCapture> {
    const capture = new RtpPayloadCapture();
    await new Promise<void>((resolve, reject) => {
      capture.#socket.once('error', reject);
      capture.#socket.bind(port, '127.0.0.1', () => resolve());
    });
    return capture;
  }

  close(): Promise<void> {
    return new Promise((r) => this.#socket.close(() => r()));
  }
}

/** The payload of an RTP packet (RFC 3550 §5.1: fixed header, CSRCs, header extension, padding). */
export function rtpPayload(packet: Buffer): Buffer | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const first = packet[0]!;
  let offset = 12 + (first & 0x0f) * 4;
  if (first & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (first & 0x20) end -= packet[packet.length - 1]!;
  return offset <= end ? packet.subarray(offset, end) : undefined;
}
