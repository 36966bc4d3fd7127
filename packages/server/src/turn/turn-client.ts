/**
 * A minimal TURN client over UDP, TCP or TLS (RFC 8656): Binding, Allocate with long-term credentials (the
 * 401 → realm and nonce → signed retry dance) and CreatePermission. Enough to probe a TURN server and to
 * prove its peer policy; browsers are the real clients.
 */
import dgram from 'node:dgram';
import net, { isIPv6 } from 'node:net';
import tls from 'node:tls';
import {
  StunAttr,
  StunMethod,
  attribute,
  decodeStunMessage,
  decodeXorAddress,
  encodeStunMessage,
  encodeXorAddress,
  errorCode,
  longTermKey,
  newTransactionId,
  textAttribute,
  verifyMessageIntegrity,
  type StunAttribute,
  type StunMessage,
  type TransportAddress,
} from './stun.ts';

/** A TURN answer: success with its attributes, or an error code and reason. */
export type TurnResult =
  | { ok: true; message: StunMessage }
  | { ok: false; code: number; reason: string; message: StunMessage };

export interface TurnClientOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Per-request timeout (default 2000 ms); UDP requests are retransmitted every 250 ms until it. */
  timeoutMs?: number;
  /** How to reach the server (default udp). */
  transport?: 'udp' | 'tcp' | 'tls';
  /** For tls: the CA (PEM) to trust, e.g. a self-signed certificate; the host name checked is `servername`. */
  ca?: string;
  servername?: string;
}

/** Sends packets and hands every received STUN message to `onMessage`. */
interface Channel {
  send(packet: Buffer): void;
  /** Whether lost packets must be sent again (UDP). */
  readonly unreliable: boolean;
  close(): void;
}

const UDP_TRANSPORT = Buffer.from([17, 0, 0, 0]);

export class TurnClient {
  readonly #options: TurnClientOptions;
  readonly #channel: Channel;
  readonly #pending = new Map<string, (raw: Buffer) => void>();
  #realm: string | undefined;
  #nonce: string | undefined;

  private constructor(options: TurnClientOptions, open: (onMessage: (raw: Buffer) => void) => Channel) {
    this.#options = options;
    this.#channel = open((raw) => {
      if (raw.length < 20) return;
      const key = raw.subarray(8, 20).toString('hex');
      this.#pending.get(key)?.(raw);
    });
  }

  static async open(options: TurnClientOptions): Promise<TurnClient> {
    const transport = options.transport ?? 'udp';
    if (transport === 'udp') {
      const socket = dgram.createSocket(isIPv6(options.host) ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      return new TurnClient(options, (onMessage) => {
        socket.on('message', onMessage);
        return {
          unreliable: true,
          send: (packet) => socket.send(packet, options.port, options.host),
          close: () => socket.close(),
        };
      });
    }
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s =
        transport === 'tls'
          ? tls.connect({
              host: options.host,
              port: options.port,
              ...(options.ca ? { ca: options.ca } : {}),
              ...(options.servername ? { servername: options.servername } : {}),
            })
          : net.connect({ host: options.host, port: options.port });
      s.once('error', reject);
      s.once(transport === 'tls' ? 'secureConnect' : 'connect', () => {
        s.off('error', reject);
        resolve(s);
      });
    });
    socket.on('error', () => undefined);
    return new TurnClient(options, (onMessage) => {
      // A stream carries STUN messages back to back; each header says how long its message is.
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 20) {
          const total = 20 + buffered.readUInt16BE(2);
          if (buffered.length < total) break;
          onMessage(buffered.subarray(0, total));
          buffered = buffered.subarray(total);
        }
        if (buffered.length > 70_000) socket.destroy();
      });
      return { unreliable: false, send: (packet) => socket.write(packet), close: () => socket.destroy() };
    });
  }

  /** The server's reflexive answer to a Binding request (no credentials). */
  async binding(): Promise<TransportAddress | undefined> {
    const { message } = await this.#send(StunMethod.Binding, [], undefined);
    const value = attribute(message, StunAttr.XorMappedAddress);
    return value ? decodeXorAddress(value, message.transactionId) : undefined;
  }

  /** Allocates a UDP relay; answers the relayed address or the error. */
  async allocate(): Promise<TurnResult & { relayed?: TransportAddress }> {
    const result = await this.#authenticated(StunMethod.Allocate, [
      { type: StunAttr.RequestedTransport, value: UDP_TRANSPORT },
    ]);
    if (!result.ok) return result;
    const value = attribute(result.message, StunAttr.XorRelayedAddress);
    const relayed = value ? decodeXorAddress(value, result.message.transactionId) : undefined;
    return relayed ? { ...result, relayed } : result;
  }

  /** Asks for a permission towards `peer` on the current allocation (403 when the server's policy denies it). */
  createPermission(peer: string, port = 9): Promise<TurnResult> {
    return this.#authenticated(StunMethod.CreatePermission, [], (transactionId) => [
      { type: StunAttr.XorPeerAddress, value: encodeXorAddress(peer, port, transactionId) },
    ]);
  }

  close(): void {
    for (const resolve of this.#pending.values()) resolve(Buffer.alloc(0));
    this.#pending.clear();
    this.#channel.close();
  }

  async #authenticated(
    method: number,
    attributes: StunAttribute[],
    perTransaction?: (transactionId: Buffer) => StunAttribute[],
  ): Promise<TurnResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { username, password } = this.#options;
      const key = this.#realm !== undefined ? longTermKey(username, this.#realm, password) : undefined;
      const credentials: StunAttribute[] =
        this.#realm !== undefined && this.#nonce !== undefined
          ? [
              { type: StunAttr.Username, value: Buffer.from(username, 'utf8') },
              { type: StunAttr.Realm, value: Buffer.from(this.#realm, 'utf8') },
              { type: StunAttr.Nonce, value: Buffer.from(this.#nonce, 'utf8') },
            ]
          : [];
      const { message, raw } = await this.#send(method, [...attributes, ...credentials], key, perTransaction);
      if (message.cls === 'success') {
        if (!key || !verifyMessageIntegrity(raw, key))
          throw new Error('TURN success answer without valid MESSAGE-INTEGRITY');
        return { ok: true, message };
      }
      const error = errorCode(message) ?? { code: 0, reason: 'error answer without ERROR-CODE' };
      // 401 (first contact) and 438 (stale nonce) carry a fresh realm/nonce: retry with them.
      if ((error.code === 401 && credentials.length === 0) || error.code === 438) {
        this.#realm = textAttribute(message, StunAttr.Realm) ?? this.#realm;
        this.#nonce = textAttribute(message, StunAttr.Nonce) ?? this.#nonce;
        continue;
      }
      return { ok: false, ...error, message };
    }
    throw new Error('TURN server kept asking for credentials');
  }

  #send(
    method: number,
    attributes: StunAttribute[],
    key: Buffer | undefined,
    perTransaction?: (transactionId: Buffer) => StunAttribute[],
  ): Promise<{ message: StunMessage; raw: Buffer }> {
    const transactionId = newTransactionId();
    const all = perTransaction ? [...perTransaction(transactionId), ...attributes] : attributes;
    const packet = encodeStunMessage({ method, cls: 'request', transactionId, attributes: all }, key);
    const id = transactionId.toString('hex');
    const { host, port, timeoutMs = 2000 } = this.#options;
    return new Promise((resolve, reject) => {
      const send = () => this.#channel.send(packet);
      const retransmit = setInterval(() => this.#channel.unreliable && send(), 250);
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no TURN answer from ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearInterval(retransmit);
        clearTimeout(timer);
        this.#pending.delete(id);
      };
      this.#pending.set(id, (raw) => {
        done();
        if (raw.length === 0) return reject(new Error('TURN client closed'));
        try {
          resolve({ message: decodeStunMessage(raw), raw });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      send();
    });
  }
}
