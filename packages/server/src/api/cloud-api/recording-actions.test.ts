/**
 * Create/Describe/Modify/DeleteCloudRecording through Tencent's official client: a task joins the room as a
 * recording participant (the others see `recording: true`), is InProgress, stops on Delete and is Exited;
 * RestrictedConcurrency per app; an E2EE room refuses a server-run task (no key on the server). Modify takes
 * TRTC's SubscribeStreamUserIds and MixLayoutParams. The recording callbacks (301–310) reach the app's signed
 * receiver: MaxIdleTime ends a task with 302 LeaveCode 99; with CloudStorage (s3rver) 303, 305 and 310 too.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startS3TestServer, type S3TestServer } from '../../../../recorder/src/testing/s3-test-server.ts';
import type { CallbackBody } from '../../callbacks/events.ts';
import { startCallbackReceiver, type CallbackReceiver } from '../../callbacks/testing/callback-receiver.ts';
import { loadOrCreateDevKeys } from '../../dev-keys.ts';
import { SignalTestClient } from '../../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { joinRoom, rejectsWithTrtcCode, trtcClient, type TrtcClient } from '../../testing/trtc-client.ts';

let t: TestServer;
let api: TrtcClient;
let storage: string;
let s3: S3TestServer | undefined;
let receiver: CallbackReceiver | undefined;
const CALLBACK_KEY = 'recKey2024';

before(async () => {
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cloud-recording-'));
  t = await startTestServer({
    recording: {
      directory: storage,
      maxConcurrentPerApp: 1,
      storageEndpoints: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true },
    },
    callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true },
  });
  const keys = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
  api = trtcClient(t.server.url, { secretId: keys.apiSecretId, secretKey: keys.apiSecretKey });
  s3 = await startS3TestServer();
  receiver = await startCallbackReceiver(CALLBACK_KEY);
  await t.server.stores.apps.update(t.sdkAppId, { callbackUrl: receiver.url, callbackKey: CALLBACK_KEY });
});
after(async () => {
  await t?.close();
  await s3?.close();
  await receiver?.close();
  fs.rmSync(storage, { recursive: true, force: true });
});

/** The recording callbacks (group 3) of one task, in arrival order. */
function taskEvents(taskId: string): CallbackBody[] {
  return (receiver?.received ?? []).filter((b) => b.EventGroupId === 3 && b.EventInfo.TaskId === taskId);
}

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
    await receiver!.until(() => taskEvents(TaskId).length >= 2);
    assert.deepEqual(
      taskEvents(TaskId).map((b) => [b.EventType, b.EventInfo.Payload]),
      [
        [301, { Status: 0 }],
        [302, { LeaveCode: 0 }],
      ],
    );
    assert.deepEqual(
      [taskEvents(TaskId)[0]!.EventInfo.RoomId, taskEvents(TaskId)[0]!.EventInfo.UserId],
      ['8501', 'robot_1'],
    );
    assert.equal(receiver!.badSignatures, 0);
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

  test('Modify takes TRTC SubscribeStreamUserIds and MixLayoutParams; a bad list or an exited task is refused', async () => {
    const { TaskId } = await create(8503, 'robot_4');
    const modified = await api.request('ModifyCloudRecording', {
      SdkAppId: t.sdkAppId,
      TaskId,
      SubscribeStreamUserIds: { SubscribeAudioUserIds: ['alice'], UnSubscribeVideoUserIds: ['bob'] },
    });
    assert.equal((modified as { TaskId: string }).TaskId, TaskId);
    // A layout is for mixed tasks (RecordMode 2); this one records single streams.
    await rejectsWithTrtcCode(
      api.request('ModifyCloudRecording', { SdkAppId: t.sdkAppId, TaskId, MixLayoutParams: { MixLayoutMode: 3 } }),
      'InvalidParameter.MixLayoutParams',
    );
    await rejectsWithTrtcCode(
      api.request('ModifyCloudRecording', {
        SdkAppId: t.sdkAppId,
        TaskId,
        SubscribeStreamUserIds: { SubscribeAudioUserIds: ['not a user id!'] },
      }),
      'InvalidParameter.SubscribeStreamUserIds',
    );
    await api.request('DeleteCloudRecording', { SdkAppId: t.sdkAppId, TaskId });
    await rejectsWithTrtcCode(
      api.request('ModifyCloudRecording', { SdkAppId: t.sdkAppId, TaskId, SubscribeStreamUserIds: {} }),
      'FailedOperation',
    );
  });

  test('MaxIdleTime ends a task with 302 LeaveCode 99; with CloudStorage 303, 305 and 310 frame it', async () => {
    const anchor = await joinRoom(t, 'dave', { roomId: 8504 });
    const { TaskId } = (await api.request('CreateCloudRecording', {
      SdkAppId: t.sdkAppId,
      RoomId: '8504',
      RoomIdType: 1,
      UserId: 'robot_5',
      UserSig: t.userSig('robot_5'),
      RecordParams: { RecordMode: 1, MaxIdleTime: 5 },
      StorageParams: {
        CloudStorage: {
          Vendor: 1,
          Region: 'us-east-1',
          Bucket: s3!.bucket,
          AccessKey: s3!.accessKey,
          SecretKey: s3!.secretKey,
          FileNamePrefix: ['idle'],
          EndpointUrl: s3!.endpoint,
        },
      },
    })) as { TaskId: string };
    await receiver!.until(() => taskEvents(TaskId).some((b) => b.EventType === 302), 30_000);
    assert.deepEqual(
      taskEvents(TaskId).map((b) => [b.EventType, b.EventInfo.Payload]),
      [
        [301, { Status: 0 }],
        [303, { Status: 0 }],
        [305, { Status: 0 }],
        [310, { Status: 0, FileList: [], FileMessage: [] }],
        [302, { LeaveCode: 99 }],
      ],
    );
    const described = (await api.request('DescribeCloudRecording', { SdkAppId: t.sdkAppId, TaskId })) as {
      Status: string;
    };
    assert.equal(described.Status, 'Exited');
    assert.deepEqual(await anchor.client.next('participantJoined'), {
      userId: 'robot_5',
      role: 'anchor',
      recording: true,
    });
    assert.deepEqual(fs.readdirSync(storage), []);
    assert.deepEqual(await s3!.list(), []);
    anchor.client.close();
  });

  test('a CloudStorage endpoint the outbound network policy refuses fails the create (no task starts)', async () => {
    await rejectsWithTrtcCode(
      api.request('CreateCloudRecording', {
        SdkAppId: t.sdkAppId,
        RoomId: '8505',
        RoomIdType: 1,
        UserId: 'robot_6',
        UserSig: t.userSig('robot_6'),
        RecordParams: { RecordMode: 1 },
        StorageParams: {
          CloudStorage: {
            Vendor: 1,
            Region: 'us-east-1',
            Bucket: 'recordings',
            AccessKey: 'a',
            SecretKey: 'b',
            EndpointUrl: 'http://10.20.30.40:9000',
          },
        },
      }),
      'InvalidParameter',
    );
    assert.equal(
      (receiver?.received ?? []).some((b) => b.EventInfo.UserId === 'robot_6'),
      false,
      'no callback for a task that never started',
    );
  });
});
