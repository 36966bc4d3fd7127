/**
 * Benchmark (not a test): time from `enterRoom()` to the first decoded remote frame, over repeated joins on
 * loopback (issue 3 target: p50 < 400 ms). One Chromium page publishes its fake camera; another page enters,
 * starts the publisher's video when it becomes available, waits for FIRST_VIDEO_FRAME, leaves, and repeats.
 * Back-to-back joins hit the SFU's keyframe-request throttle (a new subscriber's PLI waits until the previous
 * request for that producer is old enough); a gap between joins shows the unthrottled figure.
 *   node --import tsx test/e2e/bench/first-frame.bench.ts [joins=20] [gapMs=0]
 */
import { startE2E } from '../harness.ts';

const JOINS = Number(process.argv[2] ?? 20);
const GAP_MS = Number(process.argv[3] ?? 0);

interface MeasureArgs {
  publisher: string;
  enter: Record<string, unknown>;
}

/** Runs inside the page: enter, start the publisher's video on availability, resolve at its first frame. */
async function measure(t: unknown, args: MeasureArgs): Promise<number> {
  type Trtc = {
    on(e: string, f: (p: { userId: string; streamType: string }) => void): void;
    off(e: string, f: (p: { userId: string; streamType: string }) => void): void;
    enterRoom(a: unknown): Promise<void>;
    exitRoom(): Promise<void>;
    startRemoteVideo(a: unknown): Promise<void>;
  };
  const trtc = t as Trtc;
  const EVENT = (globalThis as unknown as { TRTC: { EVENT: Record<string, string> } }).TRTC.EVENT;
  const start = performance.now();
  let onFrame: (p: { userId: string }) => void = () => undefined;
  const firstFrame = new Promise<void>((resolve) => {
    onFrame = (p) => {
      if (p.userId === args.publisher) resolve();
    };
  });
  const onAvailable = (p: { userId: string; streamType: string }) => {
    if (p.userId === args.publisher && p.streamType === 'main') {
      void trtc.startRemoteVideo({ userId: p.userId, streamType: 'main', view: 'remote' });
    }
  };
  trtc.on(EVENT['FIRST_VIDEO_FRAME']!, onFrame);
  trtc.on(EVENT['REMOTE_VIDEO_AVAILABLE']!, onAvailable);
  await trtc.enterRoom(args.enter);
  await firstFrame;
  const elapsed = performance.now() - start;
  trtc.off(EVENT['FIRST_VIDEO_FRAME']!, onFrame);
  trtc.off(EVENT['REMOTE_VIDEO_AVAILABLE']!, onAvailable);
  await trtc.exitRoom();
  return elapsed;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const e2e = await startE2E();
try {
  const room = { roomId: 424242 };
  const publisher = await e2e.newPage('publisher');
  const enterPublisher = await publisher.call((t, a) => (t as { enterRoom(x: unknown): Promise<void> }).enterRoom(a), {
    sdkAppId: e2e.test.sdkAppId,
    userId: 'pub',
    userSig: e2e.userSig('pub'),
    ...room,
  });
  if (!enterPublisher.ok) throw new Error(`publisher could not enter: ${JSON.stringify(enterPublisher)}`);
  await publisher.invoke('startLocalVideo', { view: 'local', option: { profile: '480p' } });
  const viewer = await e2e.newPage('viewer');
  const times: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const result = await viewer.call(measure, {
      publisher: 'pub',
      enter: { sdkAppId: e2e.test.sdkAppId, userId: 'viewer', userSig: e2e.userSig('viewer'), ...room },
    });
    if (!result.ok) throw new Error(`join ${i + 1} failed: ${JSON.stringify(result)}`);
    times.push((result as { value: number }).value);
    process.stdout.write(`\rjoin ${i + 1}/${JOINS}: ${times.at(-1)!.toFixed(0)} ms   `);
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `\nenterRoom → first decoded remote frame over ${JOINS} joins (${GAP_MS} ms apart): p50 ${percentile(sorted, 50).toFixed(0)} ms, ` +
      `p95 ${percentile(sorted, 95).toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`,
  );
} finally {
  await e2e.close();
}
