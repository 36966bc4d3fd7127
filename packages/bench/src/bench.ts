/**
 * `conclave bench`: runs the chosen scenario against each system (fresh instance per run), measures the
 * physical floor and the join rate, prints a table and writes JSON (and an SVG plot for a sweep).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureFloor, type FloorResult } from './floor.ts';
import { measureJoinRate, type JoinRateResult } from './joins.ts';
import { clipStats, readClip, type ClipStats } from './media/cbrt.ts';
import { ensureMedia, type MediaSet, type MediaSlot, type MediaVariant } from './media/generate.ts';
import { MediaPeer } from './native/media-peer.ts';
import { BENCH_USAGE, parseBenchOptions, type BenchOptions } from './options.ts';
import { cpuPlotSvg } from './report/plot.ts';
import { e2eeCosts, formatReport, ratios } from './report/table.ts';
import { runScenario, type Progress, type RunResult } from './run.ts';
import type { ScenarioOptions } from './scenario.ts';
import { BareMediasoup } from './targets/bare-mediasoup.ts';
import { ConclaveTarget } from './targets/conclave.ts';
import { runJanusIsolated } from './targets/janus-isolated.ts';
import type { SystemName, SystemUnderTest } from './targets/target.ts';

export { BENCH_USAGE };

const ROOM_ID = 4242;
const PORTS: Record<Exclude<SystemName, 'janus'>, { min: number; max: number }> = {
  conclave: { min: 41000, max: 41999 },
  mediasoup: { min: 42000, max: 42999 },
};

export interface BenchReport {
  machine: { cpu: string; cores: number; kernel: string; node: string; memoryGiB: number };
  startedAt: string;
  options: BenchOptions;
  floor?: FloorResult;
  joins?: JoinRateResult;
  /** What each clip puts on the wire (RTP, before SRTP), plain and, when used, E2EE. */
  media: Partial<Record<MediaVariant, Record<MediaSlot, ClipStats>>>;
  runs: RunResult[];
  ratios: ReturnType<typeof ratios>;
  /** For runs made without and with E2EE (`--compare-e2ee`): what E2EE costs each system. */
  e2eeCost: ReturnType<typeof e2eeCosts>;
  /** Systems that could not be measured, and why. */
  skipped: { system: SystemName; reason: string }[];
}

/** Runs `conclave bench ...` with the arguments after `bench`. */
export async function benchCommand(
  argv: string[],
  progress: Progress = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  const help = argv[0] === '--help' || argv[0] === '-h';
  const [verb, ...rest] = !help && (argv[0]?.startsWith('-') || argv[0] === undefined) ? ['run', ...argv] : argv;
  switch (verb) {
    case 'run': {
      const report = await runBench(parseBenchOptions(rest), progress);
      process.stdout.write(formatReport(report.runs, report.floor, report.joins));
      for (const s of report.skipped) process.stdout.write(`skipped ${s.system}: ${s.reason}\n`);
      return;
    }
    case 'joins': {
      const o = parseBenchOptions(rest);
      const joins = await measureJoinRate(
        { roomId: ROOM_ID },
        { joins: o.joins || 200, concurrency: o.concurrency, ports: PORTS.conclave },
      );
      process.stdout.write(formatReport([], undefined, joins));
      return;
    }
    case 'floor':
      process.stdout.write(formatReport([], await measureFloor(), undefined));
      return;
    case 'media': {
      const media = await ensureMedia({ e2ee: true });
      process.stdout.write(`${JSON.stringify({ files: media, stats: mediaStats(media) }, null, 2)}\n`);
      return;
    }
    case '__janus-child':
      return janusChild();
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${BENCH_USAGE}\n`);
      return;
    default:
      throw new Error(`unknown bench command "${verb}"\n\n${BENCH_USAGE}`);
  }
}

/** The whole benchmark: every system at every subscriber count, the floor and the join rate. */
export async function runBench(options: BenchOptions, progress: Progress): Promise<BenchReport> {
  const report: BenchReport = {
    machine: machine(),
    startedAt: new Date().toISOString(),
    options,
    media: {},
    runs: [],
    ratios: [],
    e2eeCost: [],
    skipped: [],
  };
  progress('preparing media and native programs');
  const media = await ensureMedia({ e2ee: options.e2ee !== 'off' });
  report.media = mediaStats(media);
  report.floor = await measureFloor();
  progress(`physical floor: ${report.floor.sealSendUs.toFixed(2)} µs/packet`);
  const e2eeRuns = { off: [false], on: [true], compare: [false, true] }[options.e2ee];
  const scenarios = options.subscribers.flatMap((subscribers) =>
    e2eeRuns.map((e2ee) => scenarioOf(options, subscribers, e2ee)),
  );

  const peer = await MediaPeer.start(media);
  try {
    // Per subscriber count, each system runs plain and E2EE back to back, so drift between runs stays small.
    for (const subscribers of options.subscribers) {
      for (const system of options.systems.filter((s) => s !== 'janus')) {
        for (const scenario of scenarios.filter((s) => s.subscribers === subscribers)) {
          const sut = await startSystem(system as Exclude<SystemName, 'janus'>, peer, options, scenario.e2ee);
          try {
            report.runs.push(await runScenario(sut, peer, scenario, progress));
          } finally {
            await sut.close();
          }
        }
      }
    }
  } finally {
    peer.close();
  }
  if (options.systems.includes('janus')) {
    try {
      report.runs.push(...(await runJanusIsolated({ runs: scenarios }, progress)));
    } catch (error) {
      report.skipped.push({ system: 'janus', reason: error instanceof Error ? error.message : String(error) });
    }
  }
  if (options.joins > 0) {
    progress(`join rate: ${options.joins} joins, ${options.concurrency} at a time`);
    report.joins = await measureJoinRate(
      { roomId: ROOM_ID + 1 },
      { joins: options.joins, concurrency: options.concurrency, ports: PORTS.conclave },
    );
  }
  report.ratios = ratios(report.runs, report.floor);
  report.e2eeCost = e2eeCosts(report.runs);
  writeOutputs(report, options);
  return report;
}

function scenarioOf(o: BenchOptions, subscribers: number, e2ee: boolean): ScenarioOptions {
  return {
    scenario: o.scenario,
    publishers: o.publishers,
    subscribers,
    joinRate: o.joinRate,
    durationS: o.durationS,
    simulcast: o.simulcast,
    e2ee,
  };
}

function mediaStats(media: MediaSet): BenchReport['media'] {
  const stats = (files: Record<MediaSlot, string>): Record<MediaSlot, ClipStats> =>
    Object.fromEntries(Object.entries(files).map(([slot, file]) => [slot, clipStats(readClip(file))])) as Record<
      MediaSlot,
      ClipStats
    >;
  return { plain: stats(media.plain), ...(media.e2ee ? { e2ee: stats(media.e2ee) } : {}) };
}

async function startSystem(
  system: Exclude<SystemName, 'janus'>,
  peer: MediaPeer,
  o: BenchOptions,
  e2ee: boolean,
): Promise<SystemUnderTest> {
  if (system === 'mediasoup') return BareMediasoup.start({ peer, roomId: ROOM_ID, e2ee }, PORTS.mediasoup);
  const target = await ConclaveTarget.start(
    { peer, roomId: ROOM_ID, e2ee },
    { workers: o.workers, ports: PORTS.conclave, scene: o.scenario === 'meeting' ? 'rtc' : 'live' },
  );
  for (let i = 0; i < o.publishers; i++) target.anchors.add(`pub${i}`);
  return target;
}

/** Inside the Janus namespace: run the scenarios, print each result as one `RESULT {json}` line. */
async function janusChild(): Promise<void> {
  const { JanusTarget } = await import('./targets/janus.ts');
  const { JANUS_NAMESPACE_ADDRESS } = await import('./targets/janus-isolated.ts');
  const job = JSON.parse(process.env.CONCLAVE_BENCH_JANUS_JOB ?? '{"runs":[]}') as { runs: ScenarioOptions[] };
  const media = await ensureMedia({ e2ee: job.runs.some((r) => r.e2ee) });
  const peer = await MediaPeer.start(media, JANUS_NAMESPACE_ADDRESS);
  try {
    for (const scenario of job.runs) {
      const sut = await JanusTarget.start({ peer, roomId: ROOM_ID, e2ee: scenario.e2ee }, { min: 43000, max: 43999 });
      try {
        const result = await runScenario(sut, peer, scenario, (line) => process.stdout.write(`${line}\n`));
        process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
      } finally {
        await sut.close();
      }
    }
  } finally {
    peer.close();
  }
}

function writeOutputs(report: BenchReport, o: BenchOptions): void {
  fs.mkdirSync(o.out, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const base = path.join(o.out, `bench-${o.scenario}-${stamp}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const files = [`${base}.json`];
  if (o.subscribers.length > 1 && report.runs.length > 0) {
    const title = `${o.scenario}${o.simulcast ? ' (simulcast)' : ''}${o.e2ee === 'on' ? ' (E2EE)' : ''}: server CPU vs subscribers`;
    fs.writeFileSync(`${base}.svg`, cpuPlotSvg(report.runs, title));
    files.push(`${base}.svg`);
  }
  process.stderr.write(`wrote ${files.join(', ')}\n`);
}

function machine(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}
