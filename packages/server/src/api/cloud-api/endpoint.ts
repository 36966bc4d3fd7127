/**
 * The TRTC Cloud API 3.0 endpoint: `POST /` with TC3-HMAC-SHA256, service `trtc`, version `2019-07-22`.
 * Order of checks: signature (constant time) → replay → per-app rate → version and action → parameters →
 * SdkAppId belongs to the credentials → the action. TC3 does not sign X-TC-Action, so a captured request could be
 * re-sent under another action name: the replay cache therefore keys on the signature alone, and a signed body is
 * accepted once, whatever action it claims. Answers have TRTC's shape and are always HTTP 200, as
 * Tencent's are: `{"Response":{...,"RequestId"}}` or `{"Response":{"Error":{"Code","Message"},"RequestId"}}`.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import { TC3_MAX_SKEW_SECONDS, verifyTc3 } from '../../auth/index.ts';
import type { Logger } from '../../logger.ts';
import { TokenBucket } from '../../rooms/index.ts';
import { parameterError, type CloudAction } from './action.ts';
import { ReplayCache } from './replay-cache.ts';
import { trtcErrorCode } from './trtc-errors.ts';

export const CLOUD_API_VERSION = '2019-07-22';

/** API credentials bound to one app (stored like app secrets by the app registry). */
export interface ApiCredential {
  secretId: string;
  secretKey: string;
  sdkAppId: number;
}

export interface ApiCredentialLookup {
  find(secretId: string): Promise<ApiCredential | undefined>;
}

export interface CloudApiOptions {
  actions: CloudAction[];
  credentials: ApiCredentialLookup;
  requestsPerSecondPerApp: number;
  log: Logger;
  now?: () => number;
}

const SECRET_ID_RE = /Credential=([A-Za-z0-9_-]{1,128})\//;

export function registerCloudApi(app: FastifyInstance, options: CloudApiOptions): void {
  const actions = new Map(options.actions.map((a) => [a.name, a]));
  const now = options.now ?? Date.now;
  const replays = new ReplayCache({ capacity: 200_000, windowMs: 2 * TC3_MAX_SKEW_SECONDS * 1000 });
  const buckets = new Map<number, TokenBucket>();
  const bucketFor = (sdkAppId: number): TokenBucket => {
    let bucket = buckets.get(sdkAppId);
    if (!bucket) {
      const rate = options.requestsPerSecondPerApp;
      bucket = new TokenBucket({ capacity: rate * 2, refillPerSecond: rate, now });
      buckets.set(sdkAppId, bucket);
    }
    return bucket;
  };

  async function handle(request: FastifyRequest<{ Body: Buffer }>): Promise<Record<string, unknown>> {
    const authorization = request.headers.authorization ?? '';
    const secretId = SECRET_ID_RE.exec(authorization)?.[1];
    const credential = secretId ? await options.credentials.find(secretId) : undefined;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verified = verifyTc3(
      { method: request.method, url: request.url, headers: request.headers, body },
      (id) => (credential && id === credential.secretId ? credential.secretKey : undefined),
      Math.floor(now() / 1000),
    );
    if (!credential) throw new ConclaveError('API_SECRET_ID_UNKNOWN');
    const replay = replays.check(verified.signature, now());
    if (replay === 'replayed') throw new ConclaveError('API_REQUEST_REPLAYED');
    if (replay === 'full' || !bucketFor(credential.sdkAppId).tryTake(1)) throw new ConclaveError('API_RATE_LIMITED');

    const version = request.headers['x-tc-version'];
    if (version !== CLOUD_API_VERSION) throw new ConclaveError('API_UNSUPPORTED_VERSION');
    const name = String(request.headers['x-tc-action'] ?? '');
    const action = actions.get(name);
    if (!action) throw new ConclaveError('API_UNKNOWN_ACTION', `the action "${name.slice(0, 64)}" is not known`);

    let raw: unknown;
    try {
      raw = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      throw new ConclaveError('API_INVALID_PARAMETER', 'the body is not JSON', { details: { field: 'Body' } });
    }
    const params = action.params.safeParse(raw);
    if (!params.success) throw parameterError(params.error);
    if (params.data.SdkAppId !== credential.sdkAppId) throw new ConclaveError('API_UNAUTHORIZED_APP');
    return action.run(params.data, { sdkAppId: credential.sdkAppId, now: now() });
  }

  app.register(async (scope) => {
    // The signature covers the exact body bytes, so keep them as received.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post('/', async (request, reply) => {
      const requestId = crypto.randomUUID();
      try {
        const result = await handle(request as FastifyRequest<{ Body: Buffer }>);
        return reply.send({ Response: { ...result, RequestId: requestId } });
      } catch (error) {
        const known = error instanceof ConclaveError ? error : new ConclaveError('INTERNAL');
        if (!(error instanceof ConclaveError)) options.log.error({ err: error }, 'cloud api action failed');
        const Code = trtcErrorCode(known.code, known.details);
        return reply.send({ Response: { Error: { Code, Message: known.message }, RequestId: requestId } });
      }
    });
  });
}
