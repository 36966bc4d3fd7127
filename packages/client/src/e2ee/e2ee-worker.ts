/**
 * The e2ee worker entry (bundle it as its own worker script). It encrypts and decrypts encoded frames
 * for `RTCRtpScriptTransform` (`rtctransform` events) and for the legacy `createEncodedStreams()` streams
 * posted to it, with keys the SDK forwards from its key provider. A frame that cannot be encrypted or
 * decrypted is dropped — never passed through — and counted; counts go to the SDK every few seconds.
 *
 * The browser worker types are declared locally (the client program is type-checked with DOM libs).
 */
import { FrameCrypto } from './frame-transform.ts';
import { DEFAULT_CIPHER_SUITE } from './sframe/cipher-suites.ts';
import {
  parseTransformOptions,
  parseWorkerRequest,
  type TransformOptions,
  type WorkerEvent,
} from './worker-protocol.ts';

/** The parts of `RTCEncodedVideoFrame` / `RTCEncodedAudioFrame` used here. */
interface EncodedFrame {
  data: ArrayBuffer;
  readonly type?: 'key' | 'delta' | 'empty';
  getMetadata(): { mimeType?: string };
}

/** The parts of `RTCRtpScriptTransformer` used here. */
interface ScriptTransformer {
  readonly readable: ReadableStream<EncodedFrame>;
  readonly writable: WritableStream<EncodedFrame>;
  readonly options: unknown;
  generateKeyFrame?(): Promise<unknown>;
}

interface WorkerScope {
  onmessage: ((event: { data: unknown }) => void) | null;
  onrtctransform: ((event: { transformer: ScriptTransformer }) => void) | null;
  postMessage(message: WorkerEvent): void;
}

const scope = globalThis as unknown as WorkerScope;
let frameCrypto = new FrameCrypto(DEFAULT_CIPHER_SUITE);
let statsTimer: ReturnType<typeof setInterval> | undefined;
/** Encrypting transformers that can make the encoder produce a keyframe after a key change. */
const encryptTransformers = new Set<ScriptTransformer>();

function post(message: WorkerEvent): void {
  scope.postMessage(message);
}

function startStats(intervalMs: number): void {
  if (statsTimer !== undefined) clearInterval(statsTimer);
  statsTimer = setInterval(() => {
    const drops = frameCrypto.takeDropStats();
    if (Object.keys(drops).length > 0) post({ type: 'stats', drops });
  }, intervalMs);
}

function pipe(
  readable: ReadableStream<EncodedFrame>,
  writable: WritableStream<EncodedFrame>,
  options: TransformOptions,
): void {
  const transform = new TransformStream<EncodedFrame, EncodedFrame>({
    async transform(frame, controller) {
      const codec = options.codec ?? frame.getMetadata().mimeType ?? '';
      const result =
        options.operation === 'encrypt'
          ? await frameCrypto.encryptFrame(frame.data, codec, frame.type === 'key')
          : await frameCrypto.decryptFrame(options.participantId, frame.data, codec);
      if (!result.ok) return; // dropped: undecryptable frames never reach the decoder, nothing leaves unencrypted
      frame.data = result.data;
      controller.enqueue(frame);
    },
  });
  readable
    .pipeThrough(transform)
    .pipeTo(writable)
    .catch((error: unknown) => post({ type: 'error', message: `transform stopped: ${String(error)}` }));
}

scope.onrtctransform = (event) => {
  const transformer = event.transformer;
  const options = parseTransformOptions(transformer.options);
  if (options === undefined) {
    post({ type: 'error', message: 'RTCRtpScriptTransform options must be { operation, participantId, codec? }' });
    return;
  }
  if (options.operation === 'encrypt') encryptTransformers.add(transformer);
  pipe(transformer.readable, transformer.writable, options);
};

scope.onmessage = (event) => {
  const request = parseWorkerRequest(event.data);
  if (request === undefined) {
    post({ type: 'error', message: 'unrecognised request' });
    return;
  }
  switch (request.type) {
    case 'init':
      try {
        frameCrypto = new FrameCrypto(request.cipherSuite as typeof DEFAULT_CIPHER_SUITE);
      } catch (error) {
        post({ type: 'error', message: String(error) });
        return;
      }
      startStats(request.statsIntervalMs ?? 2000);
      return;
    case 'key':
      frameCrypto.apply(request.command).then(
        () => {
          if (request.command.type === 'setSenderKey') requestKeyFrames();
        },
        (error: unknown) => post({ type: 'error', message: `key not applied: ${String(error)}` }),
      );
      return;
    case 'encodedStreams':
      pipe(request.readable, request.writable, request);
      return;
  }
};

/** RFC 9605 §6.2: a keyframe right after a key change, so receivers that just got the key can decode. */
function requestKeyFrames(): void {
  let anyGenerated = false;
  for (const transformer of encryptTransformers) {
    if (transformer.generateKeyFrame === undefined) continue;
    anyGenerated = true;
    // Audio transformers reject generateKeyFrame(); that is expected and harmless.
    transformer.generateKeyFrame().catch(() => undefined);
  }
  if (!anyGenerated) post({ type: 'keyFrameNeeded' });
}

startStats(2000);
