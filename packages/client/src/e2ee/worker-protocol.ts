/**
 * Messages between the SDK (main thread) and the e2ee worker. Values cross `postMessage` by structured
 * clone, which carries bigint, Uint8Array and (transferred) streams as they are.
 *
 * Attaching a transform:
 * - `RTCRtpScriptTransform`: `sender.transform = new RTCRtpScriptTransform(worker, options)` and the same
 *   for receivers, with {@link TransformOptions} as `options`.
 * - legacy encoded streams (peer connection made with `encodedInsertableStreams: true`):
 *   `const { readable, writable } = sender.createEncodedStreams()`, then post an
 *   {@link EncodedStreamsRequest} with both streams in the transfer list.
 */
import type { KeyCommand } from './key-provider.ts';
import type { DropStats } from './frame-transform.ts';

/** What one transform does: encrypt the local participant's media or decrypt one remote participant's. */
export interface TransformOptions {
  readonly operation: 'encrypt' | 'decrypt';
  /** The sender's userId (for `encrypt`, the local one; used in shared mode's key derivation). */
  readonly participantId: string;
  /** `opus` or `vp8`; when absent, the frame's metadata mimeType decides. */
  readonly codec?: string;
}

/** Legacy path: the encoded streams of one sender or receiver, transferred to the worker. */
export interface EncodedStreamsRequest extends TransformOptions {
  readonly type: 'encodedStreams';
  readonly readable: ReadableStream;
  readonly writable: WritableStream;
}

/** Messages the SDK posts to the worker. */
export type WorkerRequest =
  /** First message: the room's cipher suite and how often to report drops. */
  | { readonly type: 'init'; readonly cipherSuite: number; readonly statsIntervalMs?: number }
  /** A key change from the key provider. */
  | { readonly type: 'key'; readonly command: KeyCommand }
  | EncodedStreamsRequest;

/** Messages the worker posts to the SDK. */
export type WorkerEvent =
  /** Frames dropped since the last report, by participant ('' = local sender) and reason. */
  | { readonly type: 'stats'; readonly drops: DropStats }
  /** The sender key changed on a path without `generateKeyFrame()`: the SDK should request a keyframe. */
  | { readonly type: 'keyFrameNeeded' }
  /** A request the worker could not use (a bug in the SDK, not an attack: only the SDK posts here). */
  | { readonly type: 'error'; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Validates options handed to a transform. */
export function parseTransformOptions(value: unknown): TransformOptions | undefined {
  if (!isRecord(value)) return undefined;
  const { operation, participantId, codec } = value;
  if (operation !== 'encrypt' && operation !== 'decrypt') return undefined;
  if (typeof participantId !== 'string') return undefined;
  if (codec !== undefined && typeof codec !== 'string') return undefined;
  return codec === undefined ? { operation, participantId } : { operation, participantId, codec };
}

/** Validates a posted request (shape only: the SDK is the only sender). */
export function parseWorkerRequest(value: unknown): WorkerRequest | undefined {
  if (!isRecord(value)) return undefined;
  switch (value['type']) {
    case 'init':
      return typeof value['cipherSuite'] === 'number' ? (value as WorkerRequest) : undefined;
    case 'key':
      return isRecord(value['command']) && typeof value['command']['type'] === 'string'
        ? (value as WorkerRequest)
        : undefined;
    case 'encodedStreams': {
      const options = parseTransformOptions(value);
      const { readable, writable } = value;
      if (options === undefined || !isRecord(readable) || !isRecord(writable)) return undefined;
      return value as unknown as EncodedStreamsRequest;
    }
    default:
      return undefined;
  }
}
