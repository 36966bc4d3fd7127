/** The on-premises recorder: a key-holding participant that records a room to the customer's storage. */
export { Recorder, type RecorderOptions, type RoomRef, type StopReason } from './recorder.ts';
export { LocalDirectoryStorage, type StoredFile } from './storage.ts';
export * from './mix/index.ts';
export { recordLimits, recordParamsSchema, type RecordLimits, type RecordParams } from './record-params.ts';
export { sharedSecretDecryptor, roomKeyId, type FrameDecryptor } from './frame-decryptor.ts';
