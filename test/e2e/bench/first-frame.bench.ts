/**
 * Benchmark (not a test): time from `enterRoom()` to the first decoded remote frame, over repeated joins on
 * loopback (issue 3 target: p50 < 400 ms). One Chromium page publishes its fake camera; another page enters,
 * starts the publisher's video when it becomes available, waits for FIRST_VIDEO_FRAME, leaves, and repeats.
 * Back-to-back joins used to hit the SFU's keyframe-request throttle; a gap between joins shows the figure
 * without it.
 *
 * Meeting start: N pages with their fake cameras on call enterRoom at the same moment; every page starts each
 * remote video as it becomes available. Per ordered pair (viewer, publisher): enterRoom → first decoded frame
 * and REMOTE_VIDEO_AVAILABLE → first decoded frame, p50/p95, and the CPU time of the browser processes against
 * the server's (this process with the in-process server, plus the mediasoup worker) during the rounds, and where
 * the time after REMOTE_VIDEO_AVAILABLE goes (consume + receive SDP, resumeConsumer, first packet, first frame).
 *   node --import tsx test/e2e/bench/first-frame.bench.ts [joins=20] [gapMs=0] [meetingSizes=4,8 (0: none)]
 *   node --import tsx test/e2e/bench/first-frame.bench.ts meeting [N=4,8] [rounds=3]
 */
import fs from 'node:fs';
import { startE2E, type ClientPage, type E2E } from '../harness.ts';

const MEETING_ONLY = process.argv[2] === 'meeting';
const JOINS = MEETING_ONLY ? 0 : Number(process.argv[2] ?? 20);
const GAP_MS = MEETING_ONLY ? 0 : Number(process.argv[3] ?? 0);
const MEETING_SIZES = (MEETING_ONLY ? (process.argv[3] ?? '4,8') : (process.argv[4] ?? '4,8'))
  .split(',')
  .map(Number)
  .filter((n) => n > 1);
const MEETING_ROUNDS = Number(MEETING_ONLY ? (process.argv[4] ?? 3) : 3);

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

interface MeetingArgs {
  enter: Record<string, unknown>;
  others: string[];
  timeoutMs: number;
}

/**
 * Where REMOTE_VIDEO_AVAILABLE → first frame goes, per pair (ms from availability): the receiver's track
 * appears (consume round trip + the receive SDP), startRemoteVideo resolves (resumeConsumer round trip), the
 * first RTP packet is counted (the SFU forwards from a keyframe: keyframe request, publisher, network), the
 * first frame is drawn (decode, render). Packets are read by polling receiver stats every 20 ms.
 */
interface Phases {
  track: number;
  started: number;
  packet: number;
  frame: number;
}

interface MeetingResult {
  pairs: { userId: string; enterToFrame: number; availableToFrame: number; phases?: Phases }[];
  /** Remote videos with no frame within the timeout, and why (when startRemoteVideo said). */
  missing: string[];
}

/** Runs inside the page: enter, start every remote video on availability, resolve once all drew a frame. */
async function meetingJoin(t: unknown, args: MeetingArgs): Promise<MeetingResult> {
  type Trtc = {
    on(e: string, f: (p: { userId: string; streamType: string }) => void): void;
    off(e: string, f: (p: { userId: string; streamType: string }) => void): void;
    enterRoom(a: unknown): Promise<void>;
    startRemoteVideo(a: unknown): Promise<void>;
  };
  const trtc = t as Trtc;
  const EVENT = (globalThis as unknown as { TRTC: { EVENT: Record<string, string> } }).TRTC.EVENT;
  const doc = (globalThis as unknown as { document: { createElement(t: string): DomElement; body: DomElement } })
    .document;
  type DomElement = { id: string; style: { cssText: string }; appendChild(e: DomElement): void; remove(): void };
  const available = new Map<string, number>();
  const frames = new Map<string, number>();
  let done: () => void = () => undefined;
  const allFrames = new Promise<void>((resolve) => (done = resolve));
  const onFrame = (p: { userId: string; streamType: string }) => {
    if (p.streamType !== 'main' || !args.others.includes(p.userId) || frames.has(p.userId)) return;
    frames.set(p.userId, performance.now());
    if (frames.size === args.others.length) done();
  };
  const onAvailable = (p: { userId: string; streamType: string }) => {
    if (p.streamType !== 'main' || available.has(p.userId)) return;
    available.set(p.userId, performance.now());
    const view = doc.createElement('div');
    view.id = `meeting-${p.userId}`;
    view.style.cssText = 'width:160px;height:120px';
    doc.body.appendChild(view);
    trtc
      .startRemoteVideo({ userId: p.userId, streamType: 'main', view: view.id })
      .then(() => startedAt.set(p.userId, performance.now()))
      .catch((e: { message?: string }) => errors.set(p.userId, String(e?.message)));
  };
  const errors = new Map<string, string>();
  // Phase probes: when each video receiver's track appeared and when its first packet was counted.
  type Receiver = {
    track: { id: string; kind: string };
    getStats(): Promise<{ forEach(f: (s: Record<string, unknown>) => void): void }>;
  };
  const pcs = (globalThis as unknown as { pcs: { connectionState: string; getReceivers(): Receiver[] }[] }).pcs;
  const trackAt = new Map<string, number>();
  const packetAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  let probing = false;
  const probe = setInterval(() => {
    if (probing) return;
    probing = true;
    const waiting: Promise<void>[] = [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      for (const receiver of pc.getReceivers()) {
        const id = receiver.track.id;
        if (receiver.track.kind !== 'video' || packetAt.has(id)) continue;
        if (!trackAt.has(id)) trackAt.set(id, performance.now());
        waiting.push(
          receiver.getStats().then((report) =>
            report.forEach((st) => {
              if (st['type'] === 'inbound-rtp' && Number(st['packetsReceived'] ?? 0) > 0 && !packetAt.has(id))
                packetAt.set(id, performance.now());
            }),
          ),
        );
      }
    }
    void Promise.all(waiting).finally(() => (probing = false));
  }, 20);
  const trackOf = (userId: string): string | undefined => {
    const video = (
      doc as unknown as { querySelector(s: string): { srcObject?: { getVideoTracks(): { id: string }[] } } | null }
    ).querySelector(`#meeting-${userId} video`);
    return video?.srcObject?.getVideoTracks()[0]?.id;
  };
  trtc.on(EVENT['FIRST_VIDEO_FRAME']!, onFrame);
  trtc.on(EVENT['REMOTE_VIDEO_AVAILABLE']!, onAvailable);
  const start = performance.now();
  await trtc.enterRoom(args.enter);
  await Promise.race([allFrames, new Promise((r) => setTimeout(r, args.timeoutMs))]);
  trtc.off(EVENT['FIRST_VIDEO_FRAME']!, onFrame);
  trtc.off(EVENT['REMOTE_VIDEO_AVAILABLE']!, onAvailable);
  clearInterval(probe);
  const phasesOf = (userId: string): Phases | undefined => {
    const id = trackOf(userId);
    const from = available.get(userId)!;
    const [track, packet, started] = [trackAt.get(id ?? ''), packetAt.get(id ?? ''), startedAt.get(userId)];
    if (track === undefined || packet === undefined || started === undefined) return undefined;
    return { track: track - from, started: started - from, packet: packet - from, frame: frames.get(userId)! - from };
  };
  return {
    pairs: args.others
      .filter((userId) => frames.has(userId))
      .map((userId) => ({
        userId,
        enterToFrame: frames.get(userId)! - start,
        availableToFrame: frames.get(userId)! - available.get(userId)!,
        ...(phasesOf(userId) ? { phases: phasesOf(userId) } : {}),
      })),
    missing: args.others
      .filter((userId) => !frames.has(userId))
      .map((userId) => `${userId}${available.has(userId) ? '' : ' (never available)'} ${errors.get(userId) ?? ''}`),
  };
}

/** Leaves and removes the views of {@link meetingJoin}. */
async function meetingLeave(t: unknown): Promise<void> {
  await (t as { exitRoom(): Promise<void> }).exitRoom();
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { remove(): void }[] } }).document;
  for (const view of doc.querySelectorAll('[id^="meeting-"]')) view.remove();
}

/** CPU seconds (user + system) of every browser and mediasoup-worker process, by pid, read from /proc. */
function cpuSnapshot(): Map<string, { group: 'browser' | 'worker'; seconds: number }> {
  const tick = 100; // USER_HZ on Linux
  const out = new Map<string, { group: 'browser' | 'worker'; seconds: number }>();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / tick;
    if (/^(chromium|chrome)/i.test(comm)) out.set(pid, { group: 'browser', seconds });
    else if (comm.startsWith('mediasoup-work')) out.set(pid, { group: 'worker', seconds });
  }
  return out;
}

/** CPU seconds spent between two snapshots (processes that ended in between are not counted). */
function cpuBetween(
  before: ReturnType<typeof cpuSnapshot>,
  after: ReturnType<typeof cpuSnapshot>,
  ownBefore: NodeJS.CpuUsage,
): { browser: number; server: number } {
  let browser = 0;
  let server = 0;
  for (const [pid, { group, seconds }] of after) {
    const spent = seconds - (before.get(pid)?.seconds ?? 0);
    if (group === 'browser') browser += spent;
    else server += spent;
  }
  const own = process.cpuUsage(ownBefore);
  return { browser, server: server + (own.user + own.system) / 1e6 };
}

/** The machine's 1-minute load average (other work on it skews every figure). */
function loadAverage(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';
}

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label} p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
}

/** p50/p95 of each phase's own share (the time from the previous step), over the pairs with every probe. */
function phaseSummary(phases: Phases[]): string {
  if (phases.length === 0) return 'phases: no pair with every probe';
  const share = (f: (p: Phases) => number) => {
    const sorted = phases.map(f).sort((a, b) => a - b);
    return `p50 ${percentile(sorted, 50).toFixed(0)} / p95 ${percentile(sorted, 95).toFixed(0)}`;
  };
  return (
    `phases after REMOTE_VIDEO_AVAILABLE (${phases.length} pairs, ms): consume → receiver track ${share((p) => p.track)}; ` +
    `→ resumed ${share((p) => p.started - p.track)}; → first packet ${share((p) => p.packet - Math.min(p.started, p.packet))} ` +
    `(from track ${share((p) => p.packet - p.track)}); → first frame ${share((p) => p.frame - p.packet)}`
  );
}

async function meeting(e2e: E2E, n: number, rounds: number): Promise<void> {
  const users = Array.from({ length: n }, (_, i) => `m${n}-${i}`);
  const pages: ClientPage[] = [];
  for (const userId of users) {
    const page = await e2e.newPage(userId);
    const video = await page.invoke('startLocalVideo', { view: 'local', option: { profile: '480p' } });
    if (!video.ok) throw new Error(`${userId} startLocalVideo: ${JSON.stringify(video)}`);
    pages.push(page);
  }
  const enterToFrame: number[] = [];
  const availableToFrame: number[] = [];
  const phases: Phases[] = [];
  const missing: string[] = [];
  const before = cpuSnapshot();
  const ownBefore = process.cpuUsage();
  const loadBefore = loadAverage();
  const startedAt = Date.now();
  for (let round = 0; round < rounds; round++) {
    const roomId = 500_000 + n * 100 + round;
    const results = await Promise.all(
      pages.map((page, i) =>
        page.call(meetingJoin, {
          enter: { sdkAppId: e2e.test.sdkAppId, userId: users[i], userSig: e2e.userSig(users[i]!), roomId },
          others: users.filter((u) => u !== users[i]),
          timeoutMs: 30_000,
        }),
      ),
    );
    for (const [i, result] of results.entries()) {
      if (!result.ok) throw new Error(`${users[i]} round ${round + 1}: ${JSON.stringify(result)}`);
      for (const m of result.value.missing) missing.push(`${users[i]} ← ${m}`);
      for (const pair of result.value.pairs) {
        enterToFrame.push(pair.enterToFrame);
        availableToFrame.push(pair.availableToFrame);
        if (pair.phases) phases.push(pair.phases);
      }
    }
    await Promise.all(pages.map((page) => page.call(meetingLeave)));
    process.stdout.write(`\rmeeting N = ${n}: round ${round + 1}/${rounds}   `);
  }
  const cpu = cpuBetween(before, cpuSnapshot(), ownBefore);
  const wall = (Date.now() - startedAt) / 1000;
  const browserCpu = cpu.browser;
  const serverCpu = cpu.server;
  console.log(
    `\nmeeting start, N = ${n}, ${rounds} rounds, ${enterToFrame.length} pairs:\n` +
      `  ${summary('enterRoom → first frame:', enterToFrame)}\n` +
      `  ${summary('REMOTE_VIDEO_AVAILABLE → first frame:', availableToFrame)}\n` +
      `  ${phaseSummary(phases)}\n` +
      `  CPU over ${wall.toFixed(1)} s wall: browsers ${browserCpu.toFixed(1)} s (${((100 * browserCpu) / (browserCpu + serverCpu)).toFixed(0)} %), ` +
      `server + mediasoup worker ${serverCpu.toFixed(1)} s; load average ${loadBefore} → ${loadAverage()}` +
      (missing.length ? `\n  no frame within 30 s for ${missing.length} pairs: ${missing.slice(0, 8).join('; ')}` : ''),
  );
  for (const page of pages) await page.close();
}

const e2e = await startE2E();
try {
  if (JOINS > 0) await sequentialJoins(e2e);
  for (const n of MEETING_SIZES) await meeting(e2e, n, MEETING_ROUNDS);
} finally {
  await e2e.close();
}

async function sequentialJoins(e2e: E2E): Promise<void> {
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
  await publisher.close();
  await viewer.close();
}
