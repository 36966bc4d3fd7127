import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { JoinAnswer } from '@conclave/protocol';
import { loadOrCreateDevKeys } from '../../dev-keys.ts';
import { SignalTestClient } from '../../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { tc3Signature } from '../../auth/index.ts';

const require = createRequire(import.meta.url);
// Tencent's own client is the oracle: if it can call us, a TRTC customer's backend can.
const tencentcloud = require('tencentcloud-sdk-nodejs') as {
  trtc: { v20190722: { Client: new (config: unknown) => TrtcClient } };
};

interface TrtcClient {
  DismissRoom(p: object): Promise<{ RequestId: string }>;
  DismissRoomByStrRoomId(p: object): Promise<{ RequestId: string }>;
  RemoveUser(p: object): Promise<{ RequestId: string }>;
  RemoveUserByStrRoomId(p: object): Promise<{ RequestId: string }>;
  request(action: string, p: object): Promise<unknown>;
}

let t: TestServer;
let secretId: string;
let secretKey: string;

function client(credential = { secretId, secretKey }): TrtcClient {
  const url = new URL(t.server.url);
  return new tencentcloud.trtc.v20190722.Client({
    credential,
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: url.host, protocol: `${url.protocol}//`, reqTimeout: 10 } },
  });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: { code?: string }) => {
    assert.equal(e.code, code);
    return true;
  });
}

async function join(userId: string, room: { roomId: number } | { strRoomId: string }) {
  const c = await SignalTestClient.connect(t.server.url);
  const answer = await c.request('join', { sdkAppId: t.sdkAppId, userId, userSig: t.userSig(userId), ...room });
  assert.equal(answer.ok, true, JSON.stringify(answer.error));
  return { client: c, answer: answer.data as JoinAnswer };
}

before(async () => {
  t = await startTestServer();
  const keys = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
  secretId = keys.apiSecretId;
  secretKey = keys.apiSecretKey;
});
after(() => t.close());

describe("Cloud API with Tencent's official client", () => {
  test('DismissRoom ends a live room: participants get KICKED_OUT room_disband', async () => {
    const a = await join('dis-a', { roomId: 8101 });
    const b = await join('dis-b', { roomId: 8101 });
    const res = await client().DismissRoom({ SdkAppId: t.sdkAppId, RoomId: 8101 });
    assert.match(res.RequestId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(((await a.client.next('kicked')) as { reason: string }).reason, 'room_disband');
    assert.deepEqual(((await b.client.next('kicked')) as { reason: string }).reason, 'room_disband');
    assert.equal(t.server.rooms.getRoom({ sdkAppId: t.sdkAppId, roomId: 8101 }), undefined);
  });

  test('DismissRoomByStrRoomId, RemoveUser and RemoveUserByStrRoomId', async () => {
    const s = await join('str-a', { strRoomId: 'lobby-1' });
    await client().DismissRoomByStrRoomId({ SdkAppId: t.sdkAppId, RoomId: 'lobby-1' });
    assert.equal(((await s.client.next('kicked')) as { reason: string }).reason, 'room_disband');

    const keep = await join('keep', { roomId: 8102 });
    const gone = await join('gone', { roomId: 8102 });
    await client().RemoveUser({ SdkAppId: t.sdkAppId, RoomId: 8102, UserIds: ['gone', 'not-here'] });
    assert.equal(((await gone.client.next('kicked')) as { reason: string }).reason, 'kick');
    assert.deepEqual(await keep.client.next('participantLeft'), { userId: 'gone', reason: 'removed' });

    const x = await join('x1', { strRoomId: 'lobby-2' });
    await client().RemoveUserByStrRoomId({ SdkAppId: t.sdkAppId, RoomId: 'lobby-2', UserIds: ['x1'] });
    assert.equal(((await x.client.next('kicked')) as { reason: string }).reason, 'kick');
    keep.client.close();
  });

  test('the same DescribeRoomInfo twice in one second succeeds both times (issue 16)', async (tc) => {
    // Frozen Date: the client stamps both calls with the same second, so both carry the same signature.
    mock.timers.enable({ apis: ['Date'], now: Math.floor(Date.now() / 1000) * 1000 });
    tc.after(() => mock.timers.reset());
    const window = {
      SdkAppId: t.sdkAppId,
      StartTime: Math.floor(Date.now() / 1000) - 3600,
      EndTime: Math.floor(Date.now() / 1000),
    };
    const first = (await client().request('DescribeRoomInfo', window)) as { Total: number };
    const second = (await client().request('DescribeRoomInfo', window)) as { Total: number };
    assert.equal(second.Total, first.Total);
  });

  test('TRTC-shaped errors: missing room, wrong key, unknown action, bad parameter, other app', async () => {
    await rejectsWith(client().DismissRoom({ SdkAppId: t.sdkAppId, RoomId: 8199 }), 'FailedOperation.RoomNotExist');
    await rejectsWith(
      client({ secretId, secretKey: 'wrong-key' }).DismissRoom({ SdkAppId: t.sdkAppId, RoomId: 1 }),
      'AuthFailure.SignatureFailure',
    );
    await rejectsWith(
      client({ secretId: 'AKIDunknown', secretKey }).DismissRoom({ SdkAppId: t.sdkAppId, RoomId: 1 }),
      'AuthFailure.SecretIdNotFound',
    );
    await rejectsWith(client().request('LaunchRockets', { SdkAppId: t.sdkAppId, Count: 3 }), 'InvalidAction');
    await rejectsWith(client().DismissRoom({ SdkAppId: t.sdkAppId, RoomId: 0 }), 'InvalidParameter.RoomId');
    await rejectsWith(client().DismissRoom({ SdkAppId: t.sdkAppId }), 'MissingParameter');
    await rejectsWith(client().DismissRoom({ SdkAppId: 1400000999, RoomId: 5 }), 'AuthFailure.UnauthorizedOperation');
  });
});

describe('Cloud API request checks', () => {
  function signed(body: string, timestamp: number, key = secretKey) {
    const host = new URL(t.server.url).hostname;
    const signature = tc3Signature({
      method: 'POST',
      path: '/',
      query: '',
      canonicalHeaders: `content-type:application/json\nhost:${host}\n`,
      signedHeaders: 'content-type;host',
      body,
      timestamp,
      service: 'trtc',
      secretKey: key,
    });
    const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
    return {
      'content-type': 'application/json',
      'x-tc-action': 'DismissRoom',
      'x-tc-version': '2019-07-22',
      'x-tc-timestamp': String(timestamp),
      authorization: `TC3-HMAC-SHA256 Credential=${secretId}/${date}/trtc/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
    };
  }
  const post = async (headers: Record<string, string>, body: string) =>
    (await (await fetch(`${t.server.url}/`, { method: 'POST', headers, body })).json()) as {
      Response: { Error?: { Code: string }; RequestId: string };
    };

  test('an expired timestamp is refused with AuthFailure.SignatureExpire', async () => {
    const body = JSON.stringify({ SdkAppId: t.sdkAppId, RoomId: 5 });
    const res = await post(signed(body, Math.floor(Date.now() / 1000) - 600), body);
    assert.equal(res.Response.Error?.Code, 'AuthFailure.SignatureExpire');
  });

  test('a byte-identical replay of DismissRoom gets the first answer and dismisses nothing new', async () => {
    const first = await join('replay-a', { roomId: 8300 });
    const body = JSON.stringify({ SdkAppId: t.sdkAppId, RoomId: 8300 });
    const headers = signed(body, Math.floor(Date.now() / 1000));
    assert.equal((await post(headers, body)).Response.Error, undefined);
    assert.equal(((await first.client.next('kicked')) as { reason: string }).reason, 'room_disband');
    // The room is opened again; the captured request, sent again, must not end it.
    const again = await join('replay-b', { roomId: 8300 });
    assert.equal((await post(headers, body)).Response.Error, undefined);
    assert.ok(t.server.rooms.getRoom({ sdkAppId: t.sdkAppId, roomId: 8300 }));
    again.client.close();
  });

  test('a tampered body fails the signature', async () => {
    const body = JSON.stringify({ SdkAppId: t.sdkAppId, RoomId: 8300 });
    const fresh = signed(body, Math.floor(Date.now() / 1000) - 1);
    const tampered = body.replace('8300', '8301');
    assert.equal((await post(fresh, tampered)).Response.Error?.Code, 'AuthFailure.SignatureFailure');
  });

  test('an unsigned request gets AuthFailure.InvalidAuthorization; an oversized body is refused', async () => {
    const res = await post({ 'content-type': 'application/json', 'x-tc-action': 'DismissRoom' }, '{}');
    assert.equal(res.Response.Error?.Code, 'AuthFailure.InvalidAuthorization');
    const big = await fetch(`${t.server.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(200_000) }),
    });
    assert.equal(big.status, 413);
  });
});

describe('Cloud API calls are audited as the customer’s own access', () => {
  test('ok, failed and badly signed calls by a known SecretId are recorded; an unknown SecretId is not', async () => {
    const a = await join('audit-a', { roomId: 8301 });
    await client().DismissRoom({ SdkAppId: t.sdkAppId, RoomId: 8301 });
    await a.client.next('kicked');
    await rejectsWith(
      client().RemoveUser({ SdkAppId: t.sdkAppId, RoomId: 8302, UserIds: ['x'] }),
      'FailedOperation.RoomNotExist',
    );
    await rejectsWith(
      client({ secretId, secretKey: 'wrong-key' }).DismissRoom({ SdkAppId: t.sdkAppId, RoomId: 8303 }),
      'AuthFailure.SignatureFailure',
    );
    await rejectsWith(
      client({ secretId: 'AKIDnobody', secretKey }).DismissRoom({ SdkAppId: t.sdkAppId, RoomId: 8304 }),
      'AuthFailure.SecretIdNotFound',
    );
    await t.server.audit.flush();
    const mine = (await t.server.audit.list({ actorId: secretId, limit: 1000 })).filter(
      (r) => ['8301', '8302', '8303'].includes(r.target.roomId ?? '') || r.detail === 'API_SIGNATURE_INVALID',
    );
    const facts = mine.map((r) => [r.action, r.target.roomId, r.result, r.detail]).reverse();
    assert.deepEqual(facts.slice(-3), [
      ['cloud_api.DismissRoom', '8301', 'ok', null],
      ['cloud_api.RemoveUser', '8302', 'error', 'ROOM_NOT_FOUND'],
      // The signature failed, so the parameters were never read: the record names the app, not the room.
      ['cloud_api.DismissRoom', null, 'denied', 'API_SIGNATURE_INVALID'],
    ]);
    const record = mine[0];
    assert.deepEqual(record?.actor, { kind: 'customer', id: secretId, role: null });
    assert.equal(record?.target.sdkAppId, t.sdkAppId);
    assert.equal((await t.server.audit.list({ actorId: 'AKIDnobody' })).length, 0);
    assert.equal((await t.server.audit.verify()).ok, true);
  });
});
