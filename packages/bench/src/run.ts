/**
 * Runs one scenario against one system: admit the publishers at the join rate and start their media, admit the
 * receivers, let it settle, then measure a window — forwarded packets from the receivers' own counters, CPU from
 * /proc for the system's processes.
 */
import { cpuSeconds, percentile, rssMiB } from './measure/proc.ts';
import { monotonicUs, type MediaPeer, type SessionStats } from './native/media-peer.ts';
import { planScenario, type PlannedParticipant, type ScenarioOptions } from './scenario.ts';
import type { BenchParticipant, SystemName, SystemUnderTest } from './targets/target.ts';

export interface RunResult {
  system: SystemName;
  scenario: ScenarioOptions;
  participants: number;
  /** Subscriptions made (one per stream received by one participant). */
  subscriptions: number;
  joinMs: { p50: number; p95: number; max: number };
  firstPacketMs: { p50: number; p95: number; max: number };
  /** Packets per second the publishers sent and the receivers got, in the measured window. */
  packetsInPerS: number;
  forwardedPerS: number;
  /** Mean size of the packets the receivers got (SRTP, as on the wire), bytes. */
  forwardedPacketBytes: number;
  /** forwarded / (Σ over subscriptions of the publisher's send rate): ≈ 1 without simulcast. */
  fanoutConsistency: number;
  cpu: { label: string; role: 'worker' | 'node'; cores: number; rssMiB: number }[];
  /** Σ of every process: the worker(s) plus, for Conclave, the Node server. */
  cpuTotalCores: number;
  /** The forwarding processes (mediasoup workers, Janus) alone. */
  workerCores: number;
  /** Conclave's Node server process (signaling, rooms, stats polling, telemetry); 0 for the others. */
  nodeCores: number;
  /** CPU of the system per forwarded packet, µs. */
  cpuUsPerForwardedPacket: number;
  /** The media peer's own CPU (the load generator). */
  generatorCores: number;
  lossPercent: number;
  pli: number;
  fir: number;
  nack: number;
  windowS: number;
}

export type Progress = (line: string) => void;

interface Snapshot {
  atUs: number;
  stats: Map<number, SessionStats>;
  cpu: number[];
  generatorCpu: number;
}

const WARMUP_MS = 2000;

export async function runScenario(
  sut: SystemUnderTest,
  peer: MediaPeer,
  options: ScenarioOptions,
  progress: Progress,
): Promise<RunResult> {
  const plan = planScenario(options);
  const say = (line: string): void => progress(`[${sut.name}] ${line}`);
  const joined = new Map<string, BenchParticipant>();

  say(`admitting ${plan.publishers.length} publishers at ${options.joinRate}/s`);
  await admitAll(sut, plan.publishers, options.joinRate, joined, async (p, spec) => {
    await p.publish(spec.publishes, options.simulcast);
  });
  say(`admitting ${plan.viewers.length} receivers at ${options.joinRate}/s`);
  let subscriptions = 0;
  for (const spec of plan.publishers.filter((p) => p.receivesFrom.length > 0)) {
    const streams = await joined.get(spec.userId)!.subscribe(spec.receivesFrom);
    subscriptions += streams;
  }
  await admitAll(sut, plan.viewers, options.joinRate, joined, async (p, spec) => {
    const streams = await p.subscribe(spec.receivesFrom); // not `+= await`: joins run concurrently
    subscriptions += streams;
    if (joined.size % 10 === 0) say(`  ${joined.size} joined`);
  });

  await sleep(WARMUP_MS);
  const processes = sut.processes();
  const snapshot = async (): Promise<Snapshot> => ({
    atUs: monotonicUs(),
    stats: new Map((await peer.stats()).map((s) => [s.sid, s])),
    cpu: processes.map((p) => cpuSeconds(p.pid)),
    generatorCpu: cpuSeconds(peer.pid),
  });
  const start = await snapshot();
  let last = start;
  say(`measuring ${options.durationS} s`);
  for (let s = 1; s <= options.durationS; s++) {
    await sleep(1000);
    const now = await snapshot();
    const dt = (now.atUs - last.atUs) / 1e6;
    const fwd = sumDelta(now, last, receiveSids(joined), 'rxPackets') / dt;
    const cores = now.cpu.reduce((a, c, i) => a + c - last.cpu[i]!, 0) / dt;
    say(`  t=${s}s forwarded ${fwd.toFixed(0)} pkt/s, CPU ${(cores * 100).toFixed(0)}% of a core`);
    last = now;
  }
  const end = last;
  const windowS = (end.atUs - start.atUs) / 1e6;
  const rx = receiveSids(joined);
  const tx = [...joined.values()].flatMap((p) => p.sendSessions);
  const forwarded = sumDelta(end, start, rx, 'rxPackets');
  const forwardedBytes = sumDelta(end, start, rx, 'rxBytes');
  const lost = sumDelta(end, start, rx, 'lost');
  const txRateBySid = new Map(tx.map((sid) => [sid, delta(end, start, sid, 'txPackets') / windowS]));
  const expected = [...plan.publishers, ...plan.viewers].reduce(
    (sum, spec) =>
      sum +
      spec.receivesFrom.reduce(
        (s, from) => s + (joined.get(from)?.sendSessions ?? []).reduce((a, sid) => a + (txRateBySid.get(sid) ?? 0), 0),
        0,
      ),
    0,
  );
  const cpu = processes.map((p, i) => ({
    label: p.label,
    role: p.role,
    cores: (end.cpu[i]! - start.cpu[i]!) / windowS,
    rssMiB: rssMiB(p.pid),
  }));
  const cpuTotal = cpu.reduce((a, c) => a + c.cores, 0);
  const roleCores = (role: 'worker' | 'node'): number =>
    cpu.filter((c) => c.role === role).reduce((a, c) => a + c.cores, 0);
  const firstPacket = [...joined.values()]
    .filter((p) => p.receiveSessions.length > 0)
    .map((p) => ((end.stats.get(p.receiveSessions[0]!)?.firstRxUs ?? 0) - p.joinStartUs) / 1000)
    .filter((ms) => ms > 0);
  const joins = [...joined.values()].map((p) => p.joinMs);
  const txEnd = tx.map((sid) => end.stats.get(sid));
  const result: RunResult = {
    system: sut.name,
    scenario: options,
    participants: joined.size,
    subscriptions,
    joinMs: spread(joins),
    firstPacketMs: spread(firstPacket),
    packetsInPerS: tx.reduce((a, sid) => a + (txRateBySid.get(sid) ?? 0), 0),
    forwardedPerS: forwarded / windowS,
    forwardedPacketBytes: forwarded > 0 ? forwardedBytes / forwarded : 0,
    fanoutConsistency: expected > 0 ? forwarded / windowS / expected : 0,
    cpu,
    cpuTotalCores: cpuTotal,
    workerCores: roleCores('worker'),
    nodeCores: roleCores('node'),
    cpuUsPerForwardedPacket: forwarded > 0 ? (cpuTotal * windowS * 1e6) / forwarded : 0,
    generatorCores: (end.generatorCpu - start.generatorCpu) / windowS,
    lossPercent: forwarded + lost > 0 ? (100 * lost) / (forwarded + lost) : 0,
    pli: txEnd.reduce((a, s) => a + (s?.pli ?? 0), 0),
    fir: txEnd.reduce((a, s) => a + (s?.fir ?? 0), 0),
    nack: txEnd.reduce((a, s) => a + (s?.nack ?? 0), 0),
    windowS,
  };
  await Promise.all([...joined.values()].map((p) => p.leave().catch(() => undefined)));
  for (const sid of [...rx, ...tx]) peer.closeSession(sid);
  return result;
}

/** Joins participants at `rate` per second (each starts on schedule; joins may overlap). */
async function admitAll(
  sut: SystemUnderTest,
  specs: PlannedParticipant[],
  rate: number,
  joined: Map<string, BenchParticipant>,
  then: (p: BenchParticipant, spec: PlannedParticipant) => Promise<void>,
): Promise<void> {
  const t0 = Date.now();
  await Promise.all(
    specs.map(async (spec, i) => {
      await sleep(Math.max(0, t0 + (i * 1000) / rate - Date.now()));
      const p = await sut.join(spec.userId);
      joined.set(spec.userId, p);
      await then(p, spec);
    }),
  );
}

function receiveSids(joined: Map<string, BenchParticipant>): number[] {
  return [...new Set([...joined.values()].flatMap((p) => p.receiveSessions))];
}

type Counter = 'rxPackets' | 'rxBytes' | 'lost' | 'txPackets';

function delta(a: Snapshot, b: Snapshot, sid: number, key: Counter): number {
  return (a.stats.get(sid)?.[key] ?? 0) - (b.stats.get(sid)?.[key] ?? 0);
}

function sumDelta(a: Snapshot, b: Snapshot, sids: number[], key: Counter): number {
  return sids.reduce((sum, sid) => sum + delta(a, b, sid, key), 0);
}

function spread(values: number[]): { p50: number; p95: number; max: number } {
  return { p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(0, ...values) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
