/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkQuality, StatsCalculator, type StatsEntry } from './stats.ts';
import { qualitySampleSchema } from '@conclave/protocol';

test('network quality follows loss and RTT; 0 without data, 6 when disconnected', () => {
  assert.equal(networkQuality(undefined, undefined, true), 0);
  assert.equal(networkQuality(0, 20, true), 1);
  assert.equal(networkQuality(2, 150, true), 2);
  assert.equal(networkQuality(5, 50, true), 3);
  assert.equal(networkQuality(12, 50, true), 4);
  assert.equal(networkQuality(40, 50, true), 5);
  assert.equal(networkQuality(0, 20, false), 6);
});

test('rates, loss and per-user statistics come from two rounds of stats', () => {
  const calc = new StatsCalculator();
  const send = (bytes: number): StatsEntry[] => [
    { id: 'T', type: 'transport', selectedCandidatePairId: 'CP' },
    { id: 'CP', type: 'candidate-pair', currentRoundTripTime: 0.04 },
    { id: 'MS', type: 'media-source', kind: 'audio', trackIdentifier: 'mic', audioLevel: 0.5 },
    { id: 'OA', type: 'outbound-rtp', kind: 'audio', mediaSourceId: 'MS', bytesSent: bytes },
    { id: 'RI', type: 'remote-inbound-rtp', kind: 'audio', fractionLost: 0.02 },
  ];
  const recv = (bytes: number, packets: number, lost: number): StatsEntry[] => [
    {
      id: 'IV',
      type: 'inbound-rtp',
      kind: 'video',
      trackIdentifier: 'cam-a',
      bytesReceived: bytes,
      packetsReceived: packets,
      packetsLost: lost,
      frameWidth: 640,
      frameHeight: 480,
      framesPerSecond: 15,
    },
  ];
  const input = {
    localTracks: new Map([['mic', 'audio' as const]]),
    remoteTracks: new Map([
      ['cam-a', { userId: 'a', kind: 'video' as const, streamType: 'main' as const, small: false }],
    ]),
    connected: true,
  };
  calc.compute({ ...input, now: 0, send: send(0), recv: recv(0, 0, 0) });
  const s = calc.compute({ ...input, now: 2000, send: send(10_000), recv: recv(250_000, 990, 10) });
  assert.equal(s.statistics.rtt, 40);
  assert.equal(s.statistics.localStatistics.audio.bitrate, 40);
  assert.equal(s.statistics.upLoss, 2);
  assert.equal(s.statistics.downLoss, 1);
  assert.deepEqual(s.statistics.remoteStatistics[0]?.video[0], {
    width: 640,
    height: 480,
    frameRate: 15,
    bitrate: 1000,
    videoType: 'big',
  });
  assert.equal(s.network.uplinkNetworkQuality, 2);
  assert.equal(s.network.downlinkNetworkQuality, 1);
  assert.deepEqual(s.volumes, [{ userId: '', volume: 50 }]);
  const sample = { ts: 1, audioEnabled: true, videoEnabled: false, audioMuted: false, videoMuted: false, ...s.sample };
  assert.ok(qualitySampleSchema.safeParse(sample).success, 'the derived sample fits the protocol schema');
});
