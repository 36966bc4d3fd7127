import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConclaveError } from '@conclave/protocol';
import { makeCommId, parseCommId } from './comm-id.ts';
import { MAX_RECORD_BYTES, parseBackendLog, parseQualitySample, parseUserEvent } from './records.ts';
import { testSample } from '../storage/contract.ts';

const T = Date.UTC(2025, 0, 1);
const commId = makeCommId(1400000001, 'room_with_underscores', T);
const good = testSample(1400000001, commId, 'alice', T);
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof ConclaveError ? e.code : 'not-a-ConclaveError';
  }
  return 'no-error';
};

test('a full sample and a sparse server sample are accepted as they are', () => {
  assert.deepEqual(parseQualitySample(good), good);
  assert.deepEqual(parseQualitySample(JSON.stringify(good)), good);
  const sparse = { sdkAppId: 1400000001, commId, userId: 'u', source: 'server', sampledAt: T, rttMs: 10 };
  assert.deepEqual(parseQualitySample(sparse), sparse);
});

test('malformed samples fail with SAMPLE_INVALID naming the field', () => {
  const cases: [string, unknown][] = [
    ['negative loss', { ...good, audioLoss: -1 }],
    ['loss over 100 %', { ...good, videoLoss: 101 }],
    ['NaN rtt', { ...good, rttMs: Number.NaN }],
    ['infinite bitrate', { ...good, videoBitrateKbps: Infinity }],
    ['unknown field', { ...good, gps: '52.5,13.4' }],
    ['bad user id', { ...good, userId: 'has space' }],
    ['time in seconds', { ...good, sampledAt: Math.floor(T / 1000) }],
    ['commId of another app', { ...good, commId: makeCommId(1400000002, 1, T) }],
    ['garbage commId', { ...good, commId: 'nope' }],
    ['fractional width', { ...good, videoWidth: 1280.5 }],
    ['not an object', 42],
    ['null', null],
    ['bad JSON', '{"sdkAppId":'],
  ];
  for (const [name, input] of cases)
    assert.equal(
      code(() => parseQualitySample(input)),
      'SAMPLE_INVALID',
      name,
    );
  assert.throws(() => parseQualitySample({ ...good, videoLoss: 101 }), /videoLoss/);
});

test('oversized samples are refused before parsing', () => {
  const big = JSON.stringify({ ...good, pad: 'x'.repeat(MAX_RECORD_BYTES) });
  assert.throws(
    () => parseQualitySample(big),
    (e: unknown) => e instanceof ConclaveError && e.code === 'SAMPLE_INVALID' && /exceeds/.test(e.message),
  );
});

test('logs and events have their own bounds', () => {
  const log = { sdkAppId: 1400000001, commId, roomId: 'r', roomIdType: 0, userId: 'u', action: 'enter', occurredAt: T };
  assert.deepEqual(parseBackendLog(log), log);
  assert.equal(
    code(() => parseBackendLog({ ...log, action: 'dance' })),
    'TELEMETRY_RECORD_INVALID',
  );
  assert.equal(
    code(() => parseBackendLog({ ...log, clientIp: 'x'.repeat(46) })),
    'TELEMETRY_RECORD_INVALID',
  );
  assert.equal(
    code(() => parseUserEvent({ sdkAppId: 1400000001, commId, userId: 'u', eventId: 0, occurredAt: T })),
    'TELEMETRY_RECORD_INVALID',
  );
});

test('property: any input either parses or fails with SAMPLE_INVALID, never anything else', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.anything(),
        fc.string(),
        fc.record({ ...Object.fromEntries(Object.keys(good).map((k) => [k, fc.anything()])) }),
      ),
      (input) => {
        const c = code(() => parseQualitySample(input));
        return c === 'SAMPLE_INVALID' || c === 'no-error';
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: mutating one metric out of bounds is always refused', () => {
  const metrics = ['appCpu', 'sysCpu', 'audioLoss', 'videoLoss', 'captureVolume', 'playbackVolume'] as const;
  fc.assert(
    fc.property(
      fc.constantFrom(...metrics),
      fc.double({ min: 100.0001, max: 1e12, noNaN: true }),
      (key, value) => code(() => parseQualitySample({ ...good, [key]: value })) === 'SAMPLE_INVALID',
    ),
  );
});

test('CommId: string room ids with underscores round-trip; malformed ids are refused', () => {
  assert.deepEqual(parseCommId(commId), {
    sdkAppId: 1400000001,
    roomId: 'room_with_underscores',
    roomIdType: 0,
    createTime: T / 1000,
  });
  for (const bad of ['', '1400_', 'abc_1_2', '1_2', `1_${'x'.repeat(100)}_3`])
    assert.equal(
      code(() => parseCommId(bad)),
      'COMM_ID_INVALID',
      bad,
    );
});
