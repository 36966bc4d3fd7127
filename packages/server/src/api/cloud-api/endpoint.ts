/**
 * The TRTC Cloud API 3.0 endpoint: `POST /` with TC3-HMAC-SHA256, service `trtc`, version `2019-07-22`.
 * Order of checks: signature (constant time) → per-app rate → version and action → parameters → SdkAppId belongs
 * to the credentials → the action. Replays (docs/cloud-api.md): read-only actions (Describe*) simply run again, as
 * at Tencent; a mutating action runs once per (action, signature) while the request's timestamp is acceptable, and
 * a repeat gets the first answer. Only requests that passed the rate limit and every check reach the replay
 * memory, and each app has its own share of it. Answers have TRTC's shape and are always HTTP 200, as Tencent's
 * are: `{"Response":{...,"RequestId"}}` or `{"Response":{"Error":{"Code","Message"},"RequestId"}}`.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConclaveError } from '@conclave/protocol';
import { TC3_MAX_SKEW_SECONDS, verifyTc3 } from '../../auth/index.ts';
import type { AuditResult, AuditSink } from '../../audit/audit-entry.ts';
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
  /** Mutating requests remembered per app (see replay-cache.ts); default 60,000. */
  replayCapacityPerApp?: number;
  now?: () => number;
  /**
   * Where each call by a known SecretId is recorded as the customer's own access (`cloud_api.<Action>`). Not
   * awaited: the audit log batches appends, so the API does not wait for them.
   */
  audit?: AuditSink;
}

/** What the audit record of one call needs, filled in as the checks pass. */
interface CallFacts {
  credential?: ApiCredential;
  action?: string;
  params?: Record<string, unknown>;
}

// Refusals of access (as opposed to malformed or failed requests) are recorded as `denied`.
const DENIED: ReadonlySet<string> = new Set([
  'API_AUTH_MISSING',
  'API_SIGNATURE_INVALID',
  'API_SIGNATURE_EXPIRED',
  'API_RATE_LIMITED',
  'API_UNAUTHORIZED_APP',
]);
const ACTION_NAME = /^[A-Za-z0-9]{1,64}$/;

const REPLAY_MEMORY_FULL = 'Too many mutating API requests for this app within 10 minutes';

const SECRET_ID_RE = /Credential=([A-Za-z0-9_-]{1,128})\//;

export function registerCloudApi(app: FastifyInstance, options: CloudApiOptions): void {
  const actions = new Map(options.actions.map((a) => [a.name, a]));
  const now = options.now ?? Date.now;
  const replays = new ReplayCache<Record<string, unknown>>({ capacityPerApp: options.replayCapacityPerApp ?? 60_000 });
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

  async function handle(request: FastifyRequest<{ Body: Buffer }>, facts: CallFacts): Promise<Record<string, unknown>> {
    const authorization = request.headers.authorization ?? '';
    const secretId = SECRET_ID_RE.exec(authorization)?.[1];
    const credential = secretId ? await options.credentials.find(secretId) : undefined;
    if (credential) facts.credential = credential;
    const actionHeader = String(request.headers['x-tc-action'] ?? '');
    facts.action = ACTION_NAME.test(actionHeader) ? actionHeader : 'unknown';
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verified = verifyTc3(
      { method: request.method, url: request.url, headers: request.headers, body },
      (id) => (credential && id === credential.secretId ? credential.secretKey : undefined),
      Math.floor(now() / 1000),
    );
    if (!credential) throw new ConclaveError('API_SECRET_ID_UNKNOWN');
    if (!bucketFor(credential.sdkAppId).tryTake(1)) throw new ConclaveError('API_RATE_LIMITED');

    const version = request.headers['x-tc-version'];
    if (version !== CLOUD_API_VERSION) throw new ConclaveError('API_UNSUPPORTED_VERSION');
    const name = actionHeader;
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
    facts.params = params.data as Record<string, unknown>;
    if (params.data.SdkAppId !== credential.sdkAppId) throw new ConclaveError('API_UNAUTHORIZED_APP');
    const run = () => action.run(params.data, { sdkAppId: credential.sdkAppId, now: now() });
    if (action.readOnly) return run();

    // TC3 does not sign X-TC-Action: the same signed body may legitimately come under two actions.
    const key = `${name} ${verified.signature}`;
    // Remembered for as long as verifyTc3 accepts this timestamp: until the end of second timestamp + skew.
    const expiresAt = (verified.timestamp + TC3_MAX_SKEW_SECONDS + 1) * 1000;
    const answer = replays.answer(credential.sdkAppId, key, expiresAt, now(), run);
    if (answer === undefined) throw new ConclaveError('API_RATE_LIMITED', REPLAY_MEMORY_FULL);
    return answer.catch((error: unknown) => {
      // A failure of ours, not of the request: let the caller retry it.
      if (!(error instanceof ConclaveError) || error.code === 'INTERNAL') replays.forget(credential.sdkAppId, key);
      throw error;
    });
  }

  // Only callers whose SecretId is known are recorded: an unknown one is nobody's access (and would let anyone
  // fill the log).
  function audit(request: FastifyRequest, facts: CallFacts, result: AuditResult, detail?: string): void {
    const { credential } = facts;
    if (options.audit === undefined || credential === undefined) return;
    const roomId = facts.params?.['RoomId'];
    const userId = facts.params?.['UserId'];
    void options.audit.append({
      actor: { kind: 'customer', id: credential.secretId, sdkAppId: credential.sdkAppId },
      action: `cloud_api.${facts.action ?? 'unknown'}`,
      target: {
        sdkAppId: credential.sdkAppId,
        ...(typeof roomId === 'string' || typeof roomId === 'number' ? { roomId: String(roomId) } : {}),
        ...(typeof userId === 'string' ? { userId } : {}),
      },
      sourceIp: request.ip,
      result,
      ...(detail !== undefined ? { detail } : {}),
    });
  }

  app.register(async (scope) => {
    // The signature covers the exact body bytes, so keep them as received.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post('/', async (request, reply) => {
      const requestId = crypto.randomUUID();
      const facts: CallFacts = {};
      try {
        const result = await handle(request as FastifyRequest<{ Body: Buffer }>, facts);
        audit(request, facts, 'ok');
        return reply.send({ Response: { ...result, RequestId: requestId } });
      } catch (error) {
        const known = error instanceof ConclaveError ? error : new ConclaveError('INTERNAL');
        if (!(error instanceof ConclaveError)) options.log.error({ err: error }, 'cloud api action failed');
        audit(request, facts, DENIED.has(known.code) ? 'denied' : 'error', known.code);
        const Code = trtcErrorCode(known.code, known.details);
        return reply.send({ Response: { Error: { Code, Message: known.message }, RequestId: requestId } });
      }
    });
  });
}
