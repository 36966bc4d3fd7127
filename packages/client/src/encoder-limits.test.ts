/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withEncoderLimits } from './encoder-limits.ts';

test('a profile change moves the top layer’s ceilings only', () => {
  const table: [
    encodings: { rid?: string; maxBitrate?: number; maxFramerate?: number }[],
    limits: { maxBitrateKbps?: number; maxFramerate?: number },
    expected: { rid?: string; maxBitrate?: number; maxFramerate?: number }[],
  ][] = [
    [[], { maxBitrateKbps: 100 }, []],
    [[{ maxBitrate: 40_000 }], { maxBitrateKbps: 128 }, [{ maxBitrate: 128_000 }]],
    [[{ maxBitrate: 900_000, maxFramerate: 15 }], { maxFramerate: 30 }, [{ maxBitrate: 900_000, maxFramerate: 30 }]],
    [
      [
        { rid: 'r0', maxBitrate: 100_000 },
        { rid: 'r1', maxBitrate: 900_000, maxFramerate: 15 },
      ],
      { maxBitrateKbps: 1500, maxFramerate: 15 },
      [
        { rid: 'r0', maxBitrate: 100_000 },
        { rid: 'r1', maxBitrate: 1_500_000, maxFramerate: 15 },
      ],
    ],
    [[{ maxBitrate: 1 }], {}, [{ maxBitrate: 1 }]],
  ];
  for (const [encodings, limits, expected] of table) {
    const before = JSON.stringify(encodings);
    assert.deepEqual(withEncoderLimits(encodings, limits), expected);
    assert.equal(JSON.stringify(encodings), before, 'the input is not modified');
  }
});
