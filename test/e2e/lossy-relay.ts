/**
 * A packet-dropping UDP relay between the browser and the SFU, for tests of what the SDK reports when the
 * network loses packets (no netem needed). The SFU listens on 127.0.0.1 and announces 127.0.0.2 in its ICE
 * candidates; the relay listens on 127.0.0.2 on every port of the SFU's RTC range and forwards each browser
 * flow through its own socket to the same port on 127.0.0.1, so to the SFU every flow looks like a client
 * and the browser sees answers from the address it sent to. STUN and DTLS always pass (the connection
 * stays up); RTP/RTCP packets are dropped with the configured probability in each direction.
 * Bounded: at most 64 flows; everything is closed by `close()`.
 */
import dgram from 'node:dgram';

/** A running relay. */
export interface LossyRelay {
  /** The address the SFU must announce (its candidates then point at the relay). */
  readonly announcedAddress: string;
  /** The SFU's RTC port range the relay covers (pass it to the server's `media` config). */
  readonly rtcMinPort: number;
  readonly rtcMaxPort: number;
  /** Drop probabilities (0..1) of media packets browser→SFU (`up`) and SFU→browser (`down`). */
  setLoss(up: number, down: number): void;
  /** Media packets forwarded and dropped so far, per direction. */
  counters(): { up: { forwarded: number; dropped: number }; down: { forwarded: number; dropped: number } };
  close(): Promise<void>;
}

const FRONT = '127.0.0.2';
const BACK = '127.0.0.1';
const MAX_FLOWS = 64;

/** RTP and RTCP start with version 2 (first byte 128..191); STUN (0..3) and DTLS (20..63) do not. */
const isMedia = (packet: Buffer) => packet.length > 0 && packet[0]! >= 128 && packet[0]! <= 191;

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/**
 * Starts a relay over `size` consecutive ports, trying random bases in 35000..39999 until every port is free
 * on 127.0.0.2 (the SFU binds the same numbers on 127.0.0.1, which other tests' servers may share).
 */
export async function startLossyRelay(size = 40): Promise<LossyRelay> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 35000 + Math.floor(Math.random() * (5000 - size));
    const relay = await tryStart(base, size);
    if (relay) return relay;
  }
  throw new Error('no free port range for the lossy relay on 127.0.0.2');
}

async function tryStart(base: number, size: number): Promise<LossyRelay | undefined> {
  const fronts: dgram.Socket[] = [];
  const flows = new Map<string, dgram.Socket>();
  let loss = { up: 0, down: 0 };
  const count = { up: { forwarded: 0, dropped: 0 }, down: { forwarded: 0, dropped: 0 } };
  const pass = (direction: 'up' | 'down', packet: Buffer) => {
    if (!isMedia(packet)) return true;
    const dropped = Math.random() < loss[direction];
    count[direction][dropped ? 'dropped' : 'forwarded']++;
    return !dropped;
  };
  const closeAll = async () => {
    for (const s of [...fronts, ...flows.values()]) {
      await new Promise<void>((r) => {
        try {
          s.close(() => r());
        } catch {
          r();
        }
      });
    }
    fronts.length = 0;
    flows.clear();
  };
  try {
    for (let port = base; port < base + size; port++) {
      const front = dgram.createSocket('udp4');
      fronts.push(front);
      await bind(front, port, FRONT);
      front.on('message', (packet, from) => {
        const key = `${from.address}:${from.port}>${port}`;
        let back = flows.get(key);
        if (!back) {
          if (flows.size >= MAX_FLOWS) return;
          const socket = dgram.createSocket('udp4');
          back = socket;
          flows.set(key, socket);
          socket.on('error', () => undefined);
          socket.on('message', (reply) => {
            if (pass('down', reply)) front.send(reply, from.port, from.address);
          });
          socket.bind(0, BACK);
        }
        if (pass('up', packet)) back.send(packet, port, BACK);
      });
      front.on('error', () => undefined);
    }
  } catch {
    await closeAll();
    return undefined;
  }
  return {
    announcedAddress: FRONT,
    rtcMinPort: base,
    rtcMaxPort: base + size - 1,
    setLoss(up, down) {
      loss = { up: Math.min(1, Math.max(0, up)), down: Math.min(1, Math.max(0, down)) };
    },
    counters: () => ({ up: { ...count.up }, down: { ...count.down } }),
    close: closeAll,
  };
}
