/**
 * Recordings into the customer's own S3-compatible bucket (TRTC's `StorageParams.CloudStorage`: Vendor, Region,
 * Bucket, AccessKey, SecretKey, FileNamePrefix, EndpointUrl). Each finished file (written first to the task's
 * local directory) is uploaded with `@aws-sdk/lib-storage` (multipart above one part), retried with backoff, and
 * then removed locally: nothing stays behind. A file whose every attempt failed is moved to the backup directory
 * (on the recorder's host, for the operator to re-upload) and reported. The keys are held only by the S3 client;
 * no message, event or log line carries them.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { LookupFunction } from 'node:net';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { z } from 'zod';
import type { StoredFile } from './storage.ts';

const prefixPart = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'FileNamePrefix parts are [A-Za-z0-9_-]{1,64}');

/** TRTC's CloudStorage, validated. Vendor: 0 Tencent COS, 1 AWS S3, 2 Alibaba OSS (all spoken to as S3). */
export const cloudStorageSchema = z
  .object({
    Vendor: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    Region: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'not a region name'),
    Bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a bucket name'),
    AccessKey: z.string().min(1).max(256),
    SecretKey: z.string().min(1).max(256),
    /** Folders in the bucket: `["a","b"]` stores `a/b/<file>`. */
    FileNamePrefix: z.array(prefixPart).max(10).optional(),
    /** An S3-compatible endpoint (MinIO, Ceph, a private COS domain); default: the vendor's public endpoint. */
    EndpointUrl: z.string().url().max(512).optional(),
  })
  .strict();

export type CloudStorageParams = z.infer<typeof cloudStorageSchema>;

/** The endpoint a CloudStorage talks to: EndpointUrl, or the vendor's public endpoint for the region. */
export function cloudStorageEndpoint(cloud: CloudStorageParams): string {
  if (cloud.EndpointUrl) return cloud.EndpointUrl;
  if (cloud.Vendor === 0) return `https://cos.${cloud.Region}.myqcloud.com`;
  if (cloud.Vendor === 2) return `https://oss-${cloud.Region}.aliyuncs.com`;
  return `https://s3.${cloud.Region}.amazonaws.com`;
}

export interface CloudUploaderOptions {
  cloud: CloudStorageParams;
  /** Where files whose upload failed are moved (created when needed, mode 0700). */
  backupDirectory: string;
  /** Tries per file (default 3). */
  attempts?: number;
  /** Wait before the second try, doubled after each (default 1000 ms). */
  retryDelayMs?: number;
  /** Multipart part size (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
  /** Resolves and checks the endpoint's addresses before connecting (the server's network policy). */
  lookup?: LookupFunction;
  /** Per-request timeout (default 60 s). */
  requestTimeoutMs?: number;
}

/** An uploaded file: where it is in the bucket. */
export interface UploadedFile extends StoredFile {
  /** Object key in the bucket. */
  Key: string;
}

type UploaderEvents = {
  uploaded: [file: UploadedFile];
  /** Every try failed; the file is now in the backup directory (`backupPath`). */
  uploadFailed: [file: StoredFile, code: string, message: string, backupPath: string | undefined];
};

const MAX_MESSAGE = 300;

/** Uploads a task's files one after another, in the order they were finished. */
export class CloudUploader extends EventEmitter<UploaderEvents> {
  readonly uploaded: UploadedFile[] = [];
  readonly failed: StoredFile[] = [];
  readonly #o: Required<Omit<CloudUploaderOptions, 'lookup'>>;
  readonly #client: S3Client;
  readonly #prefix: string;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #closed = false;

  constructor(options: CloudUploaderOptions) {
    super();
    const cloud = cloudStorageSchema.parse(options.cloud);
    this.#o = { attempts: 3, retryDelayMs: 1000, partSize: 8 << 20, requestTimeoutMs: 60_000, ...options, cloud };
    this.#prefix = cloud.FileNamePrefix?.length ? `${cloud.FileNamePrefix.join('/')}/` : '';
    const agentOptions = { keepAlive: true, ...(options.lookup ? { lookup: options.lookup } : {}) };
    this.#client = new S3Client({
      region: cloud.Region,
      endpoint: cloudStorageEndpoint(cloud),
      // Custom endpoints (MinIO, s3rver, Ceph) rarely have per-bucket host names.
      forcePathStyle: cloud.EndpointUrl !== undefined,
      credentials: { accessKeyId: cloud.AccessKey, secretAccessKey: cloud.SecretKey },
      maxAttempts: 1,
      requestHandler: {
        httpAgent: new http.Agent(agentOptions),
        httpsAgent: new https.Agent(agentOptions),
        requestTimeout: this.#o.requestTimeoutMs,
        connectionTimeout: 10_000,
      },
    });
  }

  /** Files queued or uploading. */
  get pending(): number {
    return this.#pending;
  }

  /** The object key a file gets. */
  keyOf(fileName: string): string {
    return `${this.#prefix}${fileName}`;
  }

  /** Queues a finished file (`localPath` is removed after its upload, or moved to the backup directory). */
  enqueue(localPath: string, file: StoredFile): void {
    if (this.#closed) throw new Error('the uploader is closed');
    this.#pending++;
    this.#chain = this.#chain.then(() => this.#upload(localPath, file)).finally(() => this.#pending--);
  }

  /** Resolves once every queued file is uploaded or backed up. */
  async drain(): Promise<void> {
    let chain: Promise<void>;
    do {
      chain = this.#chain;
      await chain;
    } while (chain !== this.#chain);
  }

  /** Drains, then releases the client's connections. */
  async close(): Promise<void> {
    await this.drain();
    this.#closed = true;
    this.#client.destroy();
  }

  async #upload(localPath: string, file: StoredFile): Promise<void> {
    const key = this.keyOf(file.FileName);
    let last: unknown;
    for (let attempt = 0; attempt < this.#o.attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.#o.retryDelayMs * 2 ** (attempt - 1)));
      try {
        const upload = new Upload({
          client: this.#client,
          params: {
            Bucket: this.#o.cloud.Bucket,
            Key: key,
            Body: fs.createReadStream(localPath),
            ContentType: contentType(file.FileName),
          },
          partSize: Math.max(5 << 20, this.#o.partSize),
          queueSize: 2,
          leavePartsOnError: false,
        });
        await upload.done();
        fs.rmSync(localPath, { force: true });
        const uploaded = { ...file, Key: key };
        this.uploaded.push(uploaded);
        this.emit('uploaded', uploaded);
        return;
      } catch (error) {
        last = error;
      }
    }
    const { code, message } = describeError(last);
    let backupPath: string | undefined;
    try {
      backupPath = moveToBackup(localPath, this.#o.backupDirectory);
    } catch {
      backupPath = undefined; // the file stays where it was; the event says so
    }
    this.failed.push(file);
    this.emit('uploadFailed', file, code, message, backupPath);
  }
}

function contentType(name: string): string {
  if (name.endsWith('.webm')) return 'video/webm';
  if (name.endsWith('.mp4')) return 'video/mp4';
  if (name.endsWith('.m3u8')) return 'application/vnd.apple.mpegurl';
  return 'application/octet-stream';
}

/** An S3 error as a code and a short message (S3 messages name the bucket and key, never the credentials). */
function describeError(error: unknown): { code: string; message: string } {
  const e = error as { name?: unknown; Code?: unknown; message?: unknown; code?: unknown } | undefined;
  const code = [e?.Code, e?.name, e?.code].find((v): v is string => typeof v === 'string') ?? 'UploadFailed';
  const message = typeof e?.message === 'string' && e.message.length > 0 ? e.message : code;
  return { code: code.slice(0, 64), message: message.slice(0, MAX_MESSAGE) };
}

/** Moves a file into the backup directory (rename; copy and remove across filesystems). */
function moveToBackup(localPath: string, directory: string): string {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const target = path.join(directory, path.basename(localPath));
  try {
    fs.renameSync(localPath, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    fs.copyFileSync(localPath, target);
    fs.rmSync(localPath, { force: true });
  }
  return target;
}
