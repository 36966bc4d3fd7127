// Conference control end to end over signaling (Node clients, a real server, no browser): every rule the
// server enforces, the notifications, the group-9 callbacks and the audit records.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JoinAnswer, RoomControlState } from '@conclave/protocol';
import type { CallbackBody } from '../callbacks/events.ts';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer({ callbacks: { allowedHosts: ['127.0.0.1'], allowInsecureHttp: true } });
});
after(() => t.close());

let nextRoom = 7100;
const open: SignalTestClient[] = [];
// Each test leaves its rooms, so the per-user session quota is not used up by earlier tests.
afterEach(async () => {
  const clients = open.splice(0);
  await Promise.all(
    clients.map((c) =>
      c.ws.readyState === c.ws.OPEN ? Promise.race([c.request('leave'), c.closed]).then(() => c.close()) : undefined,
    ),
  );
});

interface Joined {
  client: SignalTestClient;
  answer: JoinAnswer;
  userId: string;
}

async function tryJoin(
  userId: string,
  roomId: number,
  extra: Record<string, unknown> = {},
  sdk?: { sdkAppId: number; secretKey: string },
) {
  const client = await SignalTestClient.connect(t.server.url);
  open.push(client);
  const res = await client.request('join', {
    sdkAppId: sdk?.sdkAppId ?? t.sdkAppId,
    userId,
    userSig: t.userSig(userId, sdk ? { sdkAppId: sdk.sdkAppId, secretKey: sdk.secretKey } : {}),
    roomId,
    ...extra,
  });
  return { client, res };
}

async function join(
  userId: string,
  roomId: number,
  extra: Record<string, unknown> = {},
  sdk?: { sdkAppId: number; secretKey: string },
): Promise<Joined> {
  const { client, res } = await tryJoin(userId, roomId, extra, sdk);
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return { client, answer: res.data as JoinAnswer, userId };
}

/** A room with an owner and two members, all anchors. */
async function room(extra: { sdk?: { sdkAppId: number; secretKey: string } } = {}) {
  const roomId = nextRoom++;
  const host = await join('host', roomId, { userName: 'The Host' }, extra.sdk);
  const alice = await join('alice', roomId, { userName: 'Alice' }, extra.sdk);
  const bob = await join('bob', roomId, {}, extra.sdk);
  return { roomId, host, alice, bob };
}

async function control(who: Joined, data: Record<string, unknown>) {
  return who.client.request('roomControl', data);
}

async function ok(who: Joined, data: Record<string, unknown>) {
  const res = await control(who, data);
  assert.equal(res.ok, true, `${JSON.stringify(data)}: ${JSON.stringify(res.error)}`);
  return res.data as { requestId?: string };
}

async function refused(who: Joined, data: Record<string, unknown>, code: string) {
  const res = await control(who, data);
  assert.equal(res.error?.code, code, `${JSON.stringify(data)} → ${JSON.stringify(res)}`);
}

const CODECS = {
  audio: { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] },
  video: { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [] },
};
let nextSsrc = 5000;

/** Publishes main audio/video (or the screen, `sub`) through signaling; answers the server's reply. */
function produce(who: Joined, kind: 'audio' | 'video', streamType: 'main' | 'sub' = 'main') {
  const ssrc = nextSsrc++;
  return who.client.request('produce', {
    transportId: who.answer.sendTransport.id,
    kind,
    streamType,
    rtpParameters: { codecs: [CODECS[kind]], encodings: [{ ssrc }], headerExtensions: [], rtcp: { cname: `c${ssrc}` } },
  });
}

async function published(who: Joined, kind: 'audio' | 'video', streamType: 'main' | 'sub' = 'main') {
  const res = await produce(who, kind, streamType);
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return (res.data as { producerId: string }).producerId;
}

/** The latest `roomControl` state this client has received (waits for one after `since` notifications). */
async function stateAfter(who: Joined, check: (s: RoomControlState) => boolean): Promise<RoomControlState> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const states = who.client.history.filter((n) => n.notification === 'roomControl');
    const last = states.at(-1)?.data as RoomControlState | undefined;
    if (last && check(last)) return last;
    assert.ok(Date.now() < deadline, `no matching roomControl state; last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('roles: owner and admins', () => {
  test('the first entrant owns the room; the roster carries names; join answers carry the control state', async () => {
    const { host, alice, bob } = await room();
    assert.equal(host.answer.control.ownerId, 'host');
    assert.deepEqual(alice.answer.control.adminIds, []);
    assert.deepEqual(
      bob.answer.participants.map((p) => [p.userId, p.userName]),
      [
        ['host', 'The Host'],
        ['alice', 'Alice'],
      ],
    );
    const joined = (await host.client.next('participantJoined')) as { userId: string; userName?: string };
    assert.deepEqual([joined.userId, joined.userName], ['alice', 'Alice']);
  });

  test('names are bounded: too long or with control characters → SIGNAL_MALFORMED', async () => {
    const roomId = nextRoom++;
    const long = await tryJoin('n1', roomId, { userName: 'x'.repeat(65) });
    assert.equal(long.res.error?.code, 'SIGNAL_MALFORMED');
    const ctl = await tryJoin('n2', roomId, { userName: 'evil\u202ename' });
    assert.equal(ctl.res.error?.code, 'SIGNAL_MALFORMED');
    const empty = await tryJoin('n3', roomId, { userName: '' });
    assert.equal(empty.res.error?.code, 'SIGNAL_MALFORMED');
  });

  test('every host action from a member is refused with NOT_ROOM_ADMIN, owner actions with NOT_ROOM_OWNER', async () => {
    const { alice } = await room();
    for (const action of [
      { action: 'disableDeviceForAll', device: 'microphone', disabled: true },
      { action: 'closeRemoteDevice', userId: 'bob', device: 'camera' },
      { action: 'requestOpenDevice', userId: 'bob', device: 'microphone' },
      { action: 'setSeatMode', maxSeats: 4 },
      { action: 'kickUser', userId: 'bob' },
      { action: 'lockRoom', locked: true },
    ]) {
      await refused(alice, action, 'NOT_ROOM_ADMIN');
    }
    await refused(alice, { action: 'transferOwner', userId: 'alice' }, 'NOT_ROOM_OWNER');
    await refused(alice, { action: 'setAdmin', userId: 'alice', admin: true }, 'NOT_ROOM_OWNER');
    await refused(alice, { action: 'setPassword', password: 'x' }, 'NOT_ROOM_OWNER');
    await refused(alice, { action: 'frobnicate' }, 'SIGNAL_MALFORMED');
  });

  test('the owner makes an admin, who may then use host actions but not act on the owner; ownership transfers', async () => {
    const { host, alice, bob } = await room();
    await ok(host, { action: 'setAdmin', userId: 'alice', admin: true });
    const seen = await stateAfter(bob, (s) => s.adminIds.includes('alice'));
    assert.equal(seen.ownerId, 'host');
    await ok(alice, { action: 'lockRoom', locked: false });
    await refused(alice, { action: 'kickUser', userId: 'host' }, 'CONTROL_TARGET_INVALID');
    await refused(
      alice,
      { action: 'closeRemoteDevice', userId: 'host', device: 'microphone' },
      'CONTROL_TARGET_INVALID',
    );
    await refused(host, { action: 'kickUser', userId: 'host' }, 'CONTROL_TARGET_INVALID');
    await refused(host, { action: 'kickUser', userId: 'nobody' }, 'CONTROL_TARGET_INVALID');
    await ok(host, { action: 'transferOwner', userId: 'bob' });
    const after = await stateAfter(alice, (s) => s.ownerId === 'bob');
    assert.deepEqual(after.adminIds, ['alice']);
    await refused(host, { action: 'setAdmin', userId: 'alice', admin: false }, 'NOT_ROOM_OWNER');
    await refused(host, { action: 'lockRoom', locked: true }, 'NOT_ROOM_ADMIN');
  });

  test('when the owner leaves, an admin present becomes the owner (else the longest-present participant)', async () => {
    const { host, alice, bob } = await room();
    await ok(host, { action: 'setAdmin', userId: 'bob', admin: true });
    await host.client.request('leave');
    const s = await stateAfter(alice, (x) => x.ownerId !== 'host');
    assert.equal(s.ownerId, 'bob');
    assert.deepEqual(s.adminIds, []);
    await bob.client.request('leave');
    assert.equal((await stateAfter(alice, (x) => x.ownerId !== 'bob')).ownerId, 'alice');
  });
});

describe('devices', () => {
  test('mute all closes the members’ microphones, refuses new ones; the hosts are exempt; unmute-all lifts it', async () => {
    const { host, alice, bob } = await room();
    const aliceMic = await published(alice, 'audio');
    const aliceCam = await published(alice, 'video');
    await published(host, 'audio');
    await ok(host, { action: 'disableDeviceForAll', device: 'microphone', disabled: true });
    assert.deepEqual(await alice.client.next('deviceClosed'), { device: 'microphone', by: 'host' });
    const removed = bob.client.history.filter((n) => n.notification === 'streamRemoved').map((n) => n.data);
    assert.ok(
      removed.some((r) => (r as { producerId: string }).producerId === aliceMic),
      'others see it go',
    );
    assert.ok(!removed.some((r) => (r as { producerId: string }).producerId === aliceCam), 'the camera stays');
    const again = await produce(alice, 'audio');
    assert.equal(again.error?.code, 'MEDIA_DISABLED_BY_HOST');
    assert.equal((await produce(bob, 'audio')).error?.code, 'MEDIA_DISABLED_BY_HOST');
    assert.equal((await produce(bob, 'video')).ok, true, 'cameras are not affected');
    assert.equal((await stateAfter(bob, (s) => s.disabled.microphone)).disabled.camera, false);
    await ok(host, { action: 'disableDeviceForAll', device: 'microphone', disabled: false });
    assert.equal((await produce(alice, 'audio')).ok, true);
  });

  test('disable all cameras and screen share for all: the same rule per device', async () => {
    const { host, alice } = await room();
    await published(alice, 'video');
    await ok(host, { action: 'disableDeviceForAll', device: 'camera', disabled: true });
    assert.deepEqual(await alice.client.next('deviceClosed'), { device: 'camera', by: 'host' });
    assert.equal((await produce(alice, 'video')).error?.code, 'MEDIA_DISABLED_BY_HOST');
    assert.equal((await produce(alice, 'audio')).ok, true);
    await ok(host, { action: 'disableDeviceForAll', device: 'screen', disabled: true });
    assert.equal((await produce(alice, 'video', 'sub')).error?.code, 'MEDIA_DISABLED_BY_HOST');
    assert.equal((await produce(host, 'video', 'sub')).ok, true, 'a host may still share');
  });

  test('a host closes one participant’s device; it cannot open it', async () => {
    const { host, alice, bob } = await room();
    const camera = await published(alice, 'video');
    await ok(host, { action: 'closeRemoteDevice', userId: 'alice', device: 'camera' });
    assert.deepEqual(await alice.client.next('deviceClosed'), { device: 'camera', by: 'host' });
    assert.deepEqual(await bob.client.next('streamRemoved'), { producerId: camera, userId: 'alice' });
    // Closing is not a ban: alice may open it again herself.
    assert.equal((await produce(alice, 'video')).ok, true);
    // There is no "open" action: the server only asks.
    await refused(host, { action: 'openRemoteDevice', userId: 'bob', device: 'camera' }, 'SIGNAL_MALFORMED');
  });

  test('a request to open a device reaches the target, who accepts or rejects; acceptance lifts the ban for it alone', async () => {
    const { host, alice, bob } = await room();
    await ok(host, { action: 'disableDeviceForAll', device: 'microphone', disabled: true });
    const { requestId } = await ok(host, { action: 'requestOpenDevice', userId: 'alice', device: 'microphone' });
    const asked = (await alice.client.next('deviceRequest')) as { requestId: string; from: string; device: string };
    assert.deepEqual(asked, { requestId, from: 'host', device: 'microphone' });
    assert.equal(
      alice.client.history.filter((n) => n.notification === 'streamAdded').length +
        bob.client.history.filter((n) => n.notification === 'streamAdded').length,
      0,
      'asking opens nothing',
    );
    await refused(bob, { action: 'answerDeviceRequest', requestId, accept: true }, 'DEVICE_REQUEST_NOT_FOUND');
    await ok(alice, { action: 'answerDeviceRequest', requestId, accept: true });
    assert.deepEqual(await host.client.next('deviceRequestAnswered'), {
      requestId,
      userId: 'alice',
      device: 'microphone',
      accepted: true,
    });
    await refused(alice, { action: 'answerDeviceRequest', requestId, accept: true }, 'DEVICE_REQUEST_NOT_FOUND');
    assert.equal((await produce(alice, 'audio')).ok, true, 'alice may now unmute');
    assert.equal((await produce(bob, 'audio')).error?.code, 'MEDIA_DISABLED_BY_HOST', 'bob still may not');

    const second = await ok(host, { action: 'requestOpenDevice', userId: 'bob', device: 'camera' });
    await bob.client.next('deviceRequest');
    await ok(bob, { action: 'answerDeviceRequest', requestId: second.requestId, accept: false });
    assert.equal(((await host.client.next('deviceRequestAnswered')) as { accepted: boolean }).accepted, false);
  });
});

describe('on-stage mode (seats)', () => {
  test('raise hand → approve → publish; audience cannot self-promote; seats fill, lock, kick off and leave', async () => {
    const roomId = nextRoom++;
    const host = await join('host', roomId);
    const alice = await join('alice', roomId);
    const carol = await join('carol', roomId, { role: 'audience' });
    await published(alice, 'audio');
    await refused(alice, { action: 'raiseHand', raised: true }, 'SEAT_MODE_OFF');
    await ok(host, { action: 'setSeatMode', maxSeats: 1 });
    assert.deepEqual(await alice.client.next('deviceClosed'), { device: 'microphone', by: 'host' });
    assert.equal((await produce(alice, 'audio')).error?.code, 'NOT_ON_SEAT');
    assert.equal((await produce(host, 'audio')).ok, true, 'hosts are exempt');
    const promote = await carol.client.request('switchRole', { role: 'anchor' });
    assert.equal(promote.error?.code, 'NOT_ON_SEAT', 'an audience member cannot self-promote');

    await ok(alice, { action: 'raiseHand', raised: true });
    await ok(carol, { action: 'raiseHand', raised: true });
    assert.deepEqual((await stateAfter(host, (s) => s.raisedHands.length === 2)).raisedHands, ['alice', 'carol']);
    await refused(alice, { action: 'approveSeat', userId: 'carol', approve: true }, 'NOT_ROOM_ADMIN');
    await refused(host, { action: 'approveSeat', userId: 'host', approve: true }, 'CONTROL_TARGET_INVALID');
    await ok(host, { action: 'approveSeat', userId: 'alice', approve: true });
    const s = await stateAfter(carol, (x) => x.seats[0]?.userId === 'alice');
    assert.deepEqual(s.raisedHands, ['carol']);
    assert.equal((await produce(alice, 'audio')).ok, true, 'on a seat, alice publishes');
    await refused(host, { action: 'approveSeat', userId: 'carol', approve: true }, 'SEAT_UNAVAILABLE');
    await ok(host, { action: 'approveSeat', userId: 'carol', approve: false });
    await stateAfter(carol, (x) => x.raisedHands.length === 0);

    await ok(host, { action: 'kickOffSeat', userId: 'alice' });
    assert.deepEqual(await alice.client.next('deviceClosed'), { device: 'microphone', by: 'host' });
    assert.equal((await produce(alice, 'audio')).error?.code, 'NOT_ON_SEAT');

    await ok(host, { action: 'lockSeat', index: 0, locked: true });
    await refused(host, { action: 'lockSeat', index: 5, locked: true }, 'SEAT_UNAVAILABLE');
    await ok(carol, { action: 'raiseHand', raised: true });
    await refused(host, { action: 'approveSeat', userId: 'carol', approve: true }, 'SEAT_UNAVAILABLE');
    await ok(host, { action: 'lockSeat', index: 0, locked: false });
    await ok(host, { action: 'approveSeat', userId: 'carol', approve: true });
    assert.equal((await carol.client.request('switchRole', { role: 'anchor' })).ok, true, 'seated, carol may switch');
    assert.equal((await produce(carol, 'video')).ok, true);
    await ok(carol, { action: 'leaveSeat' });
    assert.deepEqual(await carol.client.next('deviceClosed'), { device: 'camera', by: 'carol' });
    await refused(carol, { action: 'leaveSeat' }, 'CONTROL_TARGET_INVALID');

    await ok(host, { action: 'setSeatMode', maxSeats: 0 });
    assert.equal((await produce(alice, 'audio')).ok, true, 'seat mode off: free to publish again');
  });
});

describe('kick, lock, password', () => {
  test('a host kicks a participant: KICKED_OUT (kick) and the socket closes; the others see it leave', async () => {
    const { host, alice, bob } = await room();
    await ok(host, { action: 'kickUser', userId: 'alice' });
    assert.deepEqual(await alice.client.next('kicked'), { reason: 'kick', message: 'removed from the room' });
    await alice.client.closed;
    const left = await bob.client.next('participantLeft');
    assert.deepEqual(left, { userId: 'alice', reason: 'removed' });
  });

  test('a locked room refuses new entrants with ROOM_LOCKED; the same user re-entering passes', async () => {
    const { roomId, host } = await room();
    await ok(host, { action: 'lockRoom', locked: true });
    assert.equal((await tryJoin('dave', roomId)).res.error?.code, 'ROOM_LOCKED');
    assert.equal((await tryJoin('alice', roomId)).res.ok, true, 'alice re-enters (displacing her old session)');
    await ok(host, { action: 'lockRoom', locked: false });
    assert.equal((await tryJoin('dave', roomId)).res.ok, true);
  });

  test('a password: missing → REQUIRED, wrong → WRONG, repeated wrong → RATE_LIMITED; right admits', async () => {
    const { roomId, host } = await room();
    await refused(host, { action: 'setPassword', password: 'x'.repeat(65) }, 'SIGNAL_MALFORMED');
    await ok(host, { action: 'setPassword', password: 'opensesame' });
    assert.equal((await stateAfter(host, (s) => s.hasPassword)).hasPassword, true);
    assert.equal((await tryJoin('eve', roomId)).res.error?.code, 'ROOM_PASSWORD_REQUIRED');
    assert.equal((await tryJoin('eve', roomId, { roomPassword: 'guess' })).res.error?.code, 'ROOM_PASSWORD_WRONG');
    assert.equal((await tryJoin('frank', roomId, { roomPassword: 'opensesame' })).res.ok, true);
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++) codes.push((await tryJoin('eve', roomId, { roomPassword: `g${i}` })).res.error?.code);
    assert.ok(codes.includes('ROOM_PASSWORD_RATE_LIMITED'), codes.join());
    assert.equal(
      (await tryJoin('eve', roomId, { roomPassword: 'opensesame' })).res.error?.code,
      'ROOM_PASSWORD_RATE_LIMITED',
      'even the right password waits out the limit',
    );
    await ok(host, { action: 'setPassword', password: null });
    assert.equal((await tryJoin('eve', roomId)).res.ok, true);
  });
});

describe('chat', () => {
  test('relayed to the others with the sender’s name, bounded, rate-limited', async () => {
    const { host, alice, bob } = await room();
    assert.equal((await alice.client.request('chatMessage', { text: 'hello all' })).ok, true);
    const got = (await bob.client.next('chatMessage')) as {
      userId: string;
      userName: string;
      text: string;
      at: number;
    };
    assert.deepEqual([got.userId, got.userName, got.text], ['alice', 'Alice', 'hello all']);
    assert.equal(typeof got.at, 'number');
    await host.client.next('chatMessage');
    assert.ok(!alice.client.history.some((n) => n.notification === 'chatMessage'), 'not echoed to the sender');
    assert.equal(
      (await alice.client.request('chatMessage', { text: 'x'.repeat(501) })).error?.code,
      'SIGNAL_MALFORMED',
    );
    assert.equal((await alice.client.request('chatMessage', { text: '' })).error?.code, 'SIGNAL_MALFORMED');
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => bob.client.request('chatMessage', { text: `m${i}` })),
    );
    assert.ok(replies.some((r) => r.error?.code === 'CHAT_RATE_LIMITED'));
    assert.ok(replies[0]?.ok);
  });
});

describe('callbacks and audit', () => {
  test('every control action is a group-9 callback and an audit record; refusals are audited as denied', async () => {
    const received: CallbackBody[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallbackBody);
        res.writeHead(200).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`;
      const { app, secretKey } = await t.server.stores.apps.create({
        name: 'control-callbacks',
        region: 'default',
        callbackUrl: url,
        callbackKey: 'k',
      });
      const sdk = { sdkAppId: app.sdkAppId, secretKey };
      const { host, alice } = await room({ sdk });
      await ok(host, { action: 'setAdmin', userId: 'alice', admin: true });
      await ok(host, { action: 'disableDeviceForAll', device: 'camera', disabled: true });
      await ok(host, { action: 'setSeatMode', maxSeats: 2 });
      await ok(host, { action: 'kickUser', userId: 'bob' });
      await ok(alice, { action: 'lockRoom', locked: true });
      await ok(host, { action: 'setPassword', password: 'secret-pw' });
      await refused(host, { action: 'transferOwner', userId: 'bob' }, 'CONTROL_TARGET_INVALID');
      const expected = [902, 904, 910, 920, 921, 923];
      const deadline = Date.now() + 20_000;
      const control = () => received.filter((b) => b.EventGroupId === 9);
      while (control().length < expected.length) {
        assert.ok(Date.now() < deadline, `callbacks: ${JSON.stringify(received.map((b) => b.EventType))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(
        control().map((b) => [b.EventType, b.EventInfo.UserId, b.EventInfo.TargetUserId, b.EventInfo.Detail]),
        [
          [902, 'host', 'alice', undefined],
          [904, 'host', undefined, 'camera'],
          [910, 'host', undefined, '2'],
          [920, 'host', 'bob', undefined],
          [921, 'alice', undefined, undefined],
          [923, 'host', undefined, undefined],
        ],
      );
      assert.ok(!JSON.stringify(received).includes('secret-pw'), 'no password in a callback');
      let records: Awaited<ReturnType<typeof t.server.audit.list>> = [];
      for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
        records = (await t.server.audit.list({ sdkAppId: app.sdkAppId, limit: 100 })).filter((r) =>
          r.action.startsWith('room_control.'),
        );
        if (records.length >= 7) break;
      }
      assert.deepEqual(
        records.reverse().map((r) => [r.action, r.actor.id, r.target.userId, r.result, r.detail]),
        [
          ['room_control.setAdmin', 'room-user:host', 'alice', 'ok', null],
          ['room_control.disableDevice', 'room-user:host', null, 'ok', 'camera'],
          ['room_control.setSeatMode', 'room-user:host', null, 'ok', '2'],
          ['room_control.kickUser', 'room-user:host', 'bob', 'ok', null],
          ['room_control.lockRoom', 'room-user:alice', null, 'ok', null],
          ['room_control.setPassword', 'room-user:host', null, 'ok', null],
          ['room_control.transferOwner', 'room-user:host', 'bob', 'denied', 'CONTROL_TARGET_INVALID'],
        ],
      );
      assert.ok(records.every((r) => r.actor.kind === 'customer' && r.target.roomId !== null));
      assert.ok(!JSON.stringify(records).includes('secret-pw'), 'no password in the audit log');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
