/**
 * An S3-compatible server for tests: `s3rver` in a child process on a free loopback port with one bucket, its data
 * in a fresh temporary directory; close() stops it (SIGKILL if it does not stop) and removes the directory.
 * Objects are read back with the real S3 client.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** s3rver accepts any signature made with this key pair. */
  accessKey: string;
  secretKey: string;
  /** Every object: key and size. */
  list(): Promise<{ key: string; size: number }[]>;
  get(key: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function startS3TestServer(bucket = 'recordings'): Promise<S3TestServer> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-s3rver-'));
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url)), directory, bucket],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(directory, { recursive: true, force: true });
  };
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout });
      lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
      child.once('error', reject);
      setTimeout(() => reject(new Error('s3rver did not start')), 20_000).unref();
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    endpoint,
    bucket,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    async list() {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (out.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: o.Size ?? 0 }));
    },
    async get(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
    async close() {
      client.destroy();
      await stop();
    },
  };
}
