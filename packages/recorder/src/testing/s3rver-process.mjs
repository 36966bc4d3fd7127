// Runs s3rver (an S3-compatible server) for a test, in its own plain-Node process: under the tsx loader one of
// its dependencies (generator-function's `module-sync` export) does not load. Prints {"port":N} once it listens;
// stops when its parent closes stdin or sends SIGTERM. Usage: node s3rver-process.mjs DATA_DIR BUCKET
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  port: 0,
  address: '127.0.0.1',
  directory,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  server.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
