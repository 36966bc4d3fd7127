// Cloud API and callback figures on this machine.
// Run: npm run bench:api   (node --import tsx packages/server/bench/cloud-api.bench.ts)
//  1. DescribeRoomInfo requests per second with TC3 signature verification (target ≥ 2,000/s on one core): the
//     server runs on the main thread; a worker thread signs (distinct bodies, so every request is verified and
//     run afresh, not a repeated read) and sends over keep-alive connections. The per-app rate limit is raised for the run.
//  2. Callback delivery latency on loopback, event → receiver (queue write, dispatch, signed POST): p50/p95.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { tc3Signature } from '@conclave/server/auth';

const DURATION_MS = 5_000;
const CONNECTIONS = 32;
const TARGET_PER_SECOND = 2_000;

interface LoadInput {
  url: string;
  secretId: string;
  secretKey: string;
  sdkAppId: number;
  durationMs: number;
  /** Where this run's body sequence starts, so two runs in the same second sign different bodies. */
  firstSequence: number;
}

/** Worker side: signed DescribeRoomInfo requests as fast as the server answers them. */
async function generateLoad(input: LoadInput): Promise<{ ok: number; failed: number; ms: number; error?: string }> {
  const target = new URL(input.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let sequence = input.firstSequence;
  let ok = 0;
  let failed = 0;
  let error: string | undefined;
  const send = () =>
    new Promise<void>((resolve) => {
      const timestamp = Math.floor(Date.now() / 1000);
      // A distinct body per request (so a distinct signature), always within DescribeRoomInfo's 24 h window.
      const body = JSON.stringify({
        SdkAppId: input.sdkAppId,
        StartTime: timestamp - 3600 - (sequence++ % 80_000),
        EndTime: timestamp,
      });
      const signature = tc3Signature({
        method: 'POST',
        path: '/',
        query: '',
        canonicalHeaders: `content-type:application/json\nhost:${target.hostname}\n`,
        signedHeaders: 'content-type;host',
        body,
        timestamp,
        service: 'trtc',
        secretKey: input.secretKey,
      });
      const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
      const request = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'x-tc-action': 'DescribeRoomInfo',
            'x-tc-version': '2019-07-22',
            'x-tc-timestamp': String(timestamp),
            authorization: `TC3-HMAC-SHA256 Credential=${input.secretId}/${date}/trtc/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (text.includes('"Error"')) {
              failed++;
              error ??= text;
            } else ok++;
            resolve();
          });
        },
      );
      request.on('error', (e) => {
        failed++;
        error ??= e.message;
        resolve();
      });
      request.end(body);
    });
  const started = performance.now();
  const deadline = started + input.durationMs;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) await send();
    }),
  );
  agent.destroy();
  return { ok, failed, ms: performance.now() - started, ...(error === undefined ? {} : { error }) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const { startTestServer } = await import('../src/testing/test-server.ts');
  const { loadOrCreateDevKeys } = await import('../src/dev-keys.ts');
  const { roomEvent } = await import('../src/callbacks/events.ts');
  const t = await startTestServer({
    api: { requestsPerSecondPerApp: 1_000_000 },
    // The receiver is this process on loopback over plain http, which the callback URL policy refuses by default.
    callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true },
  });
  const keys = loadOrCreateDevKeys({ dataDir: t.dataDir } as never);
  try {
    // Some history to list: 200 calls in the last hours (DescribeRoomInfo returns the first page of 10).
    const region = await t.server.stores.storeForApp(t.sdkAppId);
    for (let i = 0; i < 200; i++)
      await region.telemetry.openRoomSession({
        sdkAppId: t.sdkAppId,
        roomId: String(1000 + i),
        roomIdType: 1,
        createdAt: Date.now() - i * 60_000,
      });

    const run = (durationMs: number, firstSequence: number) =>
      new Promise<Awaited<ReturnType<typeof generateLoad>>>((resolve, reject) => {
        const input: LoadInput = {
          url: t.server.url,
          secretId: keys.apiSecretId,
          secretKey: keys.apiSecretKey,
          sdkAppId: t.sdkAppId,
          durationMs,
          firstSequence,
        };
        // Worker threads do not inherit `--import tsx`: the worker registers tsx, then loads this file.
        const loader = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
          .then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
        const worker = new Worker(loader, { eval: true, workerData: input });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    await run(1_000, 0); // warm-up
    const result = await run(DURATION_MS, 40_000);
    const perSecond = (result.ok / result.ms) * 1000;
    console.log(
      `DescribeRoomInfo (TC3-verified, ${CONNECTIONS} keep-alive connections): ${Math.round(perSecond).toLocaleString('en-US')} req/s` +
        `  [${result.ok} ok, ${result.failed} failed]  target ≥ ${TARGET_PER_SECOND.toLocaleString('en-US')}/s` +
        `  ${perSecond >= TARGET_PER_SECOND ? 'PASS' : 'BELOW TARGET'}`,
    );
    if (result.error) console.log(`  first failure: ${result.error.slice(0, 200)}`);

    // Callback latency: event time (EventMsTs) → the receiver has the whole body.
    const latencies: number[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { EventInfo: { EventMsTs: number } };
        latencies.push(Date.now() - body.EventInfo.EventMsTs);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    const { app } = await t.server.stores.apps.create({
      name: 'bench',
      region: 'default',
      callbackUrl: `http://127.0.0.1:${port}/cb`,
      callbackKey: 'benchKey',
    });
    const events = 500;
    for (let i = 0; i < events; i++) {
      t.server.callbacks.enqueue(app.sdkAppId, roomEvent(101, { sdkAppId: app.sdkAppId, roomId: 1 + i }, Date.now()));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (let i = 0; i < 100 && latencies.length < events; i++) await new Promise((r) => setTimeout(r, 100));
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `Callback delivery latency on loopback (${latencies.length}/${events} events, one every 5 ms): ` +
        `p50 ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, max ${sorted.at(-1)} ms`,
    );
    receiver.close();
  } finally {
    await t.close();
  }
}

if (isMainThread) await main();
else parentPort?.postMessage(await generateLoad(workerData as LoadInput));
