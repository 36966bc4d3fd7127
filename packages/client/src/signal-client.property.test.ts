/// <reference types="node" />
/**
 * Property tests of the SDK's decode boundary for server messages (issue 15, item 3): whatever a broken or
 * hostile server sends, the signal client never throws, a pending request is settled only by a well-formed
 * response with its id, and a notification reaches the engine only with a payload its schema accepts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { notificationSchemas, type NotificationName } from '@conclave/protocol';
import { createLogger, LOG_LEVEL, setLogLevel } from './logger.ts';
import { decodeNotification, SignalClient, type Notification } from './signal-client.ts';
import { FakeSocket } from './test-socket.ts';

setLogLevel(LOG_LEVEL.NONE);
const log = createLogger('test');
const NAMES = Object.keys(notificationSchemas) as NotificationName[];

/** Real notifications as the server sends them, for the mutator to start from. */
const SAMPLES: Record<string, unknown>[] = [
  { v: 1, notification: 'participantJoined', data: { userId: 'u2', role: 'anchor' } },
  { v: 1, notification: 'participantLeft', data: { userId: 'u2', reason: 'left' } },
  {
    v: 1,
    notification: 'streamAdded',
    data: { producerId: 'p1', userId: 'u2', kind: 'video', streamType: 'main', simulcast: true, paused: false },
  },
  { v: 1, notification: 'customMessage', data: { userId: 'u2', cmdId: 1, seq: 3, data: 'aGk=' } },
  { v: 1, notification: 'kicked', data: { reason: 'kick', message: 'bye' } },
  { v: 1, notification: 'mediaReset', data: { reason: 'worker_died' } },
  { v: 1, id: 1, ok: true, data: { serverTime: 1 } },
  { v: 1, id: 1, ok: false, error: { code: 'ROOM_FULL', message: 'full' } },
];

test('property: any payload under any notification name is decoded only when its schema accepts it', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 20 })),
      fc.jsonValue({ maxDepth: 3 }),
      (name, data) => {
        const decoded = decodeNotification(name, data);
        const known = Object.hasOwn(notificationSchemas, name);
        if (!known) return assert.equal(decoded, undefined);
        const verdict = notificationSchemas[name as NotificationName].safeParse(data);
        assert.equal(decoded !== undefined, verdict.success);
        if (decoded) assert.deepEqual(decoded.data, verdict.data);
      },
    ),
    { numRuns: 3000 },
  );
});

test('property: a client fed arbitrary and mutated server messages never throws and settles only its own request', async () => {
  const mutated = fc
    .tuple(
      fc.constantFrom(...SAMPLES.map((s) => JSON.stringify(s))),
      fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 5 }),
    )
    .map(([text, edits]) =>
      edits.reduce((s, [at, ins]) => s.slice(0, at % (s.length + 1)) + ins + s.slice((at % (s.length + 1)) + 1), text),
    );
  const wrongShape = fc
    .record(
      {
        v: fc.oneof(fc.constant(1), fc.jsonValue()),
        id: fc.oneof(fc.constant(1), fc.jsonValue()),
        ok: fc.jsonValue(),
        notification: fc.oneof(fc.constantFrom(...NAMES), fc.string()),
        data: fc.jsonValue({ maxDepth: 3 }),
        error: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o));
  const message = fc.oneof(
    mutated,
    wrongShape,
    fc.string({ maxLength: 100 }),
    fc.jsonValue().map((j) => JSON.stringify(j)),
  );

  await fc.assert(
    fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 20 }), async (messages) => {
      let socket!: FakeSocket;
      const client = new SignalClient({
        url: 'ws://x/signal',
        log,
        requestTimeoutMs: 60_000,
        createSocket: () => (socket = new FakeSocket()),
      });
      await client.connect();
      const seen: Notification[] = [];
      client.on('notification', (n) => seen.push(n));
      let settled: 'pending' | 'resolved' | 'rejected' = 'pending';
      const request = client.request('heartbeat', {}).then(
        () => (settled = 'resolved'),
        () => (settled = 'rejected'),
      );
      let expected: 'pending' | 'resolved' | 'rejected' = 'pending';
      for (const raw of messages) {
        socket.push(raw);
        await Promise.resolve();
        // Independently of the client: would this message settle request 1?
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          continue;
        }
        if (expected !== 'pending' || typeof json !== 'object' || json === null) continue;
        const m = json as Record<string, unknown>;
        const error = m.error as Record<string, unknown> | undefined;
        if (m.v === 1 && m.id === 1 && m.ok === true) expected = 'resolved';
        else if (
          m.v === 1 &&
          m.id === 1 &&
          m.ok === false &&
          typeof error?.code === 'string' &&
          typeof error.message === 'string' &&
          (error.details === undefined ||
            (typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details)))
        )
          expected = 'rejected';
      }
      await new Promise((r) => setTimeout(r, 0));
      assert.equal(settled, expected);
      for (const n of seen)
        assert.ok(notificationSchemas[n.name].safeParse(n.data).success, `${n.name} reached the engine unchecked`);
      client.close();
      await request.catch(() => undefined);
    }),
    { numRuns: 300 },
  );
});
