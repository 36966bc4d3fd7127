/**
 * Conclave end-to-end encryption (RFC 9605 SFrame). What the SDK uses:
 *
 * - feature detection: {@link e2eeSupport}, {@link managedKeysSupported};
 * - key providers: {@link SharedKeyProvider} (`mode: 'shared'`), {@link KeyDistributor} (`mode: 'managed'`),
 *   both {@link KeyProvider}s whose {@link KeyCommand}s go to the worker as `{ type: 'key', command }`;
 * - the worker: `e2ee-worker.ts` as a separate bundle entry, spoken to with {@link WorkerRequest} /
 *   {@link WorkerEvent};
 * - codec rules: {@link e2eeCodecOf}, {@link requireE2eeCodec} (Opus and VP8 only).
 */
export { e2eeSupport, managedKeysSupported, type E2eeSupport } from './support.ts';
export type { KeyCommand, KeyProvider } from './key-provider.ts';
export { SharedKeyProvider, type SharedKeyProviderOptions } from './shared-key-provider.ts';
export { KeyDistributor, type KeyDistributorOptions, type KeyHolder } from './managed/key-distributor.ts';
export { MAX_KEY_MESSAGE_LENGTH } from './managed/key-message.ts';
export { keyFingerprint, securityCode, type SecurityCodeEntry } from './managed/security-code.ts';
export {
  clearByteCount,
  e2eeCodecOf,
  requireE2eeCodec,
  UNSUPPORTED_CODECS,
  type E2eeCodec,
} from './codec-clear-bytes.ts';
export { FrameCrypto, type DropStats, type FrameDropReason, type FrameResult } from './frame-transform.ts';
export type { EncodedStreamsRequest, TransformOptions, WorkerEvent, WorkerRequest } from './worker-protocol.ts';
export { CipherSuiteId, DEFAULT_CIPHER_SUITE } from './sframe/cipher-suites.ts';
export { E2eeError, E2eeErrorCodes, type E2eeErrorCode } from './errors.ts';
