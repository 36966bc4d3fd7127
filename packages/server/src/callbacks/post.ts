/**
 * One callback attempt: POST the raw body with TRTC's headers, a 5 s timeout, no redirects followed (a 3xx is
 * a failed attempt: the customer configured the URL, and following it could carry signed data elsewhere), and
 * the response body discarded unread.
 */
import { signCallback } from './signature.ts';

/** What an attempt came to. `httpStatus` is null when no response arrived. */
export interface PostResult {
  ok: boolean;
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  /** True when `signal` (the server stopping) cut the attempt short: not the receiver's failure. */
  aborted: boolean;
}

export async function postCallback(
  target: { url: string; key: string | null; sdkAppId: number },
  rawBody: string,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<PostResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', sdkappid: String(target.sdkAppId) };
  // Without a configured callback key there is nothing to sign with; the receiver sees no Sign header.
  if (target.key !== null) headers.sign = signCallback(target.key, rawBody);
  const started = performance.now();
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers,
      body: rawBody,
      redirect: 'manual',
      signal: AbortSignal.any([timeout, options.signal]),
    });
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      httpStatus: response.status,
      latencyMs: performance.now() - started,
      error: ok ? null : `HTTP ${response.status}`,
      aborted: false,
    };
  } catch (err) {
    const aborted = options.signal.aborted;
    const error = timeout.aborted ? `timeout after ${options.timeoutMs} ms` : networkError(err);
    return { ok: false, httpStatus: null, latencyMs: performance.now() - started, error, aborted };
  }
}

/** A short reason without the URL (it may carry credentials in its query). */
function networkError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return err instanceof Error ? err.name : 'network error';
}
