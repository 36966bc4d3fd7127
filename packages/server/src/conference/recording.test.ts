/**
 * The recording participant at the signaling level: who may enter as one (a PrivateMapKey with the Record bit,
 * for this room), that everyone sees it recording, that it cannot publish, and that only it may open the plain
 * RTP transport and record streams.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { generatePrivateMapKey, PrivilegeBits } from '../auth/index.ts';
import { SignalTestClient } from '../testing/signal-test-client.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { joinRoom, publish } from '../testing/trtc-client.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

function pmk(userId: string, roomId: number, privileges: number): string {
  return generatePrivateMapKey({
    sdkAppId: t.sdkAppId,
    userId,
    secretKey: t.secretKey,
    expireSeconds: 300,
    room: { roomId },
    privileges,
  });
}

async function joinAsRecorder(userId: string, roomId: number, privateMapKey?: string) {
  const client = await SignalTestClient.connect(t.server.url);
  const answer = await client.request('join', {
    sdkAppId: t.sdkAppId,
    userId,
    userSig: t.userSig(userId),
    roomId,
    recording: true,
    ...(privateMapKey ? { privateMapKey } : {}),
  });
  return { client, answer };
}

describe('recording participant', () => {
  it('needs a PrivateMapKey for this room with the Record bit', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'RECORDING_NOT_AUTHORIZED'],
      [pmk('rec', 801, PrivilegeBits.All), 'RECORDING_NOT_AUTHORIZED'],
      [pmk('rec', 802, PrivilegeBits.All | PrivilegeBits.Record), 'PRIVATE_MAP_KEY_ROOM_MISMATCH'],
      [pmk('other', 801, PrivilegeBits.All | PrivilegeBits.Record), 'USERSIG_USER_MISMATCH'],
    ];
    for (const [key, code] of cases) {
      const { client, answer } = await joinAsRecorder('rec', 801, key);
      assert.equal(answer.ok, false);
      assert.equal(answer.error?.code, code);
      client.close();
    }
  });

  it('is shown to everyone as recording, receives only, and alone may record', async () => {
    const room = 803;
    const anchor = await joinRoom(t, 'alice', { roomId: room });
    const producerId = await publish(anchor.client, anchor.answer.sendTransport.id, 'video', 1111);
    const rec = await joinAsRecorder('rec', room, pmk('rec', room, PrivilegeBits.Record | PrivilegeBits.EnterRoom));
    assert.equal(rec.answer.ok, true, JSON.stringify(rec.answer.error));
    assert.deepEqual(await anchor.client.next('participantJoined'), { userId: 'rec', role: 'anchor', recording: true });

    // A later entrant sees the recorder in its join answer.
    const bob = await joinRoom(t, 'bob', { roomId: room });
    const roster = (bob.answer as unknown as { participants: { userId: string; recording?: boolean }[] }).participants;
    assert.equal(roster.find((p) => p.userId === 'rec')?.recording, true);
    assert.equal(roster.find((p) => p.userId === 'alice')?.recording, undefined);

    // Ordinary participants cannot use the recording path.
    for (const [method, data] of [
      ['openRecordingTransport', {}],
      ['recordStream', { producerId }],
    ] as const) {
      const refused = await bob.client.request(method, data);
      assert.equal(refused.error?.code, 'RECORDING_ONLY', method);
    }

    // The recorder cannot publish.
    const sendTransport = (rec.answer.data as { sendTransport: { id: string } }).sendTransport.id;
    const produced = await rec.client.request('produce', {
      transportId: sendTransport,
      kind: 'audio',
      streamType: 'main',
      rtpParameters: {
        codecs: [
          { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] },
        ],
        encodings: [{ ssrc: 2222 }],
        headerExtensions: [],
        rtcp: { cname: 'rec' },
      },
    });
    assert.equal(produced.error?.code, 'RECORDER_CANNOT_PUBLISH');

    // It opens one plain transport and records the stream onto it.
    const transport = await rec.client.request('openRecordingTransport', {});
    assert.equal(transport.ok, true, JSON.stringify(transport.error));
    const again = await rec.client.request('openRecordingTransport', {});
    assert.deepEqual(again.data, transport.data, 'one transport per session');
    const t1 = transport.data as { ip: string; port: number };
    assert.equal(t1.ip, '127.0.0.1');
    assert.ok(t1.port > 0);
    const recorded = await rec.client.request('recordStream', { producerId });
    assert.equal(recorded.ok, true, JSON.stringify(recorded.error));
    const r = recorded.data as { mimeType: string; ssrc: number; userId: string; kind: string };
    assert.equal(r.mimeType.toLowerCase(), 'video/vp8');
    assert.equal(r.userId, 'alice');
    assert.ok(Number.isInteger(r.ssrc));
    const missing = await rec.client.request('recordStream', { producerId: 'nope' });
    assert.equal(missing.ok, false);

    for (const c of [anchor.client, bob.client, rec.client]) c.close();
  });

  it('closes the recording transport when its first packet comes from another address than the recorder', async () => {
    const room = 804;
    const anchor = await joinRoom(t, 'dave', { roomId: room });
    const producerId = await publish(anchor.client, anchor.answer.sendTransport.id, 'audio', 3333);
    const rec = await joinAsRecorder('rec2', room, pmk('rec2', room, PrivilegeBits.All | PrivilegeBits.Record));
    assert.equal(rec.answer.ok, true);
    const transport = (await rec.client.request('openRecordingTransport', {})).data as { ip: string; port: number };
    // The recorder's signaling comes from 127.0.0.1; an intruder on 127.0.0.2 sends the first packet.
    const intruder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => intruder.bind(0, '127.0.0.2', () => resolve()));
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1]);
    intruder.send(rr, transport.port, transport.ip);
    const error = (await rec.client.next('error')) as { code: string };
    assert.equal(error.code, 'RECORDING_FOREIGN_SOURCE');
    intruder.close();
    const recorded = await rec.client.request('recordStream', { producerId });
    assert.equal(recorded.error?.code, 'RECORDING_FOREIGN_SOURCE', 'the closed transport records nothing');
    for (const c of [anchor.client, rec.client]) c.close();
  });
});
