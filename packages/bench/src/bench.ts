/**
 * `conclave bench`: runs the chosen scenario against each system (fresh instance per run), measures the
 * physical floor and the join rate, prints a table and writes JSON (and an SVG plot for a sweep).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureFloor, type FloorResult } from './floor.ts';
import { measureJoinRate, type JoinRateResult } from './joins.ts';
import { ensureMedia } from './media/generate.ts';
import { MediaPeer } from './native/media-peer.ts';
import { BENCH_USAGE, parseBenchOptions, type BenchOptions } from './options.ts';
import { cpuPlotSvg } from './report/plot.ts';
import { formatReport, ratios } from './report/table.ts';
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
  runs: RunResult[];
  ratios: ReturnType<typeof ratios>;
  /** Systems that could not be measured, and why. */
  skipped: { system: SystemName; reason: string }[];
}

/** Runs `conclave bench ...` with the arguments after `bench`. */
export async function benchCommand(
  argv: string[],
  progress: Progress = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  const [verb, ...rest] = argv[0]?.startsWith('-') || argv[0] === undefined ? ['run', ...argv] : argv;
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
    case 'media':
      process.stdout.write(`${JSON.stringify(await ensureMedia(), null, 2)}\n`);
      return;
    case '__janus-child':
      return janusChild();
    case 'help':
    case '--help':
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
    runs: [],
    ratios: [],
    skipped: [],
  };
  progress('preparing media and native programs');
  const media = await ensureMedia();
  report.floor = await measureFloor();
  progress(`physical floor: ${report.floor.sealSendUs.toFixed(2)} µs/packet`);
  const scenarios = options.subscribers.map((subscribers) => scenarioOf(options, subscribers));

  const peer = await MediaPeer.start(media);
  try {
    for (const scenario of scenarios) {
      for (const system of options.systems.filter((s) => s !== 'janus')) {
        const sut = await startSystem(system as Exclude<SystemName, 'janus'>, peer, options);
        try {
          report.runs.push(await runScenario(sut, peer, scenario, progress));
        } finally {
          await sut.close();
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
  writeOutputs(report, options);
  return report;
}

function scenarioOf(o: BenchOptions, subscribers: number): ScenarioOptions {
  return {
    scenario: o.scenario,
    publishers: o.publishers,
    subscribers,
    joinRate: o.joinRate,
    durationS: o.durationS,
    simulcast: o.simulcast,
  };
}

async function startSystem(
  system: Exclude<SystemName, 'janus'>,
  peer: MediaPeer,
  o: BenchOptions,
): Promise<SystemUnderTest> {
  if (system === 'mediasoup') return BareMediasoup.start({ peer, roomId: ROOM_ID }, PORTS.mediasoup);
  const target = await ConclaveTarget.start(
    { peer, roomId: ROOM_ID },
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
  const peer = await MediaPeer.start(await ensureMedia(), JANUS_NAMESPACE_ADDRESS);
  try {
    for (const scenario of job.runs) {
      const sut = await JanusTarget.start({ peer, roomId: ROOM_ID }, { min: 43000, max: 43999 });
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
    const title = `${o.scenario}${o.simulcast ? ' (simulcast)' : ''}: server CPU vs subscribers`;
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
