/**
 * The recorder against a real server with no media in the room: MaxIdleTime ends the task by itself ('idle'),
 * it leaves the room (the others see it go), and nothing is left in the storage directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalDirectoryStorage, Recorder } from '@conclave/recorder';
import { generatePrivateMapKey, PrivilegeBits } from '../auth/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { joinRoom } from '../testing/trtc-client.ts';

let t: TestServer;
let storage: string;
before(async () => {
  t = await startTestServer();
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-recorder-idle-'));
});
after(async () => {
  await t.close();
  fs.rmSync(storage, { recursive: true, force: true });
});

test('MaxIdleTime without media stops the recorder, which leaves the room and leaves no files', async () => {
  const anchor = await joinRoom(t, 'alice', { roomId: 8601 });
  const recorder = new Recorder({
    serverUrl: t.server.url,
    sdkAppId: t.sdkAppId,
    room: { roomId: 8601 },
    userId: 'rec_idle',
    userSig: t.userSig('rec_idle'),
    privateMapKey: generatePrivateMapKey({
      sdkAppId: t.sdkAppId,
      userId: 'rec_idle',
      secretKey: t.secretKey,
      expireSeconds: 300,
      room: { roomId: 8601 },
      privileges: PrivilegeBits.Record,
    }),
    storage: new LocalDirectoryStorage(storage),
    limits: { maxIdleMs: 1500 },
  });
  const stopped = new Promise<string>((resolve) => recorder.once('stopped', (reason) => resolve(reason)));
  await recorder.start();
  assert.equal(((await anchor.client.next('participantJoined')) as { recording?: boolean }).recording, true);
  assert.equal(await stopped, 'idle');
  assert.deepEqual(await anchor.client.next('participantLeft'), { userId: 'rec_idle', reason: 'left' });
  assert.deepEqual(fs.readdirSync(storage), []);
  anchor.client.close();
});

test('a recorder whose PrivateMapKey lacks the Record bit fails to start and leaves nothing behind', async () => {
  const recorder = new Recorder({
    serverUrl: t.server.url,
    sdkAppId: t.sdkAppId,
    room: { roomId: 8602 },
    userId: 'rec_denied',
    userSig: t.userSig('rec_denied'),
    privateMapKey: generatePrivateMapKey({
      sdkAppId: t.sdkAppId,
      userId: 'rec_denied',
      secretKey: t.secretKey,
      expireSeconds: 300,
      room: { roomId: 8602 },
      privileges: PrivilegeBits.All,
    }),
    storage: new LocalDirectoryStorage(storage),
  });
  await assert.rejects(recorder.start(), /RECORDING_NOT_AUTHORIZED/);
  assert.deepEqual(fs.readdirSync(storage), []);
});
