/**
 * TRTC's `NETWORK_QUALITY` scale (0 unknown, 1 excellent, 2 good, 3 poor, 4 bad, 5 very bad, 6 disconnected)
 * from loss and round-trip time, and where those two numbers come from in a transport's `getStats()`:
 *  - uplink: `remote-inbound-rtp` (the SFU's RTCP receiver reports on what we send): `fractionLost` and
 *    `roundTripTime`; the selected candidate pair's RTT when no report has come yet.
 *  - downlink: `inbound-rtp` packet counters (loss over the last interval, computed by the caller) and the
 *    receive transport's candidate-pair RTT (a receiver has no RTCP round trip of its own).
 * Pure functions over plain stats entries, so the mapping is tested with tables.
 */

/** One entry of an RTCStatsReport, as a plain object. */
export type QualityStatsEntry = { id: string; type: string } & Record<string, unknown>;

/** TRTC's network-quality levels. */
export const NETWORK_QUALITY_LEVEL = {
  UNKNOWN: 0,
  EXCELLENT: 1,
  GOOD: 2,
  POOR: 3,
  BAD: 4,
  VERY_BAD: 5,
  DISCONNECTED: 6,
} as const;

/**
 * Upper bounds (inclusive) of loss (%) and RTT (ms) for levels 1..4; anything worse is 5. A level needs both
 * numbers within its bounds, so the worse of the two decides.
 */
export const QUALITY_THRESHOLDS: readonly { level: number; maxLossPercent: number; maxRttMs: number }[] = [
  { level: 1, maxLossPercent: 1, maxRttMs: 100 },
  { level: 2, maxLossPercent: 3, maxRttMs: 200 },
  { level: 3, maxLossPercent: 8, maxRttMs: 400 },
  { level: 4, maxLossPercent: 15, maxRttMs: 800 },
];

/**
 * The quality level of one direction: 6 when disconnected, 0 when there is neither loss nor RTT data,
 * otherwise 1..5 by {@link QUALITY_THRESHOLDS}. A missing number counts as perfect (loss 0, RTT 0).
 */
export function networkQuality(lossPercent: number | undefined, rttMs: number | undefined, connected: boolean): number {
  if (!connected) return NETWORK_QUALITY_LEVEL.DISCONNECTED;
  if (lossPercent === undefined && rttMs === undefined) return NETWORK_QUALITY_LEVEL.UNKNOWN;
  const loss = lossPercent ?? 0;
  const rtt = rttMs ?? 0;
  for (const t of QUALITY_THRESHOLDS) if (loss <= t.maxLossPercent && rtt <= t.maxRttMs) return t.level;
  return NETWORK_QUALITY_LEVEL.VERY_BAD;
}

function num(entry: QualityStatsEntry | undefined, key: string): number | undefined {
  const v = entry?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** RTT in ms of the transport's selected candidate pair (STUN consent checks), if known. */
export function candidatePairRttMs(entries: readonly QualityStatsEntry[]): number | undefined {
  const transport = entries.find((e) => e.type === 'transport' && typeof e['selectedCandidatePairId'] === 'string');
  const pairId = transport?.['selectedCandidatePairId'];
  const pair =
    entries.find((e) => e.type === 'candidate-pair' && e.id === pairId) ??
    entries.find((e) => e.type === 'candidate-pair' && e['nominated'] === true && e['state'] === 'succeeded');
  const seconds = num(pair, 'currentRoundTripTime');
  return seconds === undefined ? undefined : seconds * 1000;
}

/** What the SFU's receiver reports say about the uplink: the worst loss (0..1) and the largest RTT (ms). */
export function uplinkFromReports(sendEntries: readonly QualityStatsEntry[]): {
  lossRatio: number | undefined;
  rttMs: number | undefined;
} {
  let lossRatio: number | undefined;
  let rttMs: number | undefined;
  for (const e of sendEntries) {
    if (e.type !== 'remote-inbound-rtp') continue;
    const lost = num(e, 'fractionLost');
    if (lost !== undefined) lossRatio = Math.max(lossRatio ?? 0, Math.min(1, Math.max(0, lost)));
    const rtt = num(e, 'roundTripTime');
    if (rtt !== undefined) rttMs = Math.max(rttMs ?? 0, rtt * 1000);
  }
  return { lossRatio, rttMs };
}

/** Loss ratio (0..1) over an interval from received and lost packet deltas; undefined without packets. */
export function lossRatio(packetsReceived: number, packetsLost: number): number | undefined {
  const expected = packetsReceived + packetsLost;
  return expected > 0 ? Math.min(1, Math.max(0, packetsLost / expected)) : undefined;
}
