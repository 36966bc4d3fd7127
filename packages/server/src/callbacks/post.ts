/**
 * One callback attempt: POST the raw body with TRTC's headers, a 5 s timeout, no redirects followed (a 3xx is
 * a failed attempt: the customer configured the URL, and following it could carry signed data elsewhere), and
 * the response body discarded unread. Every attempt passes the callback network policy (url-policy.ts): the URL
 * is checked, and the connection goes only to addresses the policy's `lookup` checked — a refusal is final
 * (`refused`), not retried.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ConclaveError } from '@conclave/protocol';
import { signCallback } from './signature.ts';
import { hostOf, type CallbackUrlPolicy } from './url-policy.ts';

/** What an attempt came to. `httpStatus` is null when no response arrived. */
export interface PostResult {
  ok: boolean;
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  /** True when `signal` (the server stopping) cut the attempt short: not the receiver's failure. */
  aborted: boolean;
  /** True when the network policy refused the URL or its addresses: retrying cannot help. */
  refused: boolean;
}

/** The most of a response body read (and discarded) so a kept-alive connection can be reused. */
const MAX_DRAINED_BYTES = 64 * 1024;

/** Posts callbacks through keep-alive agents whose every new connection is resolved by the policy's lookup. */
export class CallbackPoster {
  readonly #policy: CallbackUrlPolicy;
  readonly #http: http.Agent;
  readonly #https: https.Agent;

  constructor(policy: CallbackUrlPolicy) {
    this.#policy = policy;
    // Agent options reach every socket it creates, so pooled connections were all made through the policy.
    this.#http = new http.Agent({ keepAlive: true, lookup: policy.lookup });
    this.#https = new https.Agent({ keepAlive: true, lookup: policy.lookup });
  }

  async post(
    target: { url: string; key: string | null; sdkAppId: number },
    rawBody: string,
    options: { timeoutMs: number; signal: AbortSignal },
  ): Promise<PostResult> {
    const started = performance.now();
    const result = (r: Partial<PostResult>): PostResult => ({
      ok: false,
      httpStatus: null,
      latencyMs: performance.now() - started,
      error: null,
      aborted: false,
      refused: false,
      ...r,
    });
    let url: URL;
    try {
      url = this.#policy.check(target.url);
      // An IP literal is connected to without a lookup: check it here.
      const host = hostOf(url);
      const refusal = net.isIP(host) === 0 ? null : this.#policy.addressRefusal(host);
      if (refusal !== null) throw new ConclaveError('CALLBACK_URL_DENIED', refusal);
    } catch (err) {
      return result({ error: refusedReason(err), refused: true });
    }

    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(rawBody)),
      sdkappid: String(target.sdkAppId),
    };
    // Without a configured callback key there is nothing to sign with; the receiver sees no Sign header.
    if (target.key !== null) headers.sign = signCallback(target.key, rawBody);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const secure = url.protocol === 'https:';
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const request = (secure ? https : http).request(
          url,
          {
            method: 'POST',
            headers,
            agent: secure ? this.#https : this.#http,
            signal: AbortSignal.any([timeout, options.signal]),
          },
          (response) => {
            resolve(response.statusCode ?? 0);
            let drained = 0;
            response.on('data', (chunk: Buffer) => {
              drained += chunk.length;
              if (drained > MAX_DRAINED_BYTES) response.destroy();
            });
            response.on('error', () => undefined);
          },
        );
        request.on('error', reject);
        request.end(rawBody);
      });
      const ok = status >= 200 && status < 300;
      return result({ ok, httpStatus: status, error: ok ? null : `HTTP ${status}` });
    } catch (err) {
      if (isDenied(err)) return result({ error: refusedReason(err), refused: true });
      const aborted = options.signal.aborted;
      const error = timeout.aborted ? `timeout after ${options.timeoutMs} ms` : networkError(err);
      return result({ error, aborted });
    }
  }

  /** Closes pooled connections. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

function isDenied(err: unknown): boolean {
  return err instanceof ConclaveError && err.code === 'CALLBACK_URL_DENIED';
}

function refusedReason(err: unknown): string {
  if (isDenied(err)) return `CALLBACK_URL_DENIED: ${(err as Error).message}`;
  throw err;
}

/** A short reason without the URL (it may carry credentials in its query). */
function networkError(err: unknown): string {
  const code = (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'network error';
}
