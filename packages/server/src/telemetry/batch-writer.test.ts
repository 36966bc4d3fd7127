import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { BatchWriter } from './batch-writer.ts';

const logger = pino({ level: 'silent' });

test('flushes when a batch is full, one write per batch', async () => {
  const batches: number[][] = [];
  const w = new BatchWriter<number>({
    name: 't',
    logger,
    maxBatch: 3,
    flushIntervalMs: 0,
    write: async (b) => void batches.push(b),
  });
  for (let i = 0; i < 7; i++) w.push(i);
  await w.flush();
  assert.deepEqual(batches, [[0, 1, 2], [3, 4, 5], [6]]);
  assert.equal(w.stats().written, 7);
  await w.close();
});

test('flushes on the interval', async () => {
  const batches: number[][] = [];
  const w = new BatchWriter<number>({
    name: 't',
    logger,
    maxBatch: 100,
    flushIntervalMs: 20,
    write: async (b) => void batches.push(b),
  });
  w.push(1);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(batches, [[1]]);
  await w.close();
});

test('a failed batch is counted and dropped; a full buffer drops and counts; closed refuses', async () => {
  let fail = true;
  const w = new BatchWriter<number>({
    name: 't',
    logger,
    maxBatch: 10,
    maxBuffered: 3,
    flushIntervalMs: 0,
    write: async () => {
      if (fail) throw new Error('db down');
    },
  });
  w.push(1);
  w.push(2);
  w.push(3);
  w.push(4);
  await w.flush();
  assert.deepEqual(w.stats(), { written: 0, dropped: 4, failedBatches: 1, buffered: 0, outage: false });
  fail = false;
  w.push(5);
  await w.close();
  assert.equal(w.stats().written, 1);
  assert.throws(() => w.push(6), /closed/);
});

test('a store outage keeps the batch for the next flush; the bound still holds; nothing is lost after recovery', async () => {
  let down = true;
  const written: number[] = [];
  const w = new BatchWriter<number>({
    name: 't',
    logger,
    maxBatch: 2,
    maxBuffered: 5,
    flushIntervalMs: 0,
    write: async (b) => {
      if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      written.push(...b);
    },
  });
  for (let i = 1; i <= 4; i++) w.push(i);
  await w.flush();
  await w.flush();
  assert.deepEqual(
    { ...w.stats(), failedBatches: w.stats().failedBatches >= 2 },
    { written: 0, dropped: 0, failedBatches: true, buffered: 4, outage: true },
  );
  w.push(5);
  w.push(6); // over the bound: counted, not kept
  assert.equal(w.stats().dropped, 1);
  down = false;
  await w.flush();
  assert.deepEqual(written, [1, 2, 3, 4, 5]);
  assert.deepEqual(
    { ...w.stats(), failedBatches: 0 },
    { written: 5, dropped: 1, failedBatches: 0, buffered: 0, outage: false },
  );
  await w.close();
});
