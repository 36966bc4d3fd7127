/**
 * Profile changes while publishing (`updateLocalVideo`/`updateLocalAudio` with a new `profile`): the sender's
 * bitrate and frame-rate ceilings follow the new profile without renegotiating. The camera's big layer is the
 * last encoding (simulcast sends the small one first); the small layer keeps its own ceiling.
 */

/** The ceilings of a profile. */
export interface EncoderLimits {
  maxBitrateKbps?: number;
  maxFramerate?: number;
}

/** The encodings with the top layer's ceilings replaced; the others are returned unchanged. */
export function withEncoderLimits<E extends { maxBitrate?: number; maxFramerate?: number }>(
  encodings: readonly E[],
  limits: EncoderLimits,
): E[] {
  return encodings.map((encoding, i) => {
    if (i !== encodings.length - 1) return encoding;
    const next = { ...encoding };
    if (limits.maxBitrateKbps !== undefined) next.maxBitrate = Math.round(limits.maxBitrateKbps * 1000);
    if (limits.maxFramerate !== undefined) next.maxFramerate = limits.maxFramerate;
    return next;
  });
}

/** Applies `limits` to a live sender (no renegotiation). */
export async function applyEncoderLimits(sender: RTCRtpSender, limits: EncoderLimits): Promise<void> {
  const params = sender.getParameters();
  if (!params.encodings?.length) return;
  params.encodings = withEncoderLimits(params.encodings, limits);
  await sender.setParameters(params);
}
