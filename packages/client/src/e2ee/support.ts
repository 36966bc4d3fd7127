/** Feature detection for the SDK: which encoded-transform API this browser offers, if any. */

/** `script-transform`: `RTCRtpScriptTransform` (preferred); `encoded-streams`: legacy `createEncodedStreams()`. */
export type E2eeSupport = 'script-transform' | 'encoded-streams' | 'none';

interface TransformGlobals {
  readonly RTCRtpScriptTransform?: unknown;
  readonly RTCRtpSender?: { readonly prototype: object };
}

/** What the current browser (or `globals`, in tests) supports for end-to-end encryption. */
export function e2eeSupport(globals: TransformGlobals = globalThis as TransformGlobals): E2eeSupport {
  if (typeof globals.RTCRtpScriptTransform === 'function') return 'script-transform';
  const prototype = globals.RTCRtpSender?.prototype;
  if (prototype !== undefined && 'createEncodedStreams' in prototype) return 'encoded-streams';
  return 'none';
}

/** Whether WebCrypto offers X25519, which the managed-keys mode needs (Chromium 133+, Firefox 130+, Safari 17+). */
export async function managedKeysSupported(): Promise<boolean> {
  try {
    await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
    return true;
  } catch {
    return false;
  }
}
