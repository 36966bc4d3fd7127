/** The end-of-run table and the ratios the issue asks for. */
import type { FloorResult } from '../floor.ts';
import type { JoinRateResult } from '../joins.ts';
import type { RunResult } from '../run.ts';

export interface Ratios {
  subscribers: number;
  /** The ratios compare runs with the same media: plain, or E2EE. */
  e2ee: boolean;
  /** Conclave µs/packet ÷ bare mediasoup's (target ≤ 1.1). */
  conclaveOverMediasoup?: number;
  /** Janus µs/packet ÷ Conclave's (target ≥ 2.5). */
  janusOverConclave?: number;
  janusOverMediasoup?: number;
  /** Conclave µs/packet ÷ the floor's seal+send (long-term aim ≤ 3). */
  conclaveOverFloor?: number;
  mediasoupOverFloor?: number;
  janusOverFloor?: number;
}

/** What E2EE costs one system at one subscriber count: the same scenario run without and with E2EE. */
export interface E2eeCost {
  system: string;
  subscribers: number;
  plainUsPerPacket: number;
  e2eeUsPerPacket: number;
  /** E2EE µs/packet ÷ plain µs/packet. */
  ratio: number;
  /** Mean forwarded packet (SRTP), bytes. */
  plainPacketBytes: number;
  e2eePacketBytes: number;
}

const div = (a?: number, b?: number): number | undefined => (a && b ? a / b : undefined);

export function ratios(runs: RunResult[], floor: FloorResult | undefined): Ratios[] {
  const keys = [...new Set(runs.map((r) => `${r.scenario.subscribers} ${r.scenario.e2ee}`))]
    .map((k) => ({ subscribers: Number(k.split(' ')[0]), e2ee: k.endsWith('true') }))
    .sort((a, b) => a.subscribers - b.subscribers || Number(a.e2ee) - Number(b.e2ee));
  return keys.map(({ subscribers, e2ee }) => {
    const us = (system: string): number | undefined =>
      runs.find((r) => r.system === system && r.scenario.subscribers === subscribers && r.scenario.e2ee === e2ee)
        ?.cpuUsPerForwardedPacket;
    const [c, m, j, f] = [us('conclave'), us('mediasoup'), us('janus'), floor?.sealSendUs];
    return {
      subscribers,
      e2ee,
      conclaveOverMediasoup: div(c, m),
      janusOverConclave: div(j, c),
      janusOverMediasoup: div(j, m),
      conclaveOverFloor: div(c, f),
      mediasoupOverFloor: div(m, f),
      janusOverFloor: div(j, f),
    };
  });
}

/** For every system and subscriber count run both without and with E2EE, what E2EE costs. */
export function e2eeCosts(runs: RunResult[]): E2eeCost[] {
  return runs
    .filter((r) => !r.scenario.e2ee)
    .flatMap((plain) => {
      const e2ee = runs.find(
        (r) => r.scenario.e2ee && r.system === plain.system && r.scenario.subscribers === plain.scenario.subscribers,
      );
      if (e2ee === undefined) return [];
      return [
        {
          system: plain.system,
          subscribers: plain.scenario.subscribers,
          plainUsPerPacket: plain.cpuUsPerForwardedPacket,
          e2eeUsPerPacket: e2ee.cpuUsPerForwardedPacket,
          ratio: div(e2ee.cpuUsPerForwardedPacket, plain.cpuUsPerForwardedPacket) ?? 0,
          plainPacketBytes: plain.forwardedPacketBytes,
          e2eePacketBytes: e2ee.forwardedPacketBytes,
        },
      ];
    })
    .sort((a, b) => a.subscribers - b.subscribers || a.system.localeCompare(b.system));
}

export function formatReport(
  runs: RunResult[],
  floor: FloorResult | undefined,
  joins: JoinRateResult | undefined,
): string {
  const lines: string[] = [];
  const header = [
    'system',
    'e2ee',
    'subs',
    'streams',
    'join p50/p95 ms',
    '1st pkt p50/p95 ms',
    'in pkt/s',
    'fwd pkt/s',
    'fwd B/pkt',
    'fwd/expected',
    'CPU %core (per process)',
    'worker %core',
    'node %core',
    'µs/fwd pkt',
    'RSS MiB',
    'loss %',
    'PLI/FIR/NACK',
    'generator %core',
  ];
  const rows = runs.map((r) => [
    r.system,
    r.scenario.e2ee ? 'on' : 'off',
    String(r.scenario.subscribers),
    String(r.subscriptions),
    `${r.joinMs.p50.toFixed(1)}/${r.joinMs.p95.toFixed(1)}`,
    `${r.firstPacketMs.p50.toFixed(0)}/${r.firstPacketMs.p95.toFixed(0)}`,
    r.packetsInPerS.toFixed(0),
    r.forwardedPerS.toFixed(0),
    r.forwardedPacketBytes.toFixed(0),
    r.fanoutConsistency.toFixed(3),
    `${(r.cpuTotalCores * 100).toFixed(1)} (${r.cpu.map((c) => (c.cores * 100).toFixed(1)).join('+')})`,
    (r.workerCores * 100).toFixed(1),
    r.nodeCores > 0 ? (r.nodeCores * 100).toFixed(1) : '—',
    r.cpuUsPerForwardedPacket.toFixed(2),
    r.cpu.map((c) => c.rssMiB.toFixed(0)).join('+'),
    r.lossPercent.toFixed(2),
    `${r.pli}/${r.fir}/${r.nack}`,
    (r.generatorCores * 100).toFixed(1),
  ]);
  if (rows.length > 0) lines.push(...table([header, ...rows]));
  if (floor) {
    lines.push(
      '',
      `physical floor: AES-128-GCM seal of 1,200 B ${floor.sealUs.toFixed(2)} µs + UDP send ${floor.sendUs.toFixed(2)} µs` +
        ` = ${floor.sealSendUs.toFixed(2)} µs/packet; with sendmmsg ×${floor.batch}: ${floor.sealSendmmsgUs.toFixed(2)} µs/packet`,
    );
  }
  const rs = ratios(runs, floor).filter((r) => Object.values(r).filter((v) => v !== undefined).length > 2);
  if (rs.length > 0) {
    const f = (v?: number): string => (v === undefined ? '—' : `${v.toFixed(2)}×`);
    lines.push('', 'ratios of CPU per forwarded packet (targets: conclave/mediasoup ≤ 1.1, janus/conclave ≥ 2.5):');
    lines.push(
      ...table([
        [
          'subs',
          'e2ee',
          'conclave/mediasoup',
          'janus/conclave',
          'janus/mediasoup',
          'conclave/floor',
          'mediasoup/floor',
          'janus/floor',
        ],
        ...rs.map((r) => [
          String(r.subscribers),
          r.e2ee ? 'on' : 'off',
          f(r.conclaveOverMediasoup),
          f(r.janusOverConclave),
          f(r.janusOverMediasoup),
          f(r.conclaveOverFloor),
          f(r.mediasoupOverFloor),
          f(r.janusOverFloor),
        ]),
      ]),
    );
  }
  const costs = e2eeCosts(runs);
  if (costs.length > 0) {
    lines.push('', 'cost of E2EE (same scenario without and with E2EE, µs of SFU CPU per forwarded packet):');
    lines.push(
      ...table([
        ['subs', 'system', 'plain µs/pkt', 'E2EE µs/pkt', 'E2EE/plain', 'plain B/pkt', 'E2EE B/pkt'],
        ...costs.map((c) => [
          String(c.subscribers),
          c.system,
          c.plainUsPerPacket.toFixed(2),
          c.e2eeUsPerPacket.toFixed(2),
          `${c.ratio.toFixed(2)}×`,
          c.plainPacketBytes.toFixed(0),
          c.e2eePacketBytes.toFixed(0),
        ]),
      ]),
    );
  }
  if (joins) {
    lines.push(
      '',
      `joins: ${joins.joins} admitted in ${joins.seconds.toFixed(2)} s = ${joins.joinsPerS.toFixed(0)}/s ` +
        `(${joins.concurrency} at a time; latency p50 ${joins.latencyMs.p50.toFixed(1)} ms, p95 ${joins.latencyMs.p95.toFixed(1)} ms; ` +
        `Node server ${(joins.nodeCores * 100).toFixed(0)}% + worker ${(joins.workerCores * 100).toFixed(0)}% of a core; ${joins.failures} failed)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}
