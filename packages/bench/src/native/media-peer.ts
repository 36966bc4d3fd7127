/**
 * Driver of the native media peer (native/bench-peer.c): one child process carrying every simulated
 * participant's WebRTC sessions. Commands go in as lines on stdin; events come back as lines on stdout.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { mediaSlotNumber, type MediaSet, type MediaSlot, type MediaVariant } from '../media/generate.ts';
import { ensureNative } from './build.ts';

/** One session's counters, as the peer reports them (times in µs of the monotonic clock). */
export interface SessionStats {
  sid: number;
  connected: boolean;
  connectedUs: number;
  firstRxUs: number;
  rxPackets: number;
  rxBytes: number;
  lost: number;
  txPackets: number;
  pli: number;
  fir: number;
  nack: number;
  rxRtcp: number;
}

/** What the remote side of a session told us (mediasoup's ICE-lite transport, or an SDP). */
export interface RemoteEndpoint {
  /** Address to send checks to; omitted when the remote runs full ICE and will contact us. */
  ip?: string;
  port?: number;
  usernameFragment: string;
  password: string;
}

/** Our ICE credentials for one session, sent to the remote in its SDP or ignored by ICE-lite servers. */
export interface LocalIce {
  usernameFragment: string;
  password: string;
}

/** Monotonic microseconds on the clock the peer uses (CLOCK_MONOTONIC, like process.hrtime). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export class MediaPeer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiters = new Map<string, (words: string[]) => void>();
  readonly #statLines: string[][] = [];
  readonly #errors: string[] = [];
  #nextSid = 0;
  readonly #variants = new Set<MediaVariant>();
  fingerprint = '';
  /** The address every session binds to. */
  address = '127.0.0.1';

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(line.split(' ')));
  }

  /**
   * Starts the peer with the clips of `media` loaded (the E2EE ones too if given); its sockets bind to `address`
   * (loopback unless inside the Janus namespace).
   */
  static async start(media: MediaSet, address = '127.0.0.1'): Promise<MediaPeer> {
    const binary = await ensureNative('bench-peer');
    const peer = new MediaPeer(spawn(binary, [address], { stdio: ['pipe', 'pipe', 'pipe'] }));
    peer.address = address;
    const [, fingerprint] = await peer.#wait('fingerprint');
    peer.fingerprint = fingerprint ?? '';
    for (const variant of ['plain', 'e2ee'] as const) {
      const files = media[variant];
      if (files === undefined) continue;
      for (const [slot, file] of Object.entries(files) as [MediaSlot, string][]) {
        const n = mediaSlotNumber(slot, variant);
        peer.#send(`load ${n} ${file}`);
        await peer.#wait(`loaded ${n}`);
      }
      peer.#variants.add(variant);
    }
    return peer;
  }

  /** The child's pid, for measuring the load generator's own CPU. */
  get pid(): number {
    return this.#child.pid ?? 0;
  }

  get errors(): readonly string[] {
    return this.#errors;
  }

  /** Opens a session's socket; resolves with its id and local UDP port. */
  async open(): Promise<{ sid: number; port: number; ice: LocalIce }> {
    const sid = this.#nextSid++;
    const wait = this.#wait(`bound ${sid}`);
    this.#send(`open ${sid}`);
    const words = await wait;
    const ice = { usernameFragment: token(8), password: token(24) };
    return { sid, port: Number(words[2]), ice };
  }

  /** Starts ICE and DTLS (as client); `controlling` for ICE-lite servers such as mediasoup. */
  connect(sid: number, local: LocalIce, remote: RemoteEndpoint, controlling: boolean): Promise<void> {
    const wait = this.#wait(`connected ${sid}`);
    const { ip = '127.0.0.1', port = 0 } = remote;
    this.#send(
      `connect ${sid} ${ip} ${port} ${remote.usernameFragment} ${remote.password} ${local.usernameFragment} ${local.password} ${controlling ? 1 : 0}`,
    );
    return wait.then(() => undefined);
  }

  /** Publishes a pre-encoded stream on a connected session, plain or E2EE-encrypted. */
  publish(sid: number, slot: MediaSlot, variant: MediaVariant, ssrc: number, payloadType: number): void {
    // An unloaded slot would send nothing, silently: a run would measure an idle SFU.
    if (!this.#variants.has(variant)) throw new Error(`the media peer was started without the ${variant} media`);
    this.#send(`send ${sid} ${mediaSlotNumber(slot, variant)} ${ssrc} ${payloadType}`);
  }

  closeSession(sid: number): void {
    this.#send(`close ${sid}`);
  }

  async stats(): Promise<SessionStats[]> {
    const wait = this.#wait('statsend');
    this.#statLines.length = 0;
    this.#send('stats');
    await wait;
    return this.#statLines.map((w) => {
      const n = w.slice(1).map(Number);
      return {
        sid: n[0]!,
        connected: n[1] === 1,
        connectedUs: n[2]!,
        firstRxUs: n[3]!,
        rxPackets: n[4]!,
        rxBytes: n[5]!,
        lost: n[6]!,
        txPackets: n[7]!,
        pli: n[8]!,
        fir: n[9]!,
        nack: n[10]!,
        rxRtcp: n[11]!,
      };
    });
  }

  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }

  #send(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  #wait(prefix: string, timeoutMs = 10_000): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(prefix);
        reject(new Error(`media peer: no "${prefix}" within ${timeoutMs} ms ${this.#errors.join('; ')}`));
      }, timeoutMs);
      this.#waiters.set(prefix, (words) => {
        clearTimeout(timer);
        resolve(words);
      });
    });
  }

  #onLine(words: string[]): void {
    if (words[0] === 'stat') this.#statLines.push(words);
    if (words[0] === 'error') this.#errors.push(words.join(' '));
    for (const key of [words.slice(0, 2).join(' '), words[0] ?? '']) {
      const waiter = this.#waiters.get(key);
      if (waiter) {
        this.#waiters.delete(key);
        waiter(words);
        return;
      }
    }
  }
}

function token(length: number): string {
  return crypto.randomBytes(length).toString('hex').slice(0, length); // ICE allows only [A-Za-z0-9+/]
}
