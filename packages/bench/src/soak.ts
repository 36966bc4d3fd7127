/**
 * `npm run bench:soak`: hours-of-use churn on one Conclave node, compressed. Conclave runs in this process (dev
 * mode, temporary data dir, one media worker); the C bench peer makes real ICE/DTLS/SRTP sessions. At a fixed rate
 * the oldest participant leaves and a new one joins; every other newcomer publishes audio and video, and each
 * newcomer subscribes to the streams of up to `--subscribe` publishers. Every `--report-s` seconds (default 60) one
 * line: RSS of this process and of the worker, heap, active handles, open WebRTC transports, event-loop lag, and
 * the errors seen. After warm-up these should stay flat. A benchmark, not a test: it asserts nothing.
 *
 *   npm run bench:soak -- --minutes 30 --rate 1 --population 12 --subscribe 2 --report-s 60
 *
 * RSS and handles include the load's own signaling clients (same process); the population is constant, so
 * their share is too.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { types } from 'mediasoup';
import { ensureMedia } from './media/generate.ts';
import { rssMiB } from './measure/proc.ts';
import { MediaPeer } from './native/media-peer.ts';
import { ConclaveTarget } from './targets/conclave.ts';
import type { BenchParticipant } from './targets/target.ts';

interface SoakOptions {
  minutes: number;
  /** Churn steps per second (each: one leave once full, one join, maybe a publish, subscriptions). */
  rate: number;
  population: number;
  subscribe: number;
  reportS: number;
}

function options(): SoakOptions {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      rate: { type: 'string', default: '1' },
      population: { type: 'string', default: '12' },
      subscribe: { type: 'string', default: '2' },
      'report-s': { type: 'string', default: '60' },
    },
  });
  const number = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}]`);
    return n;
  };
  return {
    minutes: number('minutes', values.minutes, 0.1, 24 * 60),
    rate: number('rate', values.rate, 0.05, 50),
    population: number('population', values.population, 2, 500),
    subscribe: number('subscribe', values.subscribe, 0, 50),
    reportS: number('report-s', values['report-s'], 5, 3600),
  };
}

interface Live {
  participant: BenchParticipant;
  publishes: boolean;
}

/** Counts the WebRTC transports open on the node's workers (including workers that replace dead ones). */
function transportCounter(target: ConclaveTarget): () => number {
  let open = 0;
  const watch = (worker: types.Worker) =>
    worker.observer.on('newrouter', (router) =>
      router.observer.on('newtransport', (transport) => {
        open++;
        transport.observer.once('close', () => open--);
      }),
    );
  target.server.workers.workers.forEach(watch);
  target.server.workers.on('workerreplaced', ({ newPid }) => {
    const worker = target.server.workers.workers.find((w) => w.pid === newPid);
    if (worker) watch(worker);
  });
  return () => open;
}

async function main(): Promise<void> {
  const o = options();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `bench:soak ${o.minutes} min, ${o.rate} churn/s, population ${o.population}, ` +
      `${o.subscribe} subscriptions per newcomer, report every ${o.reportS} s`,
  );
  const media = await ensureMedia();
  const peer = await MediaPeer.start(media);
  const ctx = { peer, roomId: 7000 };
  const target = await ConclaveTarget.start(ctx, {
    workers: 1,
    ports: { min: 46000, max: 47999 },
    scene: 'rtc',
    inProcess: true,
  });
  const transports = transportCounter(target);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();

  const live: Live[] = [];
  const errors = new Map<string, number>();
  const counts = { joins: 0, leaves: 0, publishes: 0, subscriptions: 0, behind: 0 };
  const failed = (what: string, err: unknown) => {
    const key = `${what}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 160);
    errors.set(key, (errors.get(key) ?? 0) + 1);
  };
  let seq = 0;

  const step = async () => {
    if (live.length >= o.population) {
      const leaving = live.shift()!;
      try {
        await leaving.participant.leave();
        counts.leaves++;
      } catch (err) {
        failed('leave', err);
      }
      for (const sid of [...leaving.participant.sendSessions, ...leaving.participant.receiveSessions])
        peer.closeSession(sid);
    }
    const userId = `soak${seq++}`;
    let participant: BenchParticipant;
    try {
      participant = await target.join(userId);
      counts.joins++;
    } catch (err) {
      failed('join', err);
      return;
    }
    const entry: Live = { participant, publishes: seq % 2 === 0 };
    // The newest publishers: none of them leaves before the next steps.
    const publishers = live
      .filter((l) => l.publishes)
      .slice(-o.subscribe)
      .map((l) => l.participant.userId);
    live.push(entry);
    if (entry.publishes) {
      try {
        await participant.publish(['audio', 'video'], false);
        counts.publishes += 2;
      } catch (err) {
        failed('publish', err);
      }
    }
    if (publishers.length > 0) {
      try {
        counts.subscriptions += await participant.subscribe(publishers);
      } catch (err) {
        failed('subscribe', err);
      }
    }
  };

  const started = performance.now();
  const end = started + o.minutes * 60_000;
  let nextReport = started + o.reportS * 1000;
  const report = () => {
    const mem = process.memoryUsage();
    const worker = target.server.workers.workers[0];
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0) + peer.errors.length;
    say(
      [
        `t=${((performance.now() - started) / 60_000).toFixed(1)}min`,
        `rss=${(mem.rss / 2 ** 20).toFixed(1)}MiB`,
        `heap=${(mem.heapUsed / 2 ** 20).toFixed(1)}MiB`,
        `worker_rss=${worker ? rssMiB(worker.pid).toFixed(1) : '?'}MiB`,
        `handles=${process.getActiveResourcesInfo().length}`,
        `transports=${transports()}`,
        `participants=${live.length}`,
        `lag_p99=${(lag.percentile(99) / 1e6).toFixed(1)}ms`,
        `lag_max=${(lag.max / 1e6).toFixed(1)}ms`,
        `joins=${counts.joins}`,
        `leaves=${counts.leaves}`,
        `publishes=${counts.publishes}`,
        `subscriptions=${counts.subscriptions}`,
        `behind=${counts.behind}`,
        `errors=${errorCount}`,
      ].join(' '),
    );
    lag.reset();
  };

  // Fixed rate: step k is due at started + k / rate; a step that overruns delays the next (counted as behind).
  for (let k = 0; performance.now() < end; k++) {
    const due = started + (k * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -1000 / o.rate) counts.behind++;
    await step();
    if (performance.now() >= nextReport) {
      report();
      nextReport += o.reportS * 1000;
    }
  }
  // The last line covers the tail since the last report (if there is one worth a line).
  if (nextReport - performance.now() < o.reportS * 1000 - 1000) report();
  if (errors.size > 0 || peer.errors.length > 0) {
    say('errors:');
    for (const [what, n] of errors) say(`  ${n}× ${what}`);
    for (const e of peer.errors.slice(0, 20)) say(`  media peer: ${e}`);
  } else say('errors: none');
  for (const l of live) await l.participant.leave().catch(() => undefined);
  lag.disable();
  await target.close();
  peer.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
