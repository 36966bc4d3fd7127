/**
 * What the reach tests (turn.test.ts, nat.test.ts) read off a page: the machine's own interface address (loopback
 * peers are denied by the TURN policy), the selected ICE candidate pair of each connection, decoded video frames.
 */
import os from 'node:os';
import assert from 'node:assert/strict';
import type { ClientPage, E2E, RtpStats } from './harness.ts';

/** The first non-internal IPv4 address (or CONCLAVE_TEST_IP). */
export function testInterfaceAddress(): string {
  if (process.env.CONCLAVE_TEST_IP) return process.env.CONCLAVE_TEST_IP;
  for (const addrs of Object.values(os.networkInterfaces())) {
    const found = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  throw new Error('the reach tests need a non-loopback IPv4 interface (or CONCLAVE_TEST_IP)');
}

/** The selected candidate pair of each connected peer connection of a page, as getStats() reports it. */
export interface SelectedPair {
  localType: string;
  localProtocol: string;
  remoteType: string;
  remoteProtocol: string;
  relayProtocol?: string;
}

export function selectedPairs(page: ClientPage): Promise<SelectedPair[]> {
  return page.page.evaluate(async () => {
    type Stat = Record<string, unknown>;
    const pcs = (
      globalThis as unknown as { pcs: { connectionState: string; getStats(): Promise<Map<string, Stat>> }[] }
    ).pcs;
    const out: SelectedPair[] = [];
    for (const pc of pcs) {
      if (pc.connectionState !== 'connected') continue;
      const report = await pc.getStats();
      const byId = new Map<string, Stat>();
      report.forEach((s) => byId.set(s['id'] as string, s));
      for (const s of byId.values()) {
        if (s['type'] !== 'transport' || typeof s['selectedCandidatePairId'] !== 'string') continue;
        const pair = byId.get(s['selectedCandidatePairId']);
        const local = byId.get(pair?.['localCandidateId'] as string);
        const remote = byId.get(pair?.['remoteCandidateId'] as string);
        if (!local || !remote) continue;
        out.push({
          localType: local['candidateType'] as string,
          localProtocol: local['protocol'] as string,
          remoteType: remote['candidateType'] as string,
          remoteProtocol: remote['protocol'] as string,
          ...(typeof local['relayProtocol'] === 'string' ? { relayProtocol: local['relayProtocol'] } : {}),
        });
      }
    }
    return out;
  });
}

/** Video frames decoded by the page (the bandwidth probator is not a stream). */
export const framesDecoded = (stats: RtpStats[]) =>
  stats
    .filter((s) => s.type === 'inbound-rtp' && s.kind === 'video' && s.trackIdentifier !== 'probator')
    .reduce((n, s) => n + (s.framesDecoded ?? 0), 0);

/**
 * A (userA) publishes camera video, B (userB) receives it; returns once B has decoded frames. `createOptions` go to
 * `TRTC.create` on both pages (e.g. `iceTransportPolicy`).
 */
export async function oneWayVideoCall(
  e2e: Pick<E2E, 'newPage' | 'userSig' | 'sdkAppId'>,
  roomId: number,
  options: { createOptions?: Record<string, unknown>; timeoutMs?: number } = {},
): Promise<[ClientPage, ClientPage]> {
  const pageOptions = options.createOptions ? { createOptions: options.createOptions } : {};
  const a = await e2e.newPage('A', pageOptions);
  const b = await e2e.newPage('B', pageOptions);
  for (const [page, userId] of [
    [a, 'userA'],
    [b, 'userB'],
  ] as const) {
    const entered = await page.call((t, arg) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(arg), {
      sdkAppId: e2e.sdkAppId,
      userId,
      userSig: e2e.userSig(userId),
      roomId,
    });
    assert.equal(entered.ok, true, `${page.name} enterRoom: ${JSON.stringify(entered)}`);
  }
  const video = await a.invoke('startLocalVideo', { view: 'local', option: { profile: '480p', small: false } });
  assert.equal(video.ok, true, `startLocalVideo: ${JSON.stringify(video)}`);
  await b.waitForEvent('remote-video-available', (p) => p['userId'] === 'userA');
  const remote = await b.invoke('startRemoteVideo', { userId: 'userA', streamType: 'main', view: 'remote' });
  assert.equal(remote.ok, true, `startRemoteVideo: ${JSON.stringify(remote)}`);
  await b.waitForStats('B decodes A', (stats) => framesDecoded(stats) > 10, options.timeoutMs ?? 20_000);
  return [a, b];
}

/**
 * Makes the viewer behave as apps do: start `userId`'s main video again whenever it becomes available again. A
 * user who left and came back (for instance when both sides rejoin after their node died, the viewer first) is a
 * new remote user to the SDK, and TRTC's SDK does not play a returning user's video by itself.
 */
export async function replayOnReturn(viewer: ClientPage, userId: string): Promise<void> {
  const installed = await viewer.call((t, uid) => {
    type Available = { userId: string; streamType: string };
    const trtc = t as {
      on(event: string, f: (p: Available) => void): void;
      startRemoteVideo(a: unknown): Promise<void>;
    };
    const EVENT = (globalThis as unknown as { TRTC: { EVENT: Record<string, string> } }).TRTC.EVENT;
    trtc.on(EVENT['REMOTE_VIDEO_AVAILABLE']!, (p) => {
      if (p.userId === uid && p.streamType === 'main')
        void trtc.startRemoteVideo({ userId: uid, streamType: 'main', view: 'remote' }).catch(() => undefined);
    });
  }, userId);
  assert.equal(installed.ok, true, `replayOnReturn: ${JSON.stringify(installed)}`);
}
