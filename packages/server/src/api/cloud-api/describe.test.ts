// The monitoring actions through Tencent's official client, after a real call scripted over signaling.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOrCreateDevKeys, type DevKeys } from '../../dev-keys.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { joinRoom, publish, rejectsWithTrtcCode, settle, trtcClient } from '../../testing/trtc-client.ts';

let t: TestServer;
let keys: DevKeys;
const nowS = () => Math.floor(Date.now() / 1000);
const client = (credential = { secretId: keys.apiSecretId, secretKey: keys.apiSecretKey }) =>
  trtcClient(t.server.url, credential);

before(async () => {
  t = await startTestServer();
  keys = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
});
after(() => t.close());

interface Room {
  CommId: string;
  RoomString: string;
  CreateTime: number;
  DestroyTime: number;
  IsFinished: boolean;
  UserId: string;
}
interface User {
  UserId: string;
  RoomStr: string;
  JoinTs: number;
  LeaveTs: number;
  ClientIp: string;
  SdkVersion: string;
  DeviceType: string;
  Finished: boolean;
}

describe('Describe actions after a scripted call', () => {
  let commId: string;
  let start: number;
  let end: number;

  before(async () => {
    start = nowS() - 1;
    const alice = await joinRoom(t, 'alice', { roomId: 8501 }, { sdkVersion: '5.8.0', os: 'Windows' });
    const bob = await joinRoom(t, 'bob', { roomId: 8501 }, { sdkVersion: '5.7.1', os: 'Mac' });
    await publish(alice.client, alice.answer.sendTransport.id, 'audio', 1111);
    await publish(alice.client, alice.answer.sendTransport.id, 'video', 2222);
    const sample = {
      audioEnabled: true,
      videoEnabled: true,
      audioMuted: false,
      videoMuted: false,
      rttMs: 42,
      appCpu: 0.25,
      videoUp: { bitrateKbps: 800, frameRate: 24, width: 640, height: 360 },
      audioUp: { bitrateKbps: 32, volume: 0.5 },
    };
    for (let i = 0; i < 2; i++)
      assert.equal((await alice.client.request('qualitySample', { ...sample, ts: Date.now() })).ok, true);
    assert.equal((await bob.client.request('leave')).ok, true);
    assert.equal((await alice.client.request('leave')).ok, true);
    await settle(t);
    end = nowS() + 1;
  });

  test('DescribeRoomInfo lists the call: CommId, room, times, finished, creator', async () => {
    const res = await client().DescribeRoomInfo({ SdkAppId: t.sdkAppId, StartTime: start, EndTime: end });
    assert.equal(res.Total, 1);
    const [room] = res.RoomList as Room[];
    assert.ok(room);
    commId = room.CommId;
    assert.equal(commId, `${t.sdkAppId}_8501_${room.CreateTime}`);
    assert.equal(room.RoomString, '8501');
    assert.equal(room.UserId, 'alice');
    assert.equal(room.IsFinished, true);
    assert.ok(room.CreateTime >= start && room.DestroyTime >= room.CreateTime && room.DestroyTime <= end);
    const other = await client().DescribeRoomInfo({
      SdkAppId: t.sdkAppId,
      StartTime: start,
      EndTime: end,
      RoomId: '1',
    });
    assert.deepEqual([other.Total, other.RoomList], [0, []]);
  });

  test('DescribeUserInfo: both users with JoinTs/LeaveTs, ClientIp, SDK version, device', async () => {
    const res = await client().DescribeUserInfo({
      CommId: commId,
      SdkAppId: t.sdkAppId,
      StartTime: start,
      EndTime: end,
    });
    assert.equal(res.Total, 2);
    const users = res.UserList as User[];
    assert.deepEqual(
      users.map((u) => [u.UserId, u.RoomStr, u.SdkVersion, u.DeviceType, u.Finished]),
      [
        ['alice', '8501', '5.8.0', 'Windows', true],
        ['bob', '8501', '5.7.1', 'Mac', true],
      ],
    );
    for (const u of users) {
      assert.match(u.ClientIp, /127\.0\.0\.1/);
      assert.ok(u.JoinTs >= start && u.LeaveTs >= u.JoinTs && u.LeaveTs <= end, JSON.stringify(u));
    }
    const onlyBob = await client().DescribeUserInfo({
      CommId: commId,
      SdkAppId: t.sdkAppId,
      StartTime: start,
      EndTime: end,
      UserIds: ['bob'],
    });
    assert.deepEqual(
      (onlyBob.UserList as User[]).map((u) => u.UserId),
      ['bob'],
    );
  });

  test("DescribeCallDetailInfo: TRTC's metric names from the SDK's samples", async () => {
    const res = await client().DescribeCallDetailInfo({
      CommId: commId,
      SdkAppId: t.sdkAppId,
      StartTime: start,
      EndTime: end,
      UserIds: ['alice'],
      DataType: ['bigvBit', 'rtt', 'appCpu', 'bigvWidth', 'bigvEncFps', 'aCapEnergy'],
    });
    assert.equal(res.Total, 1);
    const data = res.Data as { UserId: string; PeerId: string; DataType: string; Content: { Value: number }[] }[];
    const values = Object.fromEntries(data.map((d) => [d.DataType, d.Content.map((c) => c.Value)]));
    assert.deepEqual(values, {
      bigvBit: [800_000, 800_000],
      rtt: [42, 42],
      appCpu: [25, 25],
      bigvWidth: [640, 640],
      bigvEncFps: [24, 24],
      aCapEnergy: [50, 50],
    });
    assert.ok(data.every((d) => d.UserId === 'alice' && d.PeerId === ''));
    const all = await client().DescribeCallDetailInfo({
      CommId: commId,
      SdkAppId: t.sdkAppId,
      StartTime: start,
      EndTime: end,
      DataType: ['all'],
    });
    assert.equal((all.Data as unknown[]).length, 17, 'alice has SDK samples for all 17 metrics; bob has none');
  });

  test('DescribeUserEvent: the user’s events with TRTC ids, in order', async () => {
    const res = await client().DescribeUserEvent({
      CommId: commId,
      SdkAppId: t.sdkAppId,
      StartTime: start,
      EndTime: end,
      UserId: 'alice',
      RoomId: '8501',
    });
    const [list] = res.Data as { PeerId: string; Content: { EventId: number; Type: number; Time: number }[] }[];
    assert.equal(list?.PeerId, 'alice');
    assert.deepEqual(
      list.Content.map((e) => e.EventId),
      [103, 203, 201, 204, 202, 104],
    );
    assert.deepEqual(
      list.Content.map((e) => e.Type),
      [0, 0, 2, 0, 2, 0],
    );
    assert.ok(
      list.Content.every((e) => e.Time >= start * 1000 && e.Time <= end * 1000),
      'Time is in ms',
    );
  });

  test('DescribeScaleInfo: users, entries and rooms of the day', async () => {
    const res = await client().DescribeScaleInfo({ SdkAppId: t.sdkAppId, StartTime: start - 3600, EndTime: end });
    const today = (res.ScaleList as { Time: number; UserNumber: number; UserCount: number; RoomNumbers: number }[]).at(
      -1,
    );
    assert.ok(today);
    assert.equal(today.Time % 86_400, 0);
    assert.ok(today.UserNumber >= 2 && today.UserCount >= 2 && today.RoomNumbers >= 1, JSON.stringify(today));
  });
});

describe("TRTC's parameter rules", () => {
  test('paging: PageNumber counts from 0, Total counts every match', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // earlier calls end before this window
    const start = nowS();
    for (const roomId of [8601, 8602, 8603]) {
      const p = await joinRoom(t, `pager${roomId}`, { roomId });
      p.client.close();
      await p.client.closed;
    }
    await settle(t);
    const page = await client().DescribeRoomInfo({
      SdkAppId: t.sdkAppId,
      StartTime: start,
      EndTime: nowS() + 1,
      PageNumber: 1,
      PageSize: 2,
    });
    assert.equal(page.Total, 3);
    assert.deepEqual(
      (page.RoomList as Room[]).map((r) => r.RoomString),
      ['8603'],
    );
  });

  test('time window, page size, CommId and DataType refusals carry TRTC codes', async () => {
    const now = nowS();
    const app = { SdkAppId: t.sdkAppId };
    const c = client();
    await rejectsWithTrtcCode(
      c.DescribeRoomInfo({ ...app, StartTime: now - 15 * 86_400, EndTime: now - 15 * 86_400 + 60 }),
      'InvalidParameter.StartTsOversize',
    );
    await rejectsWithTrtcCode(
      c.DescribeScaleInfo({ ...app, StartTime: now - 15 * 86_400, EndTime: now }),
      'InvalidParameter.StartTsOversize',
    );
    await rejectsWithTrtcCode(
      c.DescribeRoomInfo({ ...app, StartTime: now - 2 * 86_400, EndTime: now }),
      'InvalidParameter.QueryScaleOversize',
    );
    await rejectsWithTrtcCode(
      c.DescribeRoomInfo({ ...app, StartTime: now, EndTime: now - 10 }),
      'InvalidParameter.EndTime',
    );
    await rejectsWithTrtcCode(
      c.DescribeRoomInfo({ ...app, StartTime: now - 60, EndTime: now, PageNumber: 0, PageSize: 101 }),
      'InvalidParameter.PageSizeOversize',
    );
    await rejectsWithTrtcCode(c.DescribeRoomInfo({ ...app, EndTime: now }), 'MissingParameter');
    await rejectsWithTrtcCode(
      c.DescribeUserInfo({ ...app, CommId: `1400000999_5_${now}`, StartTime: now - 60, EndTime: now }),
      'InvalidParameter.CommId',
    );
    const commId = `${t.sdkAppId}_5_${now}`;
    await rejectsWithTrtcCode(
      c.DescribeCallDetailInfo({ ...app, CommId: commId, StartTime: now - 60, EndTime: now, DataType: ['gpu'] }),
      'InvalidParameter.DataType',
    );
    await rejectsWithTrtcCode(
      c.DescribeCallDetailInfo({
        ...app,
        CommId: commId,
        StartTime: now - 60,
        EndTime: now,
        DataType: ['rtt'],
        UserIds: ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      }),
      'InvalidParameter.UserIdsMorethanSix',
    );
    await rejectsWithTrtcCode(
      c.DescribeUserEvent({ ...app, CommId: commId, StartTime: now - 60, EndTime: now, UserId: 'a', RoomId: '6' }),
      'InvalidParameter.RoomId',
    );
  });
});

describe('API credentials from the admin routes', () => {
  test('a created credential works with the official client; once revoked it stops within seconds', async () => {
    const admin = { authorization: `Bearer ${keys.adminToken}` };
    const base = `${t.server.url}/admin/apps/${t.sdkAppId}/api-credentials`;
    const created = await fetch(base, { method: 'POST', headers: admin });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const { credential, secretKey } = (await created.json()) as {
      credential: { secretId: string; status: string };
      secretKey: string;
    };
    assert.match(credential.secretId, /^AKID[0-9a-f]{32}$/);
    assert.match(secretKey, /^[A-Za-z0-9]{32}$/);
    const mine = client({ secretId: credential.secretId, secretKey });
    const scale = await mine.DescribeScaleInfo({ SdkAppId: t.sdkAppId, StartTime: nowS() - 60, EndTime: nowS() });
    assert.match(scale.RequestId, /^[0-9a-f-]{36}$/);

    const listed = await (await fetch(base, { headers: admin })).text();
    assert.ok(listed.includes(credential.secretId) && !listed.includes(secretKey), 'listing never shows the key');

    const revoked = await fetch(`${base}/${credential.secretId}`, { method: 'DELETE', headers: admin });
    assert.equal(((await revoked.json()) as { credential: { status: string } }).credential.status, 'revoked');
    const revokedAt = Date.now();
    // Each try differs in its body: an identical request within the same second would be refused as a replay.
    for (let i = 1; ; i++) {
      const outcome = await mine
        .DescribeScaleInfo({ SdkAppId: t.sdkAppId, StartTime: nowS() - 60 - i, EndTime: nowS() })
        .then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
      if (outcome === 'AuthFailure.SecretIdNotFound') break;
      assert.equal(outcome, 'ok');
      assert.ok(Date.now() - revokedAt < 3_000, 'revocation took effect within 3 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const unknown = await fetch(`${base}/AKIDnope`, { method: 'DELETE', headers: admin });
    assert.equal(unknown.status, 404);
    assert.equal((await fetch(base, { method: 'POST' })).status, 401);
  });
});
