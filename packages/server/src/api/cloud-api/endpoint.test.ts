// The endpoint's replay policy and bounds, in process: stand-in actions record every run, the clock is the
// endpoint's `now` option, and requests are signed here (or by Tencent's official client, for issue 16).
import { describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TC3_MAX_SKEW_SECONDS, tc3Date, tc3Signature } from '../../auth/index.ts';
import { createLogger } from '../../logger.ts';
import { trtcClient } from '../../testing/trtc-client.ts';
import { defineAction, sdkAppIdParam } from './action.ts';
import { registerCloudApi, type ApiCredential, type CloudApiOptions } from './endpoint.ts';

const APP_A: ApiCredential = { secretId: 'AKIDappA', secretKey: 'key-of-app-a', sdkAppId: 1400000101 };
const APP_B: ApiCredential = { secretId: 'AKIDappB', secretKey: 'key-of-app-b', sdkAppId: 1400000102 };
const T = 1_760_000_000; // Unix seconds: the tests' "now"

interface Answer {
  Response: { Error?: { Code: string }; RequestId: string } & Record<string, unknown>;
}

/** Stand-ins shaped like the recording actions of the issue (same body, two actions), recording each run. */
function taskActions(runs: string[]) {
  const params = z.object({ SdkAppId: sdkAppIdParam, TaskId: z.string().min(1).max(64) }).strict();
  let failNext = false;
  return {
    failNext: () => (failNext = true),
    actions: [
      defineAction('ModifyCloudRecording', params, async (p) => {
        runs.push(`modify ${p.TaskId}`);
        return { TaskId: p.TaskId, Run: runs.length };
      }),
      defineAction('DeleteCloudRecording', params, async (p) => {
        runs.push(`delete ${p.TaskId}`);
        if (failNext) {
          failNext = false;
          throw new Error('the store is down');
        }
        return { TaskId: p.TaskId, Run: runs.length };
      }),
      defineAction('DescribeCloudRecording', params, async (p) => {
        runs.push(`describe ${p.TaskId}`);
        return { TaskId: p.TaskId, Status: 'InProgress', Run: runs.length };
      }),
    ],
  };
}

function start(actions: CloudApiOptions['actions'], options: Partial<CloudApiOptions> = {}): FastifyInstance {
  const app = Fastify();
  const credentials = new Map([APP_A, APP_B].map((c) => [c.secretId, c]));
  registerCloudApi(app, {
    actions,
    credentials: { find: async (id) => credentials.get(id) },
    requestsPerSecondPerApp: 1_000,
    log: createLogger('silent'),
    ...options,
  });
  return app;
}

/** A signed request as Tencent's client builds it (content-type;host signed, the action not). */
function signed(action: string, params: object, timestamp: number, credential = APP_A) {
  const body = JSON.stringify(params);
  const signature = tc3Signature({
    method: 'POST',
    path: '/',
    query: '',
    canonicalHeaders: 'content-type:application/json\nhost:localhost\n',
    signedHeaders: 'content-type;host',
    body,
    timestamp,
    service: 'trtc',
    secretKey: credential.secretKey,
  });
  const scope = `${credential.secretId}/${tc3Date(timestamp)}/trtc/tc3_request`;
  return {
    body,
    headers: {
      host: 'localhost:80',
      'content-type': 'application/json',
      'x-tc-action': action,
      'x-tc-version': '2019-07-22',
      'x-tc-timestamp': String(timestamp),
      authorization: `TC3-HMAC-SHA256 Credential=${scope}, SignedHeaders=content-type;host, Signature=${signature}`,
    },
  };
}

async function send(app: FastifyInstance, request: ReturnType<typeof signed>): Promise<Answer['Response']> {
  const res = await app.inject({ method: 'POST', url: '/', headers: request.headers, payload: request.body });
  return (res.json() as Answer).Response;
}

const errorOf = (response: Answer['Response']) => response.Error?.Code;

describe("issue 16: what Tencent accepts is accepted (Tencent's official client)", () => {
  test('the same body under two mutating actions in one second, and the same Describe twice, all succeed', async (t) => {
    const runs: string[] = [];
    const app = start(taskActions(runs).actions);
    await app.listen({ port: 0, host: '127.0.0.1' });
    t.after(() => app.close());
    const client = trtcClient(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, APP_A);
    // One frozen second: the client stamps X-TC-Timestamp from Date, so every call below signs the same string
    // (the endpoint keeps the real clock, taken before the mock).
    mock.timers.enable({ apis: ['Date'], now: Math.floor(Date.now() / 1000) * 1000 });
    t.after(() => mock.timers.reset());
    const body = { SdkAppId: APP_A.sdkAppId, TaskId: 'task-1' };

    const modified = (await client.request('ModifyCloudRecording', body)) as { TaskId: string };
    const deleted = (await client.request('DeleteCloudRecording', body)) as { TaskId: string };
    const first = (await client.request('DescribeCloudRecording', body)) as { Run: number };
    const second = (await client.request('DescribeCloudRecording', body)) as { Run: number };

    assert.equal(modified.TaskId, 'task-1');
    assert.equal(deleted.TaskId, 'task-1');
    assert.deepEqual([first.Run, second.Run], [3, 4]);
    assert.deepEqual(runs, ['modify task-1', 'delete task-1', 'describe task-1', 'describe task-1']);
  });
});

describe('replay policy: mutating requests run once per (action, signature)', () => {
  test('a byte-identical replay gets the first answer again and does not run the action again', async () => {
    const runs: string[] = [];
    const app = start(taskActions(runs).actions, { now: () => T * 1000 });
    const request = signed('ModifyCloudRecording', { SdkAppId: APP_A.sdkAppId, TaskId: 'task-2' }, T);
    const first = await send(app, request);
    const again = await send(app, request);
    assert.equal(errorOf(first), undefined);
    const { RequestId: firstId, ...firstAnswer } = first;
    const { RequestId: againId, ...againAnswer } = again;
    assert.deepEqual(againAnswer, firstAnswer);
    assert.notEqual(againId, firstId);
    assert.deepEqual(runs, ['modify task-2']);
  });

  test('concurrent duplicates share one run; a read-only replay runs every time', async () => {
    const runs: string[] = [];
    const app = start(taskActions(runs).actions, { now: () => T * 1000 });
    const request = signed('DeleteCloudRecording', { SdkAppId: APP_A.sdkAppId, TaskId: 'task-3' }, T);
    const answers = await Promise.all([send(app, request), send(app, request), send(app, request)]);
    assert.deepEqual(
      answers.map((a) => a.Run),
      [1, 1, 1],
    );
    const read = signed('DescribeCloudRecording', { SdkAppId: APP_A.sdkAppId, TaskId: 'task-3' }, T);
    assert.equal(errorOf(await send(app, read)), undefined);
    assert.equal(errorOf(await send(app, read)), undefined);
    assert.deepEqual(runs, ['delete task-3', 'describe task-3', 'describe task-3']);
  });

  test('after an internal failure the same request may be retried', async () => {
    const runs: string[] = [];
    const fixture = taskActions(runs);
    const app = start(fixture.actions, { now: () => T * 1000 });
    const request = signed('DeleteCloudRecording', { SdkAppId: APP_A.sdkAppId, TaskId: 'task-4' }, T);
    fixture.failNext();
    assert.equal(errorOf(await send(app, request)), 'InternalError');
    assert.equal(errorOf(await send(app, request)), undefined);
    assert.equal(errorOf(await send(app, request)), undefined);
    assert.deepEqual(runs, ['delete task-4', 'delete task-4']);
  });

  test('a request stamped at the +skew edge cannot run again while its timestamp is acceptable', async () => {
    const runs: string[] = [];
    let clock = T * 1000;
    const app = start(taskActions(runs).actions, { now: () => clock });
    const edge = signed(
      'ModifyCloudRecording',
      { SdkAppId: APP_A.sdkAppId, TaskId: 'task-5' },
      T + TC3_MAX_SKEW_SECONDS,
    );
    assert.equal(errorOf(await send(app, edge)), undefined);
    // Its timestamp stays acceptable until the end of second T + 2 × skew.
    for (const at of [1, 299, 300, 599, 600, 600.999]) {
      clock = (T + at) * 1000;
      assert.equal(errorOf(await send(app, edge)), undefined, `replayed at +${at} s`);
      assert.deepEqual(runs, ['modify task-5'], `replayed at +${at} s`);
    }
    clock = (T + 601) * 1000;
    assert.equal(errorOf(await send(app, edge)), 'AuthFailure.SignatureExpire');
    assert.deepEqual(runs, ['modify task-5']);
  });
});

describe('replay memory bounds', () => {
  test('one app filling its replay memory does not make another app fail', async () => {
    const runs: string[] = [];
    const app = start(taskActions(runs).actions, { now: () => T * 1000, replayCapacityPerApp: 3 });
    const flood = Array.from({ length: 8 }, (_, i) =>
      signed('ModifyCloudRecording', { SdkAppId: APP_A.sdkAppId, TaskId: `flood-${i}` }, T),
    );
    const codes = [];
    for (const request of flood) codes.push(errorOf(await send(app, request)));
    assert.deepEqual(codes, [undefined, undefined, undefined, ...Array(5).fill('RequestLimitExceeded')]);

    const b = (action: string, taskId: string) =>
      signed(action, { SdkAppId: APP_B.sdkAppId, TaskId: taskId }, T, APP_B);
    assert.equal(errorOf(await send(app, b('ModifyCloudRecording', 'b-1'))), undefined);
    assert.equal(errorOf(await send(app, b('DeleteCloudRecording', 'b-1'))), undefined);
    assert.equal(errorOf(await send(app, b('DescribeCloudRecording', 'b-1'))), undefined);
    // A's reads do not need replay memory either.
    const readA = signed('DescribeCloudRecording', { SdkAppId: APP_A.sdkAppId, TaskId: 'flood-0' }, T);
    assert.equal(errorOf(await send(app, readA)), undefined);
  });

  test('the rate limit applies before a request occupies replay memory', async () => {
    const runs: string[] = [];
    let clock = T * 1000;
    // 1 request/s with a burst of 2; room for 4 remembered requests.
    const app = start(taskActions(runs).actions, {
      now: () => clock,
      requestsPerSecondPerApp: 1,
      replayCapacityPerApp: 4,
    });
    const request = (i: number) =>
      signed('ModifyCloudRecording', { SdkAppId: APP_A.sdkAppId, TaskId: `rate-${i}` }, Math.floor(clock / 1000));
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(errorOf(await send(app, request(i))));
    assert.deepEqual(codes, [undefined, undefined, ...Array(4).fill('RequestLimitExceeded')]);
    // The four refused requests took no memory: once the bucket refills, two more fit.
    clock += 2_000;
    assert.equal(errorOf(await send(app, request(6))), undefined);
    assert.equal(errorOf(await send(app, request(7))), undefined);
    assert.deepEqual(runs, ['modify rate-0', 'modify rate-1', 'modify rate-6', 'modify rate-7']);
  });
});
