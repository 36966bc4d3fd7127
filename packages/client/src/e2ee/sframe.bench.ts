/**
 * SFrame encrypt + decrypt throughput on one core (issue 4's benchmark; target ≥ 5,000 video frames/s).
 *   node --import tsx packages/client/src/e2ee/sframe.bench.ts
 */
import { randomBytes } from './bytes.ts';
import { FrameCrypto } from './frame-transform.ts';
import { CipherSuiteId, type CipherSuiteId as SuiteId } from './sframe/cipher-suites.ts';

async function measure(suite: SuiteId, codec: 'opus' | 'vp8', size: number, frames: number): Promise<number> {
  const baseKey = randomBytes(64);
  const sender = new FrameCrypto(suite);
  await sender.apply({ type: 'setSenderKey', kid: 1n, baseKey });
  const receiver = new FrameCrypto(suite);
  await receiver.apply({ type: 'setReceiverKey', participantId: 'a', kid: 1n, baseKey, step: 0n, ratchetBits: 0 });
  const frame = randomBytes(size);
  frame[0] = 0x31; // a VP8 delta frame tag / an Opus TOC
  const start = performance.now();
  for (let i = 0; i < frames; i++) {
    const sent = await sender.encryptFrame(frame.slice().buffer, codec);
    if (!sent.ok || !(await receiver.decryptFrame('a', sent.data, codec)).ok) throw new Error('round trip failed');
  }
  return frames / ((performance.now() - start) / 1000);
}

for (const [name, suite] of [
  ['AES_128_GCM_SHA256_128', CipherSuiteId.AES_128_GCM_SHA256_128],
  ['AES_128_CTR_HMAC_SHA256_80', CipherSuiteId.AES_128_CTR_HMAC_SHA256_80],
] as const) {
  const audio = await measure(suite, 'opus', 1200, 20_000);
  const video = await measure(suite, 'vp8', 30_000, 5_000);
  console.log(`${name}: 1,200 B audio ${Math.round(audio)} frames/s; 30 KB video ${Math.round(video)} frames/s`);
}
