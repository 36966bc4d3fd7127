/**
 * `conclave-recorder`: records one room until stopped (SIGINT/SIGTERM) or idle. Secrets come from the
 * environment, never from flags (which other users of the machine can read in the process list):
 * CONCLAVE_RECORDER_USERSIG, CONCLAVE_RECORDER_PRIVATE_MAP_KEY, CONCLAVE_RECORDER_E2EE_SECRET (optional), and for
 * an S3-compatible bucket CONCLAVE_RECORDER_S3_ACCESS_KEY and CONCLAVE_RECORDER_S3_SECRET_KEY.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudUploader, type CloudStorageParams } from './cloud-storage.ts';
import type { MixLayoutParams, MixTranscodeParams } from './mix/mix-params.ts';
import { LocalDirectoryStorage } from './storage.ts';
import { Recorder } from './recorder.ts';

const USAGE = `usage: conclave-recorder --server URL --app SDKAPPID --user RECORDER_USERID (--room N | --str-room S)
                         --out DIR [--prefix P] [--stream-type 0|1|2] [--max-idle S] [--max-file-minutes M]
                         [--record-mode 1|2] [--mix-layout MIXLAYOUTPARAMS_JSON] [--mix-transcode MIXTRANSCODEPARAMS_JSON]
                         [--insecure-tls]
                         [--s3-bucket B --s3-region R [--s3-vendor 0|1|2] [--s3-endpoint URL] [--s3-prefix a/b]
                          [--backup DIR]]   (files then pass through --out and are uploaded)
environment: CONCLAVE_RECORDER_USERSIG, CONCLAVE_RECORDER_PRIVATE_MAP_KEY (Record bit 256), CONCLAVE_RECORDER_E2EE_SECRET,
             CONCLAVE_RECORDER_S3_ACCESS_KEY, CONCLAVE_RECORDER_S3_SECRET_KEY (with --s3-bucket)`;

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      app: { type: 'string' },
      user: { type: 'string' },
      room: { type: 'string' },
      'str-room': { type: 'string' },
      out: { type: 'string' },
      prefix: { type: 'string' },
      'stream-type': { type: 'string' },
      'max-idle': { type: 'string' },
      'max-file-minutes': { type: 'string' },
      'record-mode': { type: 'string' },
      'mix-layout': { type: 'string' },
      'mix-transcode': { type: 'string' },
      'insecure-tls': { type: 'boolean', default: false },
      's3-bucket': { type: 'string' },
      's3-region': { type: 'string' },
      's3-vendor': { type: 'string' },
      's3-endpoint': { type: 'string' },
      's3-prefix': { type: 'string' },
      backup: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const userSig = env['CONCLAVE_RECORDER_USERSIG'];
  const privateMapKey = env['CONCLAVE_RECORDER_PRIVATE_MAP_KEY'];
  if (values.help || !values.server || !values.app || !values.user || !values.out || !userSig || !privateMapKey) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if ((values.room === undefined) === (values['str-room'] === undefined)) {
    console.error('exactly one of --room and --str-room');
    return 2;
  }
  let cloud: CloudStorageParams | undefined;
  if (values['s3-bucket'] !== undefined) {
    const accessKey = env['CONCLAVE_RECORDER_S3_ACCESS_KEY'];
    const secretKey = env['CONCLAVE_RECORDER_S3_SECRET_KEY'];
    if (!accessKey || !secretKey || !values['s3-region']) {
      console.error('--s3-bucket needs --s3-region and CONCLAVE_RECORDER_S3_ACCESS_KEY / _SECRET_KEY');
      return 2;
    }
    cloud = {
      Vendor: Number(values['s3-vendor'] ?? 1) as 0 | 1 | 2,
      Region: values['s3-region'],
      Bucket: values['s3-bucket'],
      AccessKey: accessKey,
      SecretKey: secretKey,
      ...(values['s3-prefix'] ? { FileNamePrefix: values['s3-prefix'].split('/').filter(Boolean) } : {}),
      ...(values['s3-endpoint'] ? { EndpointUrl: values['s3-endpoint'] } : {}),
    };
  }
  const uploader = cloud
    ? new CloudUploader({ cloud, backupDirectory: values.backup ?? path.join(values.out, 'upload-failed') })
    : undefined;
  const secret = env['CONCLAVE_RECORDER_E2EE_SECRET'];
  const recorder = new Recorder({
    serverUrl: values.server,
    sdkAppId: Number(values.app),
    room: values.room !== undefined ? { roomId: Number(values.room) } : { strRoomId: values['str-room']! },
    userId: values.user,
    userSig,
    privateMapKey,
    storage: new LocalDirectoryStorage(values.out, values.prefix ? { fileNamePrefix: values.prefix } : {}),
    recordParams: {
      ...(values['record-mode'] ? { RecordMode: Number(values['record-mode']) as 1 | 2 } : {}),
      ...(values['stream-type'] ? { StreamType: Number(values['stream-type']) as 0 | 1 | 2 } : {}),
      ...(values['max-idle'] ? { MaxIdleTime: Number(values['max-idle']) } : {}),
      ...(values['max-file-minutes'] ? { MaxMediaFileDuration: Number(values['max-file-minutes']) } : {}),
    },
    mix: {
      // TRTC's JSON shapes; the Recorder validates them (mix-params.ts) before joining.
      ...(values['mix-layout'] ? { layout: JSON.parse(values['mix-layout']) as MixLayoutParams } : {}),
      ...(values['mix-transcode'] ? { transcode: JSON.parse(values['mix-transcode']) as MixTranscodeParams } : {}),
    },
    ...(secret ? { e2ee: { mode: 'shared' as const, secret } } : {}),
    insecureTls: values['insecure-tls'],
  });
  recorder.on('file', (f) => {
    console.log(JSON.stringify({ event: 'file', ...f }));
    uploader?.enqueue(path.join(path.resolve(values.out!), f.FileName), f);
  });
  uploader?.on('uploaded', (f) => console.log(JSON.stringify({ event: 'uploaded', ...f })));
  uploader?.on('uploadFailed', (f, code, message, backupPath) =>
    console.error(JSON.stringify({ event: 'uploadFailed', file: f.FileName, code, message, backupPath })),
  );
  recorder.on('warning', (code, message) => console.error(JSON.stringify({ event: 'warning', code, message })));
  const stopped = new Promise<string>((resolve) => recorder.once('stopped', (reason) => resolve(reason)));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void recorder.stop('requested'));
  await recorder.start();
  console.log(JSON.stringify({ event: 'started', taskId: recorder.taskId }));
  const reason = await stopped;
  await uploader?.close();
  console.log(
    JSON.stringify({
      event: 'stopped',
      reason,
      files: recorder.files.length,
      ...(uploader ? { uploaded: uploader.uploaded.length, uploadFailed: uploader.failed.length } : {}),
    }),
  );
  return reason === 'failed' || (uploader?.failed.length ?? 0) > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
