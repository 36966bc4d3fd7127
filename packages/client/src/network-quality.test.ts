/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  candidatePairRttMs,
  lossRatio,
  networkQuality,
  uplinkFromReports,
  type QualityStatsEntry,
} from './network-quality.ts';
import { StatsCalculator } from './stats.ts';

test('quality level from loss (%) and RTT (ms): the worse of the two decides', () => {
  const table: [loss: number | undefined, rtt: number | undefined, connected: boolean, level: number][] = [
    [undefined, undefined, true, 0],
    [undefined, undefined, false, 6],
    [0, 0, false, 6],
    [0, 0, true, 1],
    [1, 100, true, 1],
    [1.1, 100, true, 2],
    [1, 101, true, 2],
    [3, 200, true, 2],
    [0, 201, true, 3],
    [8, 0, true, 3],
    [8.5, 0, true, 4],
    [0, 800, true, 4],
    [15, 800, true, 4],
    [15.1, 0, true, 5],
    [0, 801, true, 5],
    [50, 3000, true, 5],
    [100, undefined, true, 5],
    [undefined, 20, true, 1],
    [0.5, undefined, true, 1],
    [2, 350, true, 3],
  ];
  for (const [loss, rtt, connected, level] of table)
    assert.equal(networkQuality(loss, rtt, connected), level, `loss ${loss} rtt ${rtt} connected ${connected}`);
});

test('uplink loss and RTT come from the SFU receiver reports (worst stream)', () => {
  const table: [
    entries: QualityStatsEntry[],
    expected: { lossRatio: number | undefined; rttMs: number | undefined },
  ][] = [
    [[], { lossRatio: undefined, rttMs: undefined }],
    [[{ id: 'o', type: 'outbound-rtp', fractionLost: 0.5 }], { lossRatio: undefined, rttMs: undefined }],
    [[{ id: 'a', type: 'remote-inbound-rtp', fractionLost: 0.1, roundTripTime: 0.05 }], { lossRatio: 0.1, rttMs: 50 }],
    [
      [
        { id: 'a', type: 'remote-inbound-rtp', fractionLost: 0.02, roundTripTime: 0.2 },
        { id: 'v', type: 'remote-inbound-rtp', fractionLost: 0.25, roundTripTime: 0.03 },
      ],
      { lossRatio: 0.25, rttMs: 200 },
    ],
    // Malformed numbers are ignored; out-of-range fractions are clamped.
    [
      [
        { id: 'a', type: 'remote-inbound-rtp', fractionLost: 'x', roundTripTime: Number.NaN },
        { id: 'b', type: 'remote-inbound-rtp', fractionLost: 7 },
      ],
      { lossRatio: 1, rttMs: undefined },
    ],
  ];
  for (const [entries, expected] of table) assert.deepEqual(uplinkFromReports(entries), expected);
});

test('candidate-pair RTT: the selected pair, else a nominated succeeded one', () => {
  assert.equal(
    candidatePairRttMs([
      { id: 'T', type: 'transport', selectedCandidatePairId: 'B' },
      { id: 'A', type: 'candidate-pair', currentRoundTripTime: 0.5 },
      { id: 'B', type: 'candidate-pair', currentRoundTripTime: 0.012 },
    ]),
    12,
  );
  assert.equal(
    candidatePairRttMs([
      { id: 'A', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.1 },
    ]),
    100,
  );
  assert.equal(candidatePairRttMs([{ id: 'A', type: 'candidate-pair', state: 'in-progress' }]), undefined);
});

test('loss ratio over an interval', () => {
  const table: [received: number, lost: number, ratio: number | undefined][] = [
    [0, 0, undefined],
    [100, 0, 0],
    [75, 25, 0.25],
    [0, 10, 1],
  ];
  for (const [received, lost, ratio] of table) assert.equal(lossRatio(received, lost), ratio);
});

test('NETWORK_QUALITY payload: report RTT preferred over the ICE pair; downlink loss from inbound-rtp deltas', () => {
  const calc = new StatsCalculator();
  const send: QualityStatsEntry[] = [
    { id: 'T', type: 'transport', selectedCandidatePairId: 'CP' },
    { id: 'CP', type: 'candidate-pair', currentRoundTripTime: 0.01 },
    { id: 'RA', type: 'remote-inbound-rtp', kind: 'audio', fractionLost: 0.2, roundTripTime: 0.3 },
  ];
  const recv = (packets: number, lost: number): QualityStatsEntry[] => [
    { id: 'T', type: 'transport', selectedCandidatePairId: 'CP' },
    { id: 'CP', type: 'candidate-pair', currentRoundTripTime: 0.02 },
    { id: 'IA', type: 'inbound-rtp', kind: 'audio', trackIdentifier: 'x', packetsReceived: packets, packetsLost: lost },
  ];
  const base = { localTracks: new Map(), remoteTracks: new Map(), connected: true };
  calc.compute({ ...base, now: 0, send, recv: recv(0, 0) });
  const { network } = calc.compute({ ...base, now: 2000, send, recv: recv(90, 10) });
  assert.deepEqual(network, {
    uplinkNetworkQuality: 5,
    downlinkNetworkQuality: 4,
    uplinkRTT: 300,
    downlinkRTT: 20,
    uplinkLoss: 20,
    downlinkLoss: 10,
  });
  const down = calc.compute({ ...base, now: 4000, send, recv: recv(90, 10), connected: false }).network;
  assert.equal(down.uplinkNetworkQuality, 6);
  assert.equal(down.downlinkNetworkQuality, 6);
});
