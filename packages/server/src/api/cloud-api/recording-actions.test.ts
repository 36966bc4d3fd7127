/**
 * CreateCloudRecording / DescribeCloudRecording / DeleteCloudRecording through Tencent's official client: a task
 * joins the room as a recording participant (the others see `recording: true`), is InProgress, stops on Delete
 * and is Exited; RestrictedConcurrency per app; an E2EE room refuses a server-run task (no key on the server).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateDevKeys } from '../../dev-keys.ts';
import { SignalTestClient } from '../../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { joinRoom, rejectsWithTrtcCode, trtcClient, type TrtcClient } from '../../testing/trtc-client.ts';

let t: TestServer;
let api: TrtcClient;
let storage: string;

before(async () => {
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cloud-recording-'));
  t = await startTestServer({ recording: { directory: storage, maxConcurrentPerApp: 1 } });
  const keys = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
  api = trtcClient(t.server.url, { secretId: keys.apiSecretId, secretKey: keys.apiSecretKey });
});
after(async () => {
  await t.close();
  fs.rmSync(storage, { recursive: true, force: true });
});

const create = (roomId: number, userId: string) =>
  api.request('CreateCloudRecording', {
    SdkAppId: t.sdkAppId,
    RoomId: String(roomId),
    RoomIdType: 1,
    UserId: userId,
    UserSig: t.userSig(userId),
    RecordParams: { RecordMode: 1, MaxIdleTime: 30, StreamType: 0 },
  }) as Promise<{ TaskId: string }>;

describe('cloud recording actions', () => {
  test('create → InProgress (roster shows a recorder) → delete → Exited; one task per app at a time', async () => {
    const anchor = await joinRoom(t, 'alice', { roomId: 8501 });
    const { TaskId } = await create(8501, 'robot_1');
    assert.match(TaskId, /^[0-9a-f]{24}$/);
    assert.deepEqual(await anchor.client.next('participantJoined'), {
      userId: 'robot_1',
      role: 'anchor',
      recording: true,
    });
    const running = (await api.request('DescribeCloudRecording', { SdkAppId: t.sdkAppId, TaskId })) as {
      Status: string;
      StorageFileList: unknown[];
    };
    assert.equal(running.Status, 'InProgress');
    assert.deepEqual(running.StorageFileList, []);
    await rejectsWithTrtcCode(create(8501, 'robot_2'), 'FailedOperation.RestrictedConcurrency');

    await api.request('DeleteCloudRecording', { SdkAppId: t.sdkAppId, TaskId });
    const exited = (await api.request('DescribeCloudRecording', { SdkAppId: t.sdkAppId, TaskId })) as {
      Status: string;
    };
    assert.equal(exited.Status, 'Exited');
    assert.deepEqual(await anchor.client.next('participantLeft'), { userId: 'robot_1', reason: 'left' });
    assert.deepEqual(fs.readdirSync(storage), [], 'no media: no file and no work folder');
    await rejectsWithTrtcCode(
      api.request('DescribeCloudRecording', { SdkAppId: t.sdkAppId, TaskId: 'f'.repeat(24) }),
      'InvalidParameter.TaskId',
    );
    anchor.client.close();
  });

  test('RecordMode 2 (mixed) takes MixLayoutParams and MixTranscodeParams; an invalid layout is refused', async () => {
    const mixed = (MixLayoutParams: Record<string, unknown>) =>
      api.request('CreateCloudRecording', {
        SdkAppId: t.sdkAppId,
        RoomId: '8503',
        RoomIdType: 1,
        UserId: 'robot_mix',
        UserSig: t.userSig('robot_mix'),
        RecordParams: { RecordMode: 2, MaxIdleTime: 30 },
        MixLayoutParams,
        MixTranscodeParams: { VideoParams: { Width: 640, Height: 360, Fps: 15, BitRate: 500000, Gop: 10 } },
      }) as Promise<{ TaskId: string }>;
    await rejectsWithTrtcCode(mixed({ MixLayoutMode: 4 }), 'InvalidParameter.MixLayoutParams');
    const { TaskId } = await mixed({ MixLayoutMode: 1, MaxResolutionUserId: 'alice', BackGroundColor: '#FFA500' });
    const running = (await api.request('DescribeCloudRecording', { SdkAppId: t.sdkAppId, TaskId })) as {
      Status: string;
    };
    assert.equal(running.Status, 'InProgress');
    await api.request('DeleteCloudRecording', { SdkAppId: t.sdkAppId, TaskId });
    assert.deepEqual(fs.readdirSync(storage), [], 'no media: no file and no work folder');
  });

  test('an E2EE room refuses a server-run task: the server holds no key', async () => {
    const c = await SignalTestClient.connect(t.server.url);
    const joined = await c.request('join', {
      sdkAppId: t.sdkAppId,
      userId: 'carol',
      userSig: t.userSig('carol'),
      roomId: 8502,
      e2ee: true,
      requireE2ee: true,
    });
    assert.equal(joined.ok, true);
    await rejectsWithTrtcCode(create(8502, 'robot_3'), 'FailedOperation');
    assert.deepEqual(fs.readdirSync(storage), []);
    c.close();
  });
});
