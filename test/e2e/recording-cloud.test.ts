/**
 * Cloud API recording of a browser call into the customer's S3-compatible bucket (s3rver in the test), driven by
 * Tencent's official client: a Chromium page publishes a checkerboard and audio into a plain room; one task
 * uploads to the bucket, another has a wrong access key. ModifyCloudRecording turns the first task's video on
 * mid-call (it starts audio-only). The bucket's WebM decodes to the picture and Opus; the failed task's file is
 * in the backup directory with a 308; every recording callback arrives signed; the server's recording directory
 * is empty afterwards.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startS3TestServer, type S3TestServer } from '../../packages/recorder/src/testing/s3-test-server.ts';
import type { CallbackBody } from '../../packages/server/src/callbacks/events.ts';
import {
  startCallbackReceiver,
  type CallbackReceiver,
} from '../../packages/server/src/callbacks/testing/callback-receiver.ts';
import { loadOrCreateDevKeys } from '../../packages/server/src/dev-keys.ts';
import { trtcClient, type TrtcClient } from '../../packages/server/src/testing/trtc-client.ts';
import { sleep, startE2E, type ClientPage, type E2E } from './harness.ts';
import { CHECKERBOARD_CAMERA, decodeThumbnails, ffprobe, showsCheckerboard } from './recording-media.ts';

const ROOM = 9710;
const PUBLISHER = 'cloud_pub';
const CALLBACK_KEY = 'cloudRec2024';
const BAD_SECRET = 'never-in-a-callback-or-log';

let e2e: E2E | undefined;
let page: ClientPage | undefined;
let s3: S3TestServer | undefined;
let receiver: CallbackReceiver | undefined;
let api: TrtcClient;
let root: string;
let directory: string;
let backup: string;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-cloud-rec-'));
  directory = path.join(root, 'staging');
  backup = path.join(root, 'backup');
  s3 = await startS3TestServer();
  receiver = await startCallbackReceiver(CALLBACK_KEY);
  e2e = await startE2E({
    recording: {
      directory,
      backupDirectory: backup,
      uploadAttempts: 2,
      storageEndpoints: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true },
    },
    callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true },
  });
  const t = e2e.test;
  await t.server.stores.apps.update(t.sdkAppId, { callbackUrl: receiver.url, callbackKey: CALLBACK_KEY });
  const keys = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
  api = trtcClient(t.server.url, { secretId: keys.apiSecretId, secretKey: keys.apiSecretKey });
  page = await e2e.newPage('P');
  await page.page.evaluate(CHECKERBOARD_CAMERA);
  const entered = await page.call((c, a) => (c as { enterRoom(a: unknown): Promise<void> }).enterRoom(a), {
    sdkAppId: t.sdkAppId,
    userId: PUBLISHER,
    userSig: e2e.userSig(PUBLISHER),
    roomId: ROOM,
  });
  assert.equal(entered.ok, true, JSON.stringify(entered));
  assert.equal((await page.invoke('startLocalAudio')).ok, true);
  const video = await page.call((c) =>
    (c as { startLocalVideo(o: unknown): Promise<void> }).startLocalVideo({
      view: 'local',
      option: { videoTrack: (globalThis as unknown as { patternTrack: unknown }).patternTrack },
    }),
  );
  assert.equal(video.ok, true, JSON.stringify(video));
});

after(async () => {
  await page?.close();
  await e2e?.close();
  await s3?.close();
  await receiver?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

function events(taskId: string): CallbackBody[] {
  return (receiver?.received ?? []).filter((b) => b.EventGroupId === 3 && b.EventInfo.TaskId === taskId);
}

function createTask(
  userId: string,
  keys: { access: string; secret: string },
  unsubscribeVideo: boolean,
): Promise<{ TaskId: string }> {
  return api.request('CreateCloudRecording', {
    SdkAppId: e2e!.sdkAppId,
    RoomId: String(ROOM),
    RoomIdType: 1,
    UserId: userId,
    UserSig: e2e!.userSig(userId),
    RecordParams: {
      RecordMode: 1,
      MaxIdleTime: 60,
      StreamType: 0,
      ...(unsubscribeVideo ? { SubscribeStreamUserIds: { UnSubscribeVideoUserIds: [PUBLISHER] } } : {}),
    },
    StorageParams: {
      CloudStorage: {
        Vendor: 1,
        Region: 'us-east-1',
        Bucket: s3!.bucket,
        AccessKey: keys.access,
        SecretKey: keys.secret,
        FileNamePrefix: ['calls', String(ROOM)],
        EndpointUrl: s3!.endpoint,
      },
    },
  }) as Promise<{ TaskId: string }>;
}

test('a call recorded to S3 through the Cloud API: Modify adds video live; a failed upload lands in backup with 308', async () => {
  const good = await createTask('robot_s3', { access: s3!.accessKey, secret: s3!.secretKey }, true);
  const bad = await createTask('robot_badkey', { access: 'WRONGKEY', secret: BAD_SECRET }, false);
  await sleep(3000); // audio only (video unsubscribed)
  await api.request('ModifyCloudRecording', {
    SdkAppId: e2e!.sdkAppId,
    TaskId: good.TaskId,
    SubscribeStreamUserIds: {},
  });
  await sleep(5000);
  await api.request('DeleteCloudRecording', { SdkAppId: e2e!.sdkAppId, TaskId: good.TaskId });
  await api.request('DeleteCloudRecording', { SdkAppId: e2e!.sdkAppId, TaskId: bad.TaskId });

  // The bucket holds the good task's file under the prefix folders; it decodes to the picture and Opus.
  const described = (await api.request('DescribeCloudRecording', { SdkAppId: e2e!.sdkAppId, TaskId: good.TaskId })) as {
    Status: string;
    StorageFileList: { FileName: string; UserId: string; TrackType: string }[];
  };
  assert.equal(described.Status, 'Exited');
  assert.equal(described.StorageFileList.length, 1, JSON.stringify(described));
  const stored = described.StorageFileList[0]!;
  assert.deepEqual([stored.UserId, stored.TrackType], [PUBLISHER, 'audio_video']);
  assert.match(stored.FileName, new RegExp(`^calls/${ROOM}/${good.TaskId}_.*\\.webm$`));
  const objects = await s3!.list();
  assert.deepEqual(
    objects.map((o) => o.key),
    [stored.FileName],
  );
  const local = path.join(root, 'downloaded.webm');
  fs.writeFileSync(local, await s3!.get(stored.FileName));
  const streams = ffprobe(local);
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'vp8');
  assert.equal(audio?.codec_name, 'opus');
  const pictures = decodeThumbnails(local).filter(showsCheckerboard).length;
  console.log(
    `# S3 recording: ${objects[0]!.size} bytes, ${video?.nb_read_frames} video frames (${pictures} show the ` +
      `checkerboard; video from Modify on), ${audio?.nb_read_frames} audio frames`,
  );
  assert.ok(pictures > 5, 'video recorded after ModifyCloudRecording subscribed it');

  // The wrong key's file is in the backup directory, whole, and nothing is left in the recording directory.
  const backedUp = fs.readdirSync(backup);
  assert.equal(backedUp.length, 1);
  assert.match(backedUp[0]!, new RegExp(`^${bad.TaskId}_.*\\.webm$`));
  assert.equal(ffprobe(path.join(backup, backedUp[0]!)).length, 2);
  assert.deepEqual(fs.readdirSync(directory), [], 'the server keeps no media');

  // Callbacks, signed, in order per task.
  await receiver!.until(() => events(good.TaskId).some((b) => b.EventType === 302));
  await receiver!.until(() => events(bad.TaskId).some((b) => b.EventType === 302));
  assert.equal(receiver!.badSignatures, 0);
  const goodTypes = events(good.TaskId).map((b) => b.EventType);
  assert.deepEqual(goodTypes, [301, 303, 307, 304, 305, 310, 302]);
  const goodPayload = (type: number) => events(good.TaskId).find((b) => b.EventType === type)?.EventInfo.Payload;
  assert.deepEqual(goodPayload(304), { FileList: stored.FileName });
  assert.equal(goodPayload(305)?.['Status'], 0);
  assert.deepEqual(goodPayload(310)?.['FileList'], [stored.FileName]);
  assert.deepEqual(goodPayload(302), { LeaveCode: 0 });
  const badTypes = events(bad.TaskId).map((b) => b.EventType);
  assert.deepEqual(badTypes, [301, 303, 307, 308, 305, 310, 302]);
  const badPayload = (type: number) => events(bad.TaskId).find((b) => b.EventType === type)?.EventInfo.Payload;
  assert.equal(badPayload(308)?.['Code'], 'InvalidAccessKeyId');
  assert.equal(badPayload(305)?.['Status'], 1);
  const everything = JSON.stringify(receiver!.received);
  assert.ok(!everything.includes(BAD_SECRET), 'no secret in any callback');
});
