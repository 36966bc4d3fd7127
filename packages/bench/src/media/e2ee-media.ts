/**
 * The E2EE variant of the bench media: what a Conclave client with E2EE on sends. Each plain clip is cut into
 * encoded frames, every frame is encrypted by the SDK's own `FrameCrypto` (RFC 9605 SFrame,
 * AES_128_GCM_SHA256_128, the codec's clear bytes kept in front), and the frames are packetised again the way
 * ffmpeg packetised the plain ones. RTP timestamps, marker bits and send times stay as they were.
 *
 * The key is a fixed test key, the KID has the shape of the SDK's shared-mode KIDs (48 random bits and an 8-bit
 * generation, so a 7-byte KID in every header), and each clip's counter starts at 0 and restarts whenever
 * the peer loops the clip. Nobody decrypts the bench's media; never reuse counters like this with a real key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clip } from './cbrt.ts';
import { depacketise, packetise, type RtpCodec } from './rtp-frames.ts';

const E2EE_SOURCES = new URL('../../../client/src/e2ee/', import.meta.url);

/** The result of {@link SdkFrameCrypto.encryptFrame} and `decryptFrame` (the SDK's `FrameResult`). */
export type FrameResult =
  | { readonly ok: true; readonly data: ArrayBuffer }
  | { readonly ok: false; readonly reason: string };

/** The part of the SDK's `FrameCrypto` (packages/client/src/e2ee/frame-transform.ts) the bench uses. */
export interface SdkFrameCrypto {
  apply(
    command:
      | { type: 'setSenderKey'; kid: bigint; baseKey: Uint8Array }
      | {
          type: 'setReceiverKey';
          participantId: string;
          kid: bigint;
          baseKey: Uint8Array;
          step: bigint;
          ratchetBits: number;
        },
  ): Promise<void>;
  encryptFrame(data: ArrayBuffer, codec: string): Promise<FrameResult>;
  decryptFrame(participantId: string, data: ArrayBuffer, codec: string): Promise<FrameResult>;
}

/** SFrame suite AES_128_GCM_SHA256_128 (RFC 9605 §8.1), the SDK's default. */
export const BENCH_E2EE_SUITE = 0x0004;

/**
 * The SDK's `FrameCrypto` class, loaded at run time. As in test/e2e/e2ee.test.ts, the specifier is not a literal
 * so that this Node-typed program does not type-check the client's DOM-typed WebCrypto code.
 */
export async function loadSdkFrameCrypto(): Promise<new (suite: number) => SdkFrameCrypto> {
  const specifier: string = new URL('frame-transform.ts', E2EE_SOURCES).href;
  const { FrameCrypto } = (await import(specifier)) as { FrameCrypto?: new (suite: number) => SdkFrameCrypto };
  if (typeof FrameCrypto !== 'function') throw new Error(`${specifier} no longer exports FrameCrypto`);
  return FrameCrypto;
}

/** The fixed sender key of every E2EE clip ("bench1" as the KID's random part, generation 0). */
export const BENCH_E2EE_KEY = {
  kid: 0x62656e636831n << 8n,
  baseKey: new Uint8Array(crypto.createHash('sha256').update('conclave bench e2ee test key').digest()),
} as const;

/** RTP packets as large as ffmpeg makes them for the plain clips (its `pkt_size`, RTP header included). */
export const MAX_RTP_PACKET_BYTES = 1200;

const MIME_TYPE: Record<RtpCodec, string> = { opus: 'audio/opus', vp8: 'video/VP8' };

/** A FrameCrypto holding the bench's sender key, as the SDK's worker holds the local participant's. */
export async function benchFrameCrypto(): Promise<SdkFrameCrypto> {
  const frameCrypto = new (await loadSdkFrameCrypto())(BENCH_E2EE_SUITE);
  await frameCrypto.apply({ type: 'setSenderKey', kid: BENCH_E2EE_KEY.kid, baseKey: BENCH_E2EE_KEY.baseKey });
  return frameCrypto;
}

/**
 * The clip a client with E2EE on would send: depacketise, encrypt each frame, packetise again in packets of at
 * most `maxPacketBytes`. Throws if FrameCrypto drops a frame (the SDK would not send it, and a clip with holes
 * would not be the same load).
 */
export async function encryptClip(
  clip: Clip,
  codec: RtpCodec,
  options: { frameCrypto?: SdkFrameCrypto; maxPacketBytes?: number } = {},
): Promise<{ clip: Clip; frames: number; incompleteFrames: number }> {
  const frameCrypto = options.frameCrypto ?? (await benchFrameCrypto());
  const { frames, incomplete } = depacketise(clip.packets, codec);
  const encrypted = [];
  for (const frame of frames) {
    // A copy: `frame.data` may be a view into a larger buffer (a Node Buffer's `slice` would not copy).
    const result = await frameCrypto.encryptFrame(new Uint8Array(frame.data).buffer, MIME_TYPE[codec]);
    if (!result.ok) throw new Error(`FrameCrypto dropped a ${codec} frame at ${frame.offsetUs} µs: ${result.reason}`);
    encrypted.push({ ...frame, data: new Uint8Array(result.data) });
  }
  const packets = packetise(encrypted, codec, options.maxPacketBytes ?? MAX_RTP_PACKET_BYTES);
  return { clip: { ...clip, packets }, frames: frames.length, incompleteFrames: incomplete };
}

const OWN_SOURCES = ['e2ee-media.ts', 'rtp-frames.ts', 'cbrt.ts'].map((f) =>
  fileURLToPath(new URL(f, import.meta.url)),
);

/**
 * A short hash of everything an E2EE clip depends on: the SDK's e2ee sources, this packetiser, and the plain
 * clips. The E2EE clips are cached under it, so changing any of them makes new ones.
 */
export function e2eeMediaVersion(plainClips: readonly string[]): string {
  const hash = crypto.createHash('sha256');
  for (const file of [...sourceFiles(fileURLToPath(E2EE_SOURCES)), ...OWN_SOURCES, ...plainClips]) {
    hash.update(path.basename(file)).update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 12);
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(full);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
    });
}
