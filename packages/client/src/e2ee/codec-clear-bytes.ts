/**
 * How many leading bytes of an encoded frame stay in clear, per codec, so the SFU (mediasoup) and the
 * browsers' RTP packetizers keep working. The clear bytes are passed to SFrame as metadata, so they are
 * authenticated: a changed clear byte makes the frame fail to decrypt. See WHAT-THE-SERVER-SEES.md.
 *
 * The receiver computes the same count from the clear bytes themselves, so nothing else is signalled.
 */
import { E2eeError } from './errors.ts';

/** Codecs that can be end-to-end encrypted. */
export type E2eeCodec = 'opus' | 'vp8';

/** Codecs known not to survive frame encryption here (their packetizer or the SFU parses the payload). */
export const UNSUPPORTED_CODECS: readonly string[] = ['h264', 'h265', 'av1', 'vp9'];

/** VP8 frame tag (RFC 6386 §9.1): 3 bytes on every frame. */
const VP8_FRAME_TAG = 3;
/** VP8 keyframe: frame tag + start code 9d 01 2a + 2-byte width + 2-byte height. */
const VP8_KEYFRAME_HEADER = 10;
/** Opus: the TOC byte (RFC 6716 §3.1). */
const OPUS_TOC = 1;

/** The {@link E2eeCodec} of an RTP mime type (`video/VP8`, `audio/opus`), or `undefined` if unsupported. */
export function e2eeCodecOf(mimeType: string): E2eeCodec | undefined {
  const subtype = mimeType.toLowerCase().split('/').pop();
  return subtype === 'opus' || subtype === 'vp8' ? subtype : undefined;
}

/** Throws `E2EE_UNSUPPORTED_CODEC` unless `codec` is an {@link E2eeCodec}. */
export function requireE2eeCodec(codec: string): E2eeCodec {
  const known = e2eeCodecOf(codec);
  if (known === undefined) throw new E2eeError('E2EE_UNSUPPORTED_CODEC', codec);
  return known;
}

/**
 * The number of leading bytes of `frame` left in clear (never more than the frame's length).
 *
 * - VP8: the 3-byte frame tag on every frame — its P bit is how mediasoup tells keyframes, which it needs
 *   to switch simulcast layers; on keyframes 10 bytes (tag, start code, dimensions), which keyframe
 *   parsers downstream of the depacketizer expect to find intact.
 * - Opus: the TOC byte — mode, bandwidth, frame duration and stereo flag; it lets the SFU and jitter
 *   buffers see packet duration and DTX/FEC configuration, and leaks little beyond what the audio-level
 *   extension already shows. The rest of the frame (all the speech) is encrypted.
 */
export function clearByteCount(codec: E2eeCodec, frame: Uint8Array): number {
  const first = frame[0];
  if (first === undefined) return 0;
  if (codec === 'opus') return Math.min(OPUS_TOC, frame.length);
  const isKeyFrame = (first & 0x01) === 0; // frame tag bit 0 is "P", 0 for a keyframe
  return Math.min(isKeyFrame ? VP8_KEYFRAME_HEADER : VP8_FRAME_TAG, frame.length);
}
