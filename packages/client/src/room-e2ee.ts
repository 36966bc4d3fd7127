/**
 * End-to-end encryption for one stay in a room: the key provider (shared secret or managed sender keys),
 * the e2ee worker that encrypts and decrypts frames, and the transforms on every RTP sender and receiver.
 * The media session asks it (as its {@link MediaEncryption}) to transform each sender before its first
 * SDP and each receiver before its consumer is resumed, so no frame leaves or reaches a decoder without
 * passing the worker. Room events come in through `handle*` methods; results go out through
 * {@link RoomE2eeHooks}, so the room decides what becomes a TRTC event or a signaling request.
 */
import type { RemoteParticipant } from '@conclave/protocol';
import type { types as ms } from 'mediasoup-client';
import { base64ToArrayBuffer, bytesToBase64 } from './base64.ts';
import {
  e2eeCodecOf,
  e2eeSupport,
  KeyDistributor,
  keyFingerprint,
  managedKeysSupported,
  SharedKeyProvider,
  type E2eeCodec,
  type KeyCommand,
  type KeyProvider,
  type TransformOptions,
  type WorkerEvent,
  type WorkerRequest,
} from './e2ee/index.ts';
import { RtcError } from './errors.ts';
import type { E2eeKeyHolder, E2eePeerKeyChanged } from './events.ts';
import type { Logger } from './logger.ts';
import type { MediaEncryption } from './media-session.ts';
import type { E2eeOptions } from './options.ts';

/** The e2ee worker bundle, inlined by scripts/build-client.mjs (absent when the sources run unbundled). */
declare const __CONCLAVE_E2EE_WORKER_SOURCE__: string | undefined;

/**
 * The audio-level header extension tells the SFU who speaks and how loudly, every packet (RFC 6464), in
 * clear. E2EE rooms do not negotiate it; the SDK's own volume indication reads decoded audio instead.
 */
const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/** How often the worker reports dropped frames. */
const DROP_REPORT_INTERVAL_MS = 2000;

/**
 * Delays between attempts to relay one key message (about 12 s in all). The server announces a newcomer
 * when it admits it, but accepts messages for it only once its media transports exist, which takes seconds
 * on a loaded server; a lost grant would leave that peer unable to decrypt until the next key change.
 */
const KEY_MESSAGE_RETRY_MS = [250, 500, 1000, 2000, 3000, 5000];

/** Where the room's E2EE results go. */
export interface RoomE2eeHooks {
  /** Relays an opaque key message (base64) to one participant through the server. */
  sendKeyMessage(to: string, payload: string): Promise<unknown>;
  /** A media key changed: `userId` '' is the local sender key. */
  onKeyChanged(userId: string, keyId: string | undefined): void;
  /** Frames of `userId` were dropped because they did not decrypt. */
  onDecryptionFailed(userId: string, count: number): void;
  /** The managed-mode security code changed (it covers exactly `keyHolders` and the local key). */
  onSecurityCodeChanged(code: string, keyHolders: E2eeKeyHolder[]): void;
  /** Managed mode: a present participant was announced with another key, which was refused. */
  onPeerKeyChanged(change: E2eePeerKeyChanged): void;
  /** Managed mode: `verifyPeerKey` refused a participant's key. */
  onPeerKeyRefused(userId: string, fingerprint: string): void;
}

/** What {@link RoomE2ee.create} needs. */
export interface RoomE2eeContext {
  userId: string;
  /** Salts the shared-mode room key: the same secret gives unrelated keys in two rooms. */
  roomKeyId: string;
  log: Logger;
  hooks: RoomE2eeHooks;
}

/** The `join` request's E2EE fields. */
export interface E2eeJoinFields {
  e2ee: true;
  requireE2ee: boolean;
  e2eePublicKey?: string;
}

type EncodedStreamsSender = RTCRtpSender & {
  createEncodedStreams(): { readable: ReadableStream; writable: WritableStream };
};
type EncodedStreamsReceiver = RTCRtpReceiver & {
  createEncodedStreams(): { readable: ReadableStream; writable: WritableStream };
};

/** One room's E2EE: keys, worker and transforms. */
export class RoomE2ee implements MediaEncryption {
  readonly mode: 'shared' | 'managed';
  readonly #provider: KeyProvider;
  readonly #shared: SharedKeyProvider | undefined;
  readonly #managed: KeyDistributor | undefined;
  readonly #support: 'script-transform' | 'encoded-streams';
  readonly #worker: Worker;
  readonly #workerUrl: string;
  readonly #ctx: RoomE2eeContext;
  readonly #unsubscribe: () => void;
  /** Managed mode: the participants whose public keys the distributor knows. */
  readonly #peers = new Set<string>();
  /** Managed mode: keys refused as changes, by userId, until accepted or the participant leaves. */
  readonly #changedKeys = new Map<string, { publicKey: Uint8Array; fingerprint: string }>();
  #securityCode: string | undefined;
  #codeChain: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    ctx: RoomE2eeContext,
    provider: SharedKeyProvider | KeyDistributor,
    support: 'script-transform' | 'encoded-streams',
    worker: { worker: Worker; url: string },
  ) {
    this.#ctx = ctx;
    this.#provider = provider;
    this.mode = provider.mode;
    this.#shared = provider instanceof SharedKeyProvider ? provider : undefined;
    this.#managed = provider instanceof KeyDistributor ? provider : undefined;
    this.#support = support;
    this.#worker = worker.worker;
    this.#workerUrl = worker.url;
    this.#worker.onmessage = (event: MessageEvent<WorkerEvent>) => this.#onWorkerEvent(event.data);
    this.#worker.onerror = (event) => ctx.log.error('e2ee worker error', { message: event.message });
    this.#post({ type: 'init', cipherSuite: provider.cipherSuite, statsIntervalMs: DROP_REPORT_INTERVAL_MS });
    for (const command of provider.snapshot()) this.#apply(command);
    this.#unsubscribe = provider.subscribe((command) => this.#apply(command));
  }

  /**
   * Checks the browser (5200 ENV_NOT_SUPPORTED without encoded transforms, or without X25519 for managed
   * mode), derives or makes the keys and starts the worker. Runs before joining.
   */
  static async create(options: E2eeOptions, ctx: RoomE2eeContext): Promise<RoomE2ee> {
    const fn = 'enterRoom';
    const support = e2eeSupport();
    if (support === 'none')
      throw RtcError.envNotSupported(fn, 'end-to-end encryption needs RTCRtpScriptTransform or encoded streams');
    if (options.mode === 'managed' && !(await managedKeysSupported()))
      throw RtcError.envNotSupported(fn, 'managed E2EE keys need X25519 in WebCrypto');
    const worker = startWorker(fn);
    let room: RoomE2ee | undefined;
    try {
      let provider: SharedKeyProvider | KeyDistributor;
      if (options.mode === 'shared') {
        provider = await SharedKeyProvider.create({
          secret: options.secret,
          userId: ctx.userId,
          roomId: ctx.roomKeyId,
        });
      } else {
        provider = await KeyDistributor.create({
          localId: ctx.userId,
          // Only called once peers are known, i.e. after the constructor below has run.
          send: (to, blob) => {
            if (room) void room.#relay(to, bytesToBase64(blob));
          },
          onError: (error, from) => ctx.log.warn('unusable E2EE key message', { from, code: error.code }),
          ...(options.verifyPeerKey && { verifyPeerKey: verifier(options.verifyPeerKey) }),
          onPeerKeyChanged: (userId, current, announced) => {
            if (room) void room.#onPeerKeyChanged(userId, current, announced);
          },
          onPeerKeyRefused: (userId, publicKey) =>
            void keyFingerprint(publicKey).then((fingerprint) => {
              ctx.log.warn('E2EE public key refused by verifyPeerKey', { userId });
              if (room && !room.#closed) ctx.hooks.onPeerKeyRefused(userId, fingerprint);
            }),
          onKeyHoldersChanged: () => {
            if (room) room.#refreshSecurityCode();
          },
        });
      }
      room = new RoomE2ee(ctx, provider, support, worker);
      return room;
    } catch (err) {
      worker.worker.terminate();
      URL.revokeObjectURL(worker.url);
      throw err;
    }
  }

  /** The fields this participant adds to its `join` request. */
  joinFields(requireE2ee: boolean): E2eeJoinFields {
    const fields: E2eeJoinFields = { e2ee: true, requireE2ee };
    if (this.#managed) fields.e2eePublicKey = bytesToBase64(this.#managed.publicKey);
    return fields;
  }

  // --- MediaEncryption -------------------------------------------------------------------------------

  get peerConnectionSettings(): Partial<RTCConfiguration> | undefined {
    // The legacy API only works on connections made with this flag (absent from the DOM typings).
    return this.#support === 'encoded-streams'
      ? ({ encodedInsertableStreams: true } as Partial<RTCConfiguration>)
      : undefined;
  }

  routerCapabilities(caps: ms.RtpCapabilities): ms.RtpCapabilities {
    return { ...caps, headerExtensions: caps.headerExtensions?.filter((e) => e.uri !== AUDIO_LEVEL_URI) };
  }

  encryptSender(sender: RTCRtpSender, codec: E2eeCodec): void {
    this.#attach(sender, { operation: 'encrypt', participantId: this.#ctx.userId, codec });
  }

  decryptReceiver(receiver: RTCRtpReceiver, participantId: string, mimeType: string): void {
    // A codec that cannot be decrypted is still routed through the worker, which drops (and counts) it.
    this.#attach(receiver, { operation: 'decrypt', participantId, codec: e2eeCodecOf(mimeType) ?? mimeType });
  }

  // --- room events -----------------------------------------------------------------------------------

  /** The room's participants after a join or resume (the local one excluded). */
  syncParticipants(participants: readonly RemoteParticipant[]): void {
    const present = new Set(participants.map((p) => p.userId));
    for (const userId of [...this.#peers]) if (!present.has(userId)) this.handleParticipantLeft(userId);
    for (const p of participants) this.handleParticipant(p);
    if (this.#managed) this.#refreshSecurityCode();
  }

  /** A participant joined or changed role. */
  handleParticipant(p: RemoteParticipant): void {
    const managed = this.#managed;
    if (!managed || p.userId === this.#ctx.userId || p.e2eePublicKey === undefined) return;
    let publicKey: Uint8Array;
    try {
      publicKey = new Uint8Array(base64ToArrayBuffer(p.e2eePublicKey));
    } catch {
      return this.#ctx.log.warn('ignoring a malformed E2EE public key', { userId: p.userId });
    }
    this.#peers.add(p.userId);
    void managed.handleParticipantJoined(p.userId, publicKey);
    this.#refreshSecurityCode();
  }

  /** A participant left: forget its keys; managed mode rotates the local sender key (within 2 s). */
  handleParticipantLeft(userId: string): void {
    if (this.#managed) {
      this.#changedKeys.delete(userId);
      if (!this.#peers.delete(userId)) return;
      this.#managed.handleParticipantLeft(userId);
      this.#refreshSecurityCode();
    } else {
      this.#provider.handleParticipantLeft(userId);
    }
  }

  /** A key message relayed by the server (managed mode). */
  handleKeyMessage(from: string, payload: string): void {
    if (!this.#managed) return;
    let blob: Uint8Array;
    try {
      blob = new Uint8Array(base64ToArrayBuffer(payload));
    } catch {
      return this.#ctx.log.warn('ignoring a malformed E2EE key message', { from });
    }
    void this.#managed.handleKeyMessage(from, blob);
  }

  // --- API -------------------------------------------------------------------------------------------

  /** Shared mode: switch to a new secret (every participant must). Throws 5100 in managed mode. */
  async setSecret(secret: string): Promise<void> {
    if (!this.#shared) throw RtcError.invalidOperation('setE2eeSecret', 'the room uses managed E2EE keys');
    await this.#shared.rotate(secret);
  }

  /** Managed mode: the security code over everyone present now. Throws 5100 in shared mode. */
  async securityCode(): Promise<string> {
    const managed = this.#managed;
    if (!managed) throw RtcError.invalidOperation('getSecurityCode', 'security codes exist in managed E2EE mode only');
    await managed.idle();
    return managed.securityCode();
  }

  /** Managed mode: who holds the local media key now, with their keys' fingerprints. Throws 5100 in shared mode. */
  async keyHolders(): Promise<E2eeKeyHolder[]> {
    const managed = this.#managed;
    if (!managed) throw RtcError.invalidOperation('getE2eeKeyHolders', 'key holders exist in managed E2EE mode only');
    await managed.idle();
    return holdersOf(managed);
  }

  /**
   * Managed mode: accepts the key announced in `E2EE_PEER_KEY_CHANGED` for `userId` (the old key is treated
   * as having left: the local sender key is renewed). Throws 5000 when no such change is pending.
   */
  async acceptPeerKey(userId: string, fingerprint: string): Promise<void> {
    const fn = 'acceptE2eePeerKey';
    const managed = this.#managed;
    if (!managed) throw RtcError.invalidOperation(fn, 'peer keys exist in managed E2EE mode only');
    const change = this.#changedKeys.get(userId);
    if (change === undefined || change.fingerprint !== fingerprint)
      throw RtcError.invalidParameter(fn, `no refused key ${fingerprint} is pending for ${userId}`);
    this.#changedKeys.delete(userId);
    this.#ctx.log.info('E2EE peer key change accepted', { userId });
    await managed.acceptPeerKey(userId, change.publicKey);
  }

  /** Stops the worker and forgets every key. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#provider.close();
    this.#worker.terminate();
    URL.revokeObjectURL(this.#workerUrl);
  }

  #attach(endpoint: RTCRtpSender | RTCRtpReceiver, options: TransformOptions): void {
    if (this.#closed) throw new Error('E2EE is closed');
    if (this.#support === 'script-transform') {
      endpoint.transform = new RTCRtpScriptTransform(this.#worker, options);
      return;
    }
    const { readable, writable } = (endpoint as EncodedStreamsSender | EncodedStreamsReceiver).createEncodedStreams();
    this.#worker.postMessage({ type: 'encodedStreams', ...options, readable, writable } satisfies WorkerRequest, [
      readable as unknown as Transferable,
      writable as unknown as Transferable,
    ]);
  }

  /** Relays a key message, retrying while the peer is still in the room (older grants are ignored by peers). */
  async #relay(to: string, payload: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#ctx.hooks.sendKeyMessage(to, payload);
        return;
      } catch (err) {
        const delay = KEY_MESSAGE_RETRY_MS[attempt];
        if (this.#closed || !this.#peers.has(to) || delay === undefined) {
          if (!this.#closed) this.#ctx.log.warn('an E2EE key message was not relayed', { to, error: String(err) });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #apply(command: KeyCommand): void {
    if (this.#closed) return;
    this.#post({ type: 'key', command });
    if (command.type === 'setSenderKey') this.#ctx.hooks.onKeyChanged('', command.kid.toString());
    else if (command.type === 'setReceiverKey')
      this.#ctx.hooks.onKeyChanged(command.participantId, command.kid.toString());
  }

  #post(request: WorkerRequest): void {
    this.#worker.postMessage(request);
  }

  #onWorkerEvent(event: WorkerEvent): void {
    if (this.#closed) return;
    switch (event.type) {
      case 'stats':
        for (const [participantId, reasons] of Object.entries(event.drops)) {
          const count = Object.values(reasons).reduce((sum, n) => sum + (n ?? 0), 0);
          if (participantId === '') this.#ctx.log.warn('local frames dropped instead of sent', { reasons });
          else if (count > 0) this.#ctx.hooks.onDecryptionFailed(participantId, count);
        }
        return;
      case 'keyFrameNeeded':
        // Legacy encoded streams cannot ask the encoder for a keyframe; receivers' PLIs bring one.
        return this.#ctx.log.debug('the e2ee worker asked for a keyframe');
      case 'error':
        return this.#ctx.log.error('e2ee worker', { message: event.message });
    }
  }

  async #onPeerKeyChanged(userId: string, current: Uint8Array, announced: Uint8Array): Promise<void> {
    const [oldFingerprint, newFingerprint] = await Promise.all([keyFingerprint(current), keyFingerprint(announced)]);
    if (this.#closed) return;
    if (this.#changedKeys.get(userId)?.fingerprint === newFingerprint) return; // announced again: said already
    this.#changedKeys.set(userId, { publicKey: announced, fingerprint: newFingerprint });
    this.#ctx.log.warn('E2EE public key of a present participant changed; refused', { userId });
    this.#ctx.hooks.onPeerKeyChanged({ userId, oldFingerprint, newFingerprint });
  }

  /** Recomputes the security code after the distributor has taken in every change, in order. */
  #refreshSecurityCode(): void {
    this.#codeChain = this.#codeChain.then(async () => {
      const managed = this.#managed;
      if (this.#closed || !managed) return;
      await managed.idle();
      const [code, holders] = await Promise.all([managed.securityCode(), holdersOf(managed)]);
      if (this.#closed || code === this.#securityCode) return;
      this.#securityCode = code;
      this.#ctx.hooks.onSecurityCodeChanged(code, holders);
    });
    this.#codeChain = this.#codeChain.catch((err: unknown) =>
      this.#ctx.log.warn('security code not computed', { error: String(err) }),
    );
  }
}

/** The distributor's key holders with fingerprints. */
async function holdersOf(managed: KeyDistributor): Promise<E2eeKeyHolder[]> {
  return Promise.all(
    managed
      .keyHolders()
      .map(async ({ userId, publicKey }) => ({ userId, fingerprint: await keyFingerprint(publicKey) })),
  );
}

/** The app's `verifyPeerKey` over base64 keys, as the distributor calls it. */
function verifier(
  verify: (userId: string, publicKey: string) => boolean | Promise<boolean>,
): (userId: string, publicKey: Uint8Array) => Promise<boolean> {
  return async (userId, publicKey) => (await verify(userId, bytesToBase64(publicKey))) === true;
}

/** Starts the inlined worker from a blob URL (the page's CSP must allow `worker-src blob:`). */
function startWorker(fn: string): { worker: Worker; url: string } {
  const source = typeof __CONCLAVE_E2EE_WORKER_SOURCE__ === 'string' ? __CONCLAVE_E2EE_WORKER_SOURCE__ : undefined;
  if (source === undefined)
    throw RtcError.envNotSupported(fn, 'this SDK build has no e2ee worker; build it with scripts/build-client.mjs');
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  try {
    return { worker: new Worker(url, { name: 'conclave-e2ee' }), url };
  } catch (err) {
    URL.revokeObjectURL(url);
    throw RtcError.envNotSupported(fn, `cannot start the e2ee worker (does the CSP allow worker-src blob:?)`, err);
  }
}
