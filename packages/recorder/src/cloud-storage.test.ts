/**
 * CloudUploader against a real S3-compatible server (s3rver on loopback): a multipart upload lands under the
 * FileNamePrefix folders byte for byte and leaves nothing locally; an upload that cannot succeed is retried,
 * then the file is moved to the backup directory and reported — without the secret in any message.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CloudUploader, cloudStorageEndpoint, cloudStorageSchema } from './cloud-storage.ts';
import type { StoredFile } from './storage.ts';
import { startS3TestServer, type S3TestServer } from './testing/s3-test-server.ts';

let s3: S3TestServer;
let root: string;
before(async () => {
  s3 = await startS3TestServer();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-upload-'));
});
after(async () => {
  await s3.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function localFile(name: string, bytes: number): { path: string; file: StoredFile; data: Buffer } {
  const data = crypto.randomBytes(bytes);
  const dir = path.join(root, 'out');
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return {
    path: p,
    data,
    file: { UserId: 'alice', FileName: name, TrackType: 'audio_video', BeginTimeStamp: Date.now(), Size: bytes },
  };
}

test('a multipart upload lands under the prefix folders, byte for byte, and the local file is gone', async () => {
  const uploader = new CloudUploader({
    cloud: {
      Vendor: 1,
      Region: 'us-east-1',
      Bucket: s3.bucket,
      AccessKey: s3.accessKey,
      SecretKey: s3.secretKey,
      FileNamePrefix: ['meetings', 'day1'],
      EndpointUrl: s3.endpoint,
    },
    backupDirectory: path.join(root, 'backup'),
    partSize: 5 << 20,
  });
  const big = localFile('task_1_alice_1.webm', (11 << 20) + 123); // three parts
  const small = localFile('task_1_bob_1.webm', 2000);
  uploader.enqueue(big.path, big.file);
  uploader.enqueue(small.path, small.file);
  await uploader.close();
  assert.deepEqual(
    uploader.uploaded.map((f) => f.Key),
    ['meetings/day1/task_1_alice_1.webm', 'meetings/day1/task_1_bob_1.webm'],
  );
  assert.ok((await s3.get('meetings/day1/task_1_alice_1.webm')).equals(big.data));
  assert.ok((await s3.get('meetings/day1/task_1_bob_1.webm')).equals(small.data));
  assert.equal(fs.existsSync(big.path) || fs.existsSync(small.path), false, 'nothing stays on this host');
  assert.equal(fs.existsSync(path.join(root, 'backup')), false);
});

test('an upload that keeps failing (unknown access key) is retried, then moved to the backup directory and reported', async () => {
  const secret = 'the-secret-key-never-shown';
  const uploader = new CloudUploader({
    cloud: {
      Vendor: 1,
      Region: 'us-east-1',
      Bucket: s3.bucket,
      AccessKey: 'AKIDTEST',
      SecretKey: secret,
      EndpointUrl: s3.endpoint,
    },
    backupDirectory: path.join(root, 'backup'),
    attempts: 2,
    retryDelayMs: 50,
  });
  const f = localFile('task_2_alice_1.webm', 3000);
  const failures: [string, string, string | undefined][] = [];
  uploader.on('uploadFailed', (_file, code, message, backupPath) => failures.push([code, message, backupPath]));
  uploader.enqueue(f.path, f.file);
  await uploader.close();
  assert.equal(failures.length, 1);
  const [code, message, backupPath] = failures[0]!;
  assert.equal(code, 'InvalidAccessKeyId');
  assert.ok(!message.includes(secret) && !code.includes(secret));
  assert.equal(backupPath, path.join(root, 'backup', 'task_2_alice_1.webm'));
  assert.ok(fs.readFileSync(backupPath).equals(f.data));
  assert.equal(fs.existsSync(f.path), false);
  assert.deepEqual(uploader.uploaded, []);
  assert.deepEqual(
    (await s3.list()).filter((o) => o.key.includes('task_2')),
    [],
  );
});

test('CloudStorage is validated and each vendor has its public endpoint', () => {
  const base = { Region: 'ap-guangzhou', Bucket: 'rec-1250000000', AccessKey: 'a', SecretKey: 'b' };
  assert.equal(cloudStorageEndpoint({ ...base, Vendor: 0 }), 'https://cos.ap-guangzhou.myqcloud.com');
  assert.equal(cloudStorageEndpoint({ ...base, Vendor: 1 }), 'https://s3.ap-guangzhou.amazonaws.com');
  assert.equal(cloudStorageEndpoint({ ...base, Vendor: 2 }), 'https://oss-ap-guangzhou.aliyuncs.com');
  assert.equal(cloudStorageSchema.safeParse({ ...base, Vendor: 1, FileNamePrefix: ['../etc'] }).success, false);
  assert.equal(cloudStorageSchema.safeParse({ ...base, Vendor: 1, Bucket: 'A/B' }).success, false);
  assert.equal(cloudStorageSchema.safeParse({ ...base, Vendor: 7 }).success, false);
});
