/** The on-premises recorder: a key-holding participant that records a room to the customer's storage. */
export {
  Recorder,
  type RecorderModification,
  type RecorderOptions,
  type RoomRef,
  type StopReason,
} from './recorder.ts';
export { LocalDirectoryStorage, type StoredFile } from './storage.ts';
export {
  recordLimits,
  recordParamsSchema,
  subscribeStreamUserIdsSchema,
  type RecordLimits,
  type RecordParams,
  type SubscribeStreamUserIds,
} from './record-params.ts';
export {
  CloudUploader,
  cloudStorageEndpoint,
  cloudStorageSchema,
  type CloudStorageParams,
  type CloudUploaderOptions,
  type UploadedFile,
} from './cloud-storage.ts';
export * from './mix/index.ts';
export { sharedSecretDecryptor, roomKeyId, type FrameDecryptor } from './frame-decryptor.ts';
