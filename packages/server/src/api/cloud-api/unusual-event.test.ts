// DescribeUnusualEvent through Tencent's official client after a scripted call with a lossy, slow sample, and
// experiencesOf (markers → TRTC's AbnormalExperience) as a pure function.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateDevKeys, type DevKeys } from '../../dev-keys.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { joinRoom, rejectsWithTrtcCode, settle, trtcClient } from '../../testing/trtc-client.ts';
import { EXPERIENCE_IDS, UNUSUAL_EVENT_IDS, experiencesOf } from './unusual-event-action.ts';

test('experiencesOf: one experience per user with every cause, a failed join as its own experience id', () => {
  const got = experiencesOf('r1', [
    { userId: 'a', at: 5_000, kind: 'rtt', value: 500 },
    { userId: 'a', at: 3_000, kind: 'loss', value: 9 },
    { userId: 'a', at: 7_000, kind: 'loss', value: 8 },
    { userId: 'b', at: 9_000, kind: 'join_failed', value: 2 },
  ]);
  assert.deepEqual(got, [
    {
      UserId: 'a',
      ExperienceId: EXPERIENCE_IDS.mediaLag,
      RoomId: 'r1',
      AbnormalEventList: [
        { AbnormalEventId: UNUSUAL_EVENT_IDS.loss, PeerId: '' },
        { AbnormalEventId: UNUSUAL_EVENT_IDS.rtt, PeerId: '' },
      ],
      EventTime: 3,
    },
    {
      UserId: 'b',
      ExperienceId: EXPERIENCE_IDS.entryFailed,
      RoomId: 'r1',
      AbnormalEventList: [{ AbnormalEventId: UNUSUAL_EVENT_IDS.join_failed, PeerId: '' }],
      EventTime: 9,
    },
  ]);
  assert.deepEqual(experiencesOf('r1', []), []);
});

describe('DescribeUnusualEvent', () => {
  let t: TestServer;
  let keys: DevKeys;
  let start: number;
  let end: number;
  const nowS = () => Math.floor(Date.now() / 1000);
  const client = () => trtcClient(t.server.url, { secretId: keys.apiSecretId, secretKey: keys.apiSecretKey });

  before(async () => {
    t = await startTestServer();
    keys = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
    start = nowS() - 1;
    const alice = await joinRoom(t, 'alice', { roomId: 8601 });
    const bob = await joinRoom(t, 'bob', { roomId: 8602 });
    const healthy = { audioEnabled: true, videoEnabled: false, audioMuted: false, videoMuted: false, rttMs: 40 };
    assert.equal((await alice.client.request('qualitySample', { ...healthy, ts: Date.now() })).ok, true);
    assert.equal(
      (
        await alice.client.request('qualitySample', {
          ...healthy,
          rttMs: 800,
          audioDown: { packetLoss: 0.25, bitrateKbps: 20 },
          ts: Date.now(),
        })
      ).ok,
      true,
    );
    assert.equal((await bob.client.request('qualitySample', { ...healthy, ts: Date.now() })).ok, true);
    assert.equal((await alice.client.request('leave')).ok, true);
    assert.equal((await bob.client.request('leave')).ok, true);
    await settle(t);
    end = nowS() + 1;
  });
  after(() => t.close());

  test('lists the abnormal experience with its causes; a healthy user and room are absent', async () => {
    const res = await client().DescribeUnusualEvent({ SdkAppId: t.sdkAppId, StartTime: start, EndTime: end });
    assert.equal(res.Total, 1);
    const [exp] = res.AbnormalExperienceList as {
      UserId: string;
      RoomId: string;
      ExperienceId: number;
      EventTime: number;
      AbnormalEventList: { AbnormalEventId: number; PeerId: string }[];
    }[];
    assert.equal(exp?.UserId, 'alice');
    assert.equal(exp?.RoomId, '8601');
    assert.equal(exp?.ExperienceId, EXPERIENCE_IDS.mediaLag);
    assert.deepEqual(
      exp?.AbnormalEventList.map((e) => e.AbnormalEventId),
      [UNUSUAL_EVENT_IDS.loss, UNUSUAL_EVENT_IDS.rtt],
    );
    assert.ok(exp !== undefined && exp.EventTime >= start && exp.EventTime <= end);
    const healthyRoom = await client().DescribeUnusualEvent({
      SdkAppId: t.sdkAppId,
      StartTime: start,
      EndTime: end,
      RoomId: '8602',
    });
    assert.equal(healthyRoom.Total, 0);
    assert.deepEqual(healthyRoom.AbnormalExperienceList, []);
  });

  test('TRTC rules: at most one hour, at most 14 days back, no unknown parameters', async () => {
    const now = nowS();
    const app = { SdkAppId: t.sdkAppId };
    await rejectsWithTrtcCode(
      client().DescribeUnusualEvent({ ...app, StartTime: now - 7200, EndTime: now }),
      'InvalidParameter.QueryScaleOversize',
    );
    await rejectsWithTrtcCode(
      client().DescribeUnusualEvent({ ...app, StartTime: now - 15 * 86_400, EndTime: now - 15 * 86_400 + 60 }),
      'InvalidParameter.StartTsOversize',
    );
    await assert.rejects(
      client().request('DescribeUnusualEvent', { ...app, StartTime: now - 60, EndTime: now, UserId: 'x' }),
    );
  });
});
