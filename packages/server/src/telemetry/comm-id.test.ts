// CommIds against a real SQLite store: a numeric room and a string room with the same digits are two calls.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { openStore } from '../storage/store.ts';
import { makeCommId, parseCommId } from './comm-id.ts';
import { TelemetryStore } from './telemetry-store.ts';

const T = 1_700_000_000_123;

test('numeric room 123 and string room "123" opened in the same second get distinct CommIds and sessions', async () => {
  const numeric = makeCommId(1400000001, 123, T);
  const string = makeCommId(1400000001, '123', T);
  assert.equal(numeric, '1400000001_123_1700000000', "TRTC's form for numeric rooms is unchanged");
  assert.notEqual(string, numeric);
  assert.deepEqual(parseCommId(numeric), {
    sdkAppId: 1400000001,
    roomId: '123',
    roomIdType: 1,
    createTime: 1700000000,
  });
  assert.deepEqual(parseCommId(string), { sdkAppId: 1400000001, roomId: '123', roomIdType: 0, createTime: 1700000000 });
  assert.equal(makeCommId(1400000001, 'lobby', T), '1400000001_lobby_1700000000', 'other string rooms unchanged');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-commid-'));
  const store = await openStore(
    { driver: 'sqlite', path: path.join(dir, 'c.db') },
    { name: 'default', logger: pino({ level: 'silent' }) },
  );
  try {
    const telemetry = new TelemetryStore(store);
    const a = await telemetry.openRoomSession({ sdkAppId: 1400000001, roomId: '123', roomIdType: 1, createdAt: T });
    const b = await telemetry.openRoomSession({ sdkAppId: 1400000001, roomId: '123', roomIdType: 0, createdAt: T });
    assert.notEqual(a, b);
    const rows = await store.db.selectFrom('room_sessions').select(['comm_id', 'room_id_type']).execute();
    assert.deepEqual(rows.map((r) => r.room_id_type).sort(), [0, 1]);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CommId parts survive a round trip for any room id', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 0xffffffff }),
      fc.oneof(
        fc.integer({ min: 1, max: 4294967294 }),
        fc.stringMatching(/^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]{1,64}$/),
      ),
      fc.integer({ min: 0, max: 4102444800000 }),
      (sdkAppId, roomId, at) => {
        const parts = parseCommId(makeCommId(sdkAppId, roomId, at));
        assert.deepEqual(parts, {
          sdkAppId,
          roomId: String(roomId),
          roomIdType: typeof roomId === 'number' ? 1 : 0,
          createTime: Math.floor(at / 1000),
        });
      },
    ),
  );
});
