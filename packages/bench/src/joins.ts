/**
 * Join rate: how many participants per second Conclave admits with one media worker, each join a new
 * WebSocket, a UserSig verified, room admission and two WebRTC transports created. Clients start in waves of
 * `concurrency` so the server, not the client, sets the pace.
 */
import { cpuSeconds, percentile } from './measure/proc.ts';
import { ConclaveTarget } from './targets/conclave.ts';
import type { SignalClient } from './targets/signal-client.ts';
import type { TargetContext } from './targets/target.ts';

export interface JoinRateResult {
  joins: number;
  concurrency: number;
  seconds: number;
  joinsPerS: number;
  latencyMs: { p50: number; p95: number; max: number };
  /** CPU of the Node server process (signaling, auth, rooms; the load's clients run in the bench) and the worker. */
  nodeCores: number;
  workerCores: number;
  failures: number;
}

export async function measureJoinRate(
  ctx: Omit<TargetContext, 'peer'>,
  options: { joins: number; concurrency: number; ports: { min: number; max: number } },
): Promise<JoinRateResult> {
  const target = await ConclaveTarget.start(ctx, { workers: 1, ports: options.ports, scene: 'rtc' });
  try {
    const workerPid = target.workerPids[0]!;
    const nodePid = target.nodePid;
    const clients: SignalClient[] = [];
    const latencies: number[] = [];
    let failures = 0;
    const node0 = cpuSeconds(nodePid);
    const worker0 = cpuSeconds(workerPid);
    const t0 = performance.now();
    for (let i = 0; i < options.joins; i += options.concurrency) {
      const wave = Array.from({ length: Math.min(options.concurrency, options.joins - i) }, async (_, k) => {
        const start = performance.now();
        try {
          const { client } = await target.signalJoin(`joiner${i + k}`, 'anchor');
          latencies.push(performance.now() - start);
          clients.push(client);
        } catch {
          failures++;
        }
      });
      await Promise.all(wave);
    }
    const seconds = (performance.now() - t0) / 1000;
    const result: JoinRateResult = {
      joins: latencies.length,
      concurrency: options.concurrency,
      seconds,
      joinsPerS: latencies.length / seconds,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        max: Math.max(0, ...latencies),
      },
      nodeCores: (cpuSeconds(nodePid) - node0) / seconds,
      workerCores: (cpuSeconds(workerPid) - worker0) / seconds,
      failures,
    };
    for (const c of clients) c.close();
    return result;
  } finally {
    await target.close();
  }
}
