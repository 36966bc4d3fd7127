/** Command-line options of `conclave bench`. */
import { parseArgs } from 'node:util';
import { SCENARIO_DEFAULTS, type ScenarioName } from './scenario.ts';
import type { SystemName } from './targets/target.ts';

export const BENCH_USAGE = `conclave bench [run] [options]   load test: Conclave, bare mediasoup and Janus side by side
  --scenario s      livestream (1 → many, default) | meeting (n × n video) | audio-room (10 speakers, many listeners)
  --publishers n    hosts / participants / speakers (scenario default)
  --subscribers l   receivers, or a comma list to sweep (e.g. 1,10,25,50: one run per value, and a plot)
  --join-rate n     participants admitted per second (default 20)
  --duration s      measured seconds per run after a 2 s warm-up (default 10)
  --simulcast       publish video as three simulcast layers (160x120, 320x240, 640x480)
  --e2ee            publish end-to-end encrypted media (each frame SFrame-encrypted by the SDK's FrameCrypto)
  --compare-e2ee    run every scenario twice, without and with E2EE, and report the cost of E2EE
  --systems l       comma list of conclave, mediasoup, janus (default all three)
  --workers n       Conclave media workers (default 1: the other core runs the load)
  --joins n         also measure the join rate with n joins (default 200; 0 to skip)
  --out dir         where the JSON and SVG go (default ./bench-results)
conclave bench joins [--joins n] [--concurrency n]   join rate only
conclave bench floor                                  physical floor only
conclave bench media                                  make the pre-encoded media (ffmpeg), plain and E2EE, and exit`;

/** Which media the publishers send: plain, E2EE, or each scenario once of each. */
export type E2eeMode = 'off' | 'on' | 'compare';

export interface BenchOptions {
  scenario: ScenarioName;
  publishers: number;
  subscribers: number[];
  joinRate: number;
  durationS: number;
  simulcast: boolean;
  e2ee: E2eeMode;
  systems: SystemName[];
  workers: number;
  joins: number;
  concurrency: number;
  out: string;
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', default: 'livestream' },
      publishers: { type: 'string' },
      subscribers: { type: 'string' },
      'join-rate': { type: 'string', default: '20' },
      duration: { type: 'string', default: '10' },
      simulcast: { type: 'boolean', default: false },
      e2ee: { type: 'boolean', default: false },
      'compare-e2ee': { type: 'boolean', default: false },
      systems: { type: 'string', default: 'conclave,mediasoup,janus' },
      workers: { type: 'string', default: '1' },
      joins: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '10' },
      out: { type: 'string', default: 'bench-results' },
    },
    strict: true,
  });
  const scenario = values.scenario as ScenarioName;
  if (!(scenario in SCENARIO_DEFAULTS)) throw new Error(`unknown scenario "${values.scenario}"`);
  const systems = values.systems.split(',').map((s) => s.trim()) as SystemName[];
  for (const s of systems) {
    if (!['conclave', 'mediasoup', 'janus'].includes(s)) throw new Error(`unknown system "${s}"`);
  }
  const defaults = SCENARIO_DEFAULTS[scenario];
  return {
    scenario,
    publishers: count(values.publishers ?? String(defaults.publishers), '--publishers', 1),
    subscribers: (values.subscribers ?? String(defaults.subscribers))
      .split(',')
      .map((v) => count(v, '--subscribers', 0)),
    joinRate: count(values['join-rate'], '--join-rate', 1),
    durationS: count(values.duration, '--duration', 1),
    simulcast: values.simulcast,
    e2ee: values['compare-e2ee'] ? 'compare' : values.e2ee ? 'on' : 'off',
    systems,
    workers: count(values.workers, '--workers', 1),
    joins: count(values.joins, '--joins', 0),
    concurrency: count(values.concurrency, '--concurrency', 1),
    out: values.out,
  };
}

function count(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, not "${value}"`);
  return n;
}
