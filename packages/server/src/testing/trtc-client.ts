/**
 * Tencent's official Cloud API client (`tencentcloud-sdk-nodejs`, trtc.v20190722) pointed at a test server: if
 * it can call us, a TRTC customer's backend can.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { SignalTestClient } from './signal-test-client.ts';
import type { TestServer } from './test-server.ts';

const require = createRequire(import.meta.url);
const tencentcloud = require('tencentcloud-sdk-nodejs') as {
  trtc: { v20190722: { Client: new (config: unknown) => TrtcClient } };
};

type Call = (params: object) => Promise<Record<string, unknown> & { RequestId: string }>;

/** The actions the tests call (the SDK has typed methods for each). */
export interface TrtcClient {
  DescribeRoomInfo: Call;
  DescribeUserInfo: Call;
  DescribeCallDetailInfo: Call;
  DescribeUserEvent: Call;
  DescribeScaleInfo: Call;
  DescribeUnusualEvent: Call;
  DismissRoom: Call;
  request(action: string, params: object): Promise<unknown>;
}

export function trtcClient(serverUrl: string, credential: { secretId: string; secretKey: string }): TrtcClient {
  const url = new URL(serverUrl);
  return new tencentcloud.trtc.v20190722.Client({
    credential,
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: url.host, protocol: `${url.protocol}//`, reqTimeout: 10 } },
  });
}

/** Asserts that the official client rejected with this TRTC error code. */
export async function rejectsWithTrtcCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: { code?: string }) => {
    assert.equal(e.code, code);
    return true;
  });
}

/** Joins a room through signaling and asserts success. */
export async function joinRoom(
  t: TestServer,
  userId: string,
  room: { roomId: number } | { strRoomId: string },
  extra: { sdkAppId?: number; secretKey?: string; sdkVersion?: string; os?: string } = {},
) {
  const { sdkAppId, secretKey, ...rest } = extra;
  const client = await SignalTestClient.connect(t.server.url);
  const userSig = t.userSig(userId, { ...(sdkAppId ? { sdkAppId } : {}), ...(secretKey ? { secretKey } : {}) });
  const answer = await client.request('join', { sdkAppId: sdkAppId ?? t.sdkAppId, userId, userSig, ...room, ...rest });
  assert.equal(answer.ok, true, JSON.stringify(answer.error));
  return { client, answer: answer.data as { sendTransport: { id: string } } };
}

/**
 * Publishes a stream through signaling with valid RTP parameters (Opus or VP8). No media flows — the transport is
 * never connected — but the server records the stream as a browser's would be.
 */
export async function publish(
  client: SignalTestClient,
  sendTransportId: string,
  kind: 'audio' | 'video',
  ssrc: number,
): Promise<string> {
  const codec =
    kind === 'audio'
      ? { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }
      : { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [] };
  const res = await client.request('produce', {
    transportId: sendTransportId,
    kind,
    streamType: 'main',
    rtpParameters: { codecs: [codec], encodings: [{ ssrc }], headerExtensions: [], rtcp: { cname: `c${ssrc}` } },
  });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return (res.data as { producerId: string }).producerId;
}

/** Lets the recorder's writes land and flushes the telemetry batches. */
export async function settle(t: TestServer): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 150));
  await t.server.stores.flush();
}
