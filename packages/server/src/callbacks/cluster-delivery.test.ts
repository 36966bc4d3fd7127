/**
 * Callbacks exactly once across nodes: two dispatcher processes (nodes A and B, each with its own connections)
 * deliver one PostgreSQL outbox to a real HTTP receiver. Mid-run the receiver holds every request, A is killed
 * with SIGKILL while it has events claimed and in flight, and B takes them over once A's claims expire. Every
 * event is acknowledged exactly once, in order per app. ("Delivered" = answered 2xx to a sender still there: a
 * request whose sender died before the answer is not a delivery, and the event is sent again.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../logger.ts';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../storage/postgres/test-database.ts';
import { openRegionStores, type RegionStores } from '../storage/regions.ts';
import { CallbackOutbox } from './outbox.ts';

const APPS = [1400000101, 1400000102, 1400000103];
const PER_APP = 30;
// The claim lease outlasts an attempt's timeout (as the dispatcher's default does), and the timeout outlasts the
// settling below, so no held request times out (and is retried) while the test is counting them.
const TIMEOUT_MS = 6_000;
const LEASE_MS = 9_000;
const SETTLE_MS = 4_500;
const MASTER_KEY = crypto.randomBytes(32).toString('base64');
const SCRIPT = fileURLToPath(new URL('./testing/dispatcher-process.ts', import.meta.url));

let db: TestPostgresDatabase;
let stores: RegionStores;
const children: ChildProcess[] = [];

before(async () => {
  db = await createTestPostgresDatabase();
  stores = await openRegionStores(
    { regions: { default: { driver: 'postgres', url: db.url } }, control: 'default' },
    { masterKey: MASTER_KEY, logger: createLogger('silent') },
  );
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await stores.close();
  await db.drop();
});

/** The receiver: counts acknowledged deliveries per app; can hold requests unanswered. */
function receiver() {
  const acked = new Map<number, number[]>(APPS.map((a) => [a, []]));
  const held: { answer: () => void; socket: Socket }[] = [];
  let holding = false;
  let requests = 0;
  // A sender killed while its request is held closes the connection; its answer is then never a delivery.
  const gone = new WeakSet<object>();
  const senderGone = (socket: Socket) => gone.has(socket) || socket.destroyed;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { EventInfo: { Seq: number; App: number } };
      const app = body.EventInfo.App;
      const answer = () => {
        if (senderGone(req.socket) || res.destroyed) return; // the sender is gone: not a delivery
        res.writeHead(200).end(() => acked.get(app)?.push(body.EventInfo.Seq));
      };
      if (holding) held.push({ answer, socket: req.socket });
      else setTimeout(answer, 3);
    });
  });
  server.on('connection', (socket) => {
    const mark = () => gone.add(socket);
    socket.once('end', mark).once('close', mark).once('error', mark);
  });
  return {
    server,
    acked,
    get requests() {
      return requests;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const { answer } of held.splice(0)) answer();
    },
    total: () => [...acked.values()].reduce((n, l) => n + l.length, 0),
    /** Requests held whose sender is still waiting for the answer. */
    held: () => held.filter(({ socket }) => !senderGone(socket)).length,
  };
}

function startNode(nodeId: string, receiverUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: {
      ...process.env,
      PG_URL: db.url,
      MASTER_KEY,
      NODE_ID: nodeId,
      RECEIVER_URL: receiverUrl,
      CLAIM_LEASE_MS: String(LEASE_MS),
      TIMEOUT_MS: String(TIMEOUT_MS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node ${nodeId} exited with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
  });
}

test('two nodes deliver one outbox exactly once, in order per app; a killed node’s claims are taken over', async () => {
  const r = receiver();
  r.server.listen(0, '127.0.0.1');
  await new Promise((resolve) => r.server.once('listening', resolve));
  const url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/cb`;
  try {
    const outbox = new CallbackOutbox(stores.region('default').store);
    const now = Date.now();
    for (let seq = 1; seq <= PER_APP; seq++)
      for (const sdkAppId of APPS)
        await outbox.enqueue({
          sdkAppId,
          eventType: 103,
          userId: 'u1',
          body: JSON.stringify({
            EventGroupId: 1,
            EventType: 103,
            CallbackTs: 0,
            EventInfo: { RoomId: 1, EventTs: 0, EventMsTs: now, UserId: 'u1', Seq: seq, App: sdkAppId },
          }),
          at: now,
        });

    const [nodeA, nodeB] = await Promise.all([startNode('node-a', url), startNode('node-b', url)]);
    const started = Date.now();
    while (r.total() < 20 && Date.now() - started < 20_000) await sleep(10);
    r.hold();
    // Settle: every claimed event is a request held by the receiver (none answered but not yet recorded, none
    // claimed but not yet sent), so the kill below cuts off only unacknowledged requests.
    const claimed = () =>
      stores
        .region('default')
        .store.db.selectFrom('callback_deliveries')
        .select('claimed_by')
        .where('claimed_by', 'is not', null)
        .where('status', '=', 'pending')
        .execute();
    let claims = await claimed();
    for (const settleBy = Date.now() + SETTLE_MS; Date.now() < settleBy; ) {
      if (claims.length > 0 && claims.length === r.held()) break;
      await sleep(100);
      claims = await claimed();
    }
    assert.equal(claims.length, r.held(), 'claims and held requests settled');
    // The node with events claimed and in flight (held by the receiver) is the one killed.
    const victim = claims[0]?.claimed_by;
    assert.ok(victim, 'a node held claims when it died');
    (victim === 'node-a' ? nodeA : nodeB).kill('SIGKILL');
    await sleep(500); // the victim's sockets are closed by the kernel
    r.release();

    const deadline = Date.now() + LEASE_MS + 30_000;
    while (r.total() < APPS.length * PER_APP && Date.now() < deadline) await sleep(20);
    await sleep(LEASE_MS); // anything delivered twice would arrive by now
    const expected = Array.from({ length: PER_APP }, (_, i) => i + 1);
    for (const app of APPS) assert.deepEqual(r.acked.get(app), expected, `app ${app}: every event once, in order`);
    const rows = await stores
      .region('default')
      .store.db.selectFrom('callback_deliveries')
      .select(['status', 'claimed_by'])
      .execute();
    assert.equal(rows.length, APPS.length * PER_APP);
    assert.ok(
      rows.every((row) => row.status === 'delivered' && row.claimed_by === null),
      'all delivered, no claim left',
    );
    assert.ok(r.requests > r.total(), 'the requests cut off by the kill were sent again');
  } finally {
    r.server.closeAllConnections();
    r.server.close();
  }
});
