/**
 * End-to-end decryption of recorded frames with the SDK's own SFrame code (packages/client/src/e2ee: FrameCrypto
 * and SharedKeyProvider use only WebCrypto, which Node has). The recorder holds the room secret like any
 * participant; the server only ever forwarded ciphertext. Only shared-secret mode for now.
 *
 * The client's e2ee module is type-checked with the DOM library; loaded here through a non-literal specifier so
 * this Node program does not type-check it, and described by the small interfaces below.
 */

/** Why a frame could not be decrypted (FrameCrypto's reasons, e.g. `no-key`, `auth-failed`, `replayed`). */
export type DecryptResult = { ok: true; data: Buffer } | { ok: false; reason: string };

/** Decrypts the frames of every sender in one room. */
export interface FrameDecryptor {
  decrypt(senderUserId: string, frame: Buffer, mimeType: string): Promise<DecryptResult>;
  close(): void;
}

interface KeyProviderLike {
  snapshot(): unknown[];
  subscribe(listener: (command: unknown) => void): () => void;
  close(): void;
}
interface FrameCryptoLike {
  apply(command: unknown): Promise<void>;
  decryptFrame(participantId: string, data: ArrayBuffer, codec: string): Promise<DecryptResultRaw>;
}
type DecryptResultRaw = { ok: true; data: ArrayBuffer } | { ok: false; reason: string };
interface E2eeModule {
  FrameCrypto: new () => FrameCryptoLike;
  SharedKeyProvider: {
    create(options: { secret: string; userId: string; roomId: string }): Promise<KeyProviderLike>;
  };
}

const E2EE_MODULE: string = '@conclave/client/e2ee';

/**
 * A decryptor for a shared-secret E2EE room. `roomKeyId` is the SDK's salt of the room key: `roomId:<n>` or
 * `strRoomId:<s>`.
 */
export async function sharedSecretDecryptor(options: {
  secret: string;
  recorderUserId: string;
  roomKeyId: string;
}): Promise<FrameDecryptor> {
  const e2ee = (await import(E2EE_MODULE)) as E2eeModule;
  const crypto = new e2ee.FrameCrypto();
  const provider = await e2ee.SharedKeyProvider.create({
    secret: options.secret,
    userId: options.recorderUserId,
    roomId: options.roomKeyId,
  });
  for (const command of provider.snapshot()) await crypto.apply(command);
  let applying = Promise.resolve();
  const unsubscribe = provider.subscribe((command) => {
    applying = applying.then(() => crypto.apply(command));
  });
  return {
    async decrypt(senderUserId, frame, mimeType) {
      await applying;
      const copy = new Uint8Array(frame.length);
      copy.set(frame);
      const result = await crypto.decryptFrame(senderUserId, copy.buffer, mimeType);
      return result.ok ? { ok: true, data: Buffer.from(result.data) } : { ok: false, reason: result.reason };
    },
    close() {
      unsubscribe();
      provider.close();
    },
  };
}

/** The room key salt the SDK uses for a room (room.ts: `roomKeyId`). */
export function roomKeyId(room: { roomId: number } | { strRoomId: string }): string {
  return 'roomId' in room ? `roomId:${room.roomId}` : `strRoomId:${room.strRoomId}`;
}
