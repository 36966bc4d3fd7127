/**
 * Property tests of the Cloud API edge (issue 15, item 3), in process (light-my-request, no socket): signed
 * requests with arbitrary bodies for every real action, and valid requests with one header mutated. The
 * endpoint always answers in TRTC's shape with HTTP 200, never with InternalError; an action runs only when its
 * schema accepts the body, and never when the signature or the signed timestamp was changed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { tc3Date, tc3Signature } from '../../auth/index.ts';
import { createLogger } from '../../logger.ts';
import { localRoomManagement, RoomDirectory } from '../../rooms/index.ts';
import type { RegionStores } from '../../storage/regions.ts';
import { describeActions } from './describe-actions.ts';
import { registerCloudApi, type ApiCredential } from './endpoint.ts';
import { roomActions } from './room-actions.ts';
import type { CloudAction } from './action.ts';

const APP: ApiCredential = { secretId: 'AKIDfuzz', secretKey: 'key-of-the-fuzzed-app', sdkAppId: 1400000201 };
const T = 1_760_000_000;

/** The real actions' parameter schemas; their work is replaced by a recorder (no store behind them). */
function recordedActions(runs: string[]): CloudAction[] {
  const real = [...roomActions(localRoomManagement(new RoomDirectory())), ...describeActions({} as RegionStores)];
  return real.map((a) => ({
    ...a,
    run: async () => {
      runs.push(a.name);
      return {};
    },
  }));
}

function start(runs: string[]): FastifyInstance {
  const app = Fastify();
  registerCloudApi(app, {
    actions: recordedActions(runs),
    credentials: { find: async (id) => (id === APP.secretId ? APP : undefined) },
    requestsPerSecondPerApp: 1_000_000,
    log: createLogger('silent'),
    now: () => T * 1000,
  });
  return app;
}

function signed(action: string, body: string, timestamp = T): { headers: Record<string, string>; body: string } {
  const signature = tc3Signature({
    method: 'POST',
    path: '/',
    query: '',
    canonicalHeaders: 'content-type:application/json\nhost:localhost\n',
    signedHeaders: 'content-type;host',
    body,
    timestamp,
    service: 'trtc',
    secretKey: APP.secretKey,
  });
  const scope = `${APP.secretId}/${tc3Date(timestamp)}/trtc/tc3_request`;
  return {
    body,
    headers: {
      host: 'localhost',
      'content-type': 'application/json',
      'x-tc-action': action,
      'x-tc-version': '2019-07-22',
      'x-tc-timestamp': String(timestamp),
      authorization: `TC3-HMAC-SHA256 Credential=${scope}, SignedHeaders=content-type;host, Signature=${signature}`,
    },
  };
}

interface Response {
  Error?: { Code: string; Message: string };
  RequestId: string;
}

async function send(app: FastifyInstance, request: { headers: Record<string, string>; body: string }) {
  const res = await app.inject({ method: 'POST', url: '/', headers: request.headers, payload: request.body });
  assert.equal(res.statusCode, 200, res.body);
  const response = (res.json() as { Response: Response }).Response;
  assert.equal(typeof response.RequestId, 'string');
  assert.notEqual(response.Error?.Code, 'InternalError', JSON.stringify(response));
  return response;
}

const runsLength = (runs: string[]) => runs.length;
const ACTIONS = recordedActions([]);
const FIELDS = [
  'SdkAppId',
  'RoomId',
  'UserIds',
  'UserId',
  'StartTime',
  'EndTime',
  'CommId',
  'PageNumber',
  'PageSize',
  'DataType',
];

describe('Cloud API edge: properties', () => {
  test('property: any body under any action runs the action only when its schema accepts it', async () => {
    const runs: string[] = [];
    const app = start(runs);
    const value = fc.oneof(
      fc.constant(APP.sdkAppId),
      fc.integer({ min: -2, max: 2 ** 33 }),
      fc.string({ maxLength: 20 }),
      fc.array(fc.string({ maxLength: 10 }), { maxLength: 12 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const params = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), value, {
      maxKeys: 6,
    });
    const body = fc.oneof(
      { weight: 4, arbitrary: params.map((p) => JSON.stringify({ SdkAppId: APP.sdkAppId, ...p })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j) ?? '') },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ACTIONS), body, fc.nat(200), async (action, text, age) => {
        const before = runsLength(runs);
        const response = await send(app, signed(action.name, text, T - age));
        let parsed: unknown;
        try {
          parsed = JSON.parse(text || '{}');
        } catch {
          assert.equal(response.Error?.Code, 'InvalidParameter.Body');
          return;
        }
        const verdict = action.params.safeParse(parsed);
        const key = `${action.name} ${age} ${text}`;
        const replay = !action.readOnly && seen.has(key);
        seen.add(key);
        if (!verdict.success) {
          assert.match(response.Error?.Code ?? 'none', /^(InvalidParameter|MissingParameter)/);
          assert.equal(runsLength(runs), before);
        } else if (verdict.data.SdkAppId !== APP.sdkAppId) {
          assert.equal(response.Error?.Code, 'AuthFailure.UnauthorizedOperation');
        } else {
          assert.equal(response.Error, undefined, JSON.stringify(response));
          assert.equal(runsLength(runs), replay ? before : before + 1, 'a repeat of a mutating request runs once');
        }
      }),
      { numRuns: 400 },
    );
    await app.close();
  });

  test('property: a valid request with one header changed never runs when the signature or its time changed', async () => {
    const runs: string[] = [];
    const app = start(runs);
    const headerName = fc.constantFrom(
      'authorization',
      'x-tc-timestamp',
      'x-tc-version',
      'x-tc-action',
      'content-type',
      'host',
    );
    const change = fc.oneof(
      fc.record({ op: fc.constant('delete' as const) }),
      fc.record({ op: fc.constant('replace' as const), value: fc.string({ maxLength: 300 }) }),
      fc.record({
        op: fc.constant('edit' as const),
        at: fc.nat(),
        char: fc.constantFrom('0', '9', 'a', 'f', 'A', ' ', ',', '=', '/', '-'),
      }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(headerName, change, async (name, c) => {
        // A fresh room each time, so the replay memory is not what refuses a repeat.
        const request = signed('DismissRoom', JSON.stringify({ SdkAppId: APP.sdkAppId, RoomId: 1 + n++ }));
        const original = request.headers[name] as string;
        if (c.op === 'delete') delete request.headers[name];
        else if (c.op === 'replace') request.headers[name] = c.value.replace(/[\r\n]/g, ' ');
        else {
          const at = c.at % (original.length + 1);
          request.headers[name] = original.slice(0, at) + c.char + original.slice(at + 1);
        }
        const before = runsLength(runs);
        const response = await send(app, request);
        const changed = request.headers[name] !== original;
        if (changed && (name === 'authorization' || name === 'x-tc-timestamp')) {
          assert.equal(runsLength(runs), before, `ran with a changed ${name}: ${request.headers[name]}`);
          assert.ok(response.Error, 'refused');
        }
      }),
      { numRuns: 300 },
    );
    // The unchanged request still goes through.
    const ok = await send(app, signed('DismissRoom', JSON.stringify({ SdkAppId: APP.sdkAppId, RoomId: 99_999 })));
    assert.equal(ok.Error, undefined);
    await app.close();
  });
});
