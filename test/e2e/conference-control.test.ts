/**
 * Conference control in real Chromium pages (three at most): the host mutes everyone and the participant's audio
 * stops arriving; a device request is accepted in the SDK; on-stage mode (raise hand → approved → publishes);
 * a member's host action is refused with NOT_ROOM_ADMIN; kick; room lock; chat. Every rule in detail is in the
 * server's Node tests (packages/server/src/conference/room-control.test.ts); this shows the SDK end to end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep, startE2E, type ClientPage, type E2E, type RtpStats } from './harness.ts';

let e2e: E2E;
const pages: ClientPage[] = [];

before(async () => {
  e2e = await startE2E();
});

after(async () => {
  await Promise.all(pages.splice(0).map((p) => p.close()));
  await e2e?.close();
});

async function open(name: string): Promise<ClientPage> {
  const page = await e2e.newPage(name);
  pages.push(page);
  return page;
}

function enterArgs(userId: string, roomId: number, extra: Record<string, unknown> = {}) {
  return { sdkAppId: e2e.test.sdkAppId, userId, userSig: e2e.userSig(userId), roomId, ...extra };
}

async function enter(page: ClientPage, args: Record<string, unknown>) {
  return page.call((t, a) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(a), args);
}

async function mustEnter(page: ClientPage, args: Record<string, unknown>): Promise<void> {
  const result = await enter(page, args);
  assert.equal(result.ok, true, `${page.name} enterRoom: ${JSON.stringify(result)}`);
}

async function must(page: ClientPage, method: string, ...args: unknown[]): Promise<unknown> {
  const result = await page.invoke(method, ...args);
  assert.ok(result.ok, `${page.name} ${method}: ${JSON.stringify(result)}`);
  return result.value;
}

const inboundAudioPackets = (stats: RtpStats[]) =>
  stats.filter((s) => s.type === 'inbound-rtp' && s.kind === 'audio').reduce((n, s) => n + (s.packetsReceived ?? 0), 0);

/** Waits until the page's received audio packets stop growing between two reads 1.5 s apart. */
async function audioStops(page: ClientPage, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let previous = inboundAudioPackets(await page.rtpStats());
  for (;;) {
    await sleep(1500);
    const now = inboundAudioPackets(await page.rtpStats());
    if (now === previous) return;
    assert.ok(Date.now() < deadline, `${page.name}: audio still arriving (${previous} → ${now} packets)`);
    previous = now;
  }
}

async function audioFlows(page: ClientPage, description: string): Promise<void> {
  const start = inboundAudioPackets(await page.rtpStats());
  await page.waitForStats(description, (s) => inboundAudioPackets(s) > start + 25, 30_000);
}

describe('conference control (Chromium)', { timeout: 300_000 }, () => {
  test('mute all, device request, on stage, refused member action, kick, lock, chat', async () => {
    const roomId = 7700;
    const [host, alice, bob] = await Promise.all([open('host'), open('alice'), open('bob')]);
    await mustEnter(host, enterArgs('host', roomId, { userName: 'Host' }));
    await mustEnter(alice, enterArgs('alice', roomId, { userName: 'Alice' }));
    await mustEnter(bob, enterArgs('bob', roomId, { role: 'audience', userName: 'Bob' }));
    const entered = await host.waitForEvent('remote-user-enter', (p) => p['userId'] === 'alice');
    assert.equal(entered.payload?.['userName'], 'Alice');

    // Chat: relayed with the sender's name.
    await must(host, 'sendTextMessage', 'welcome');
    const chat = await alice.waitForEvent('text-message');
    assert.deepEqual(
      [chat.payload?.['userId'], chat.payload?.['userName'], chat.payload?.['text']],
      ['host', 'Host', 'welcome'],
    );

    // Mute all: alice's microphone is closed by the server; the host stops receiving her audio.
    await must(alice, 'startLocalAudio');
    await host.waitForEvent('remote-audio-available', (p) => p['userId'] === 'alice');
    await audioFlows(host, "alice's audio arrives");
    await must(host, 'disableDeviceForAllUsers', 'microphone', true);
    await alice.waitForEvent('device-closed-by-host');
    await host.waitForEvent('remote-audio-unavailable', (p) => p['userId'] === 'alice');
    await audioStops(host);
    const again = await alice.invoke('startLocalAudio');
    assert.ok(!again.ok);
    assert.deepEqual([again.code, again.serverCode], [5100, 'MEDIA_DISABLED_BY_HOST']);

    // A request to open the microphone: alice accepts in the SDK, then opens it herself.
    await alice.call((t) => {
      const trtc = t as { on(e: string, f: (r: { accept(): Promise<void> }) => void): void };
      trtc.on('device-open-request', (r) => void r.accept());
    });
    await host.call((t) => {
      const w = globalThis as unknown as { answers: unknown[] };
      w.answers = [];
      (t as { on(e: string, f: (p: unknown) => void): void }).on('device-open-request-answered', (p) =>
        w.answers.push(p),
      );
    });
    await must(host, 'requestRemoteDeviceOpen', 'alice', 'microphone');
    for (const deadline = Date.now() + 15_000; ; await sleep(100)) {
      const answers = (await host.call(() => (globalThis as unknown as { answers: unknown[] }).answers)) as {
        value: { accepted: boolean; userId: string }[];
      };
      if (answers.value.length > 0) {
        assert.deepEqual([answers.value[0]?.userId, answers.value[0]?.accepted], ['alice', true]);
        break;
      }
      assert.ok(Date.now() < deadline, 'the host hears that alice accepted');
    }
    await must(alice, 'startLocalAudio');
    await audioFlows(host, "alice's audio arrives again after she accepted");
    await must(host, 'disableDeviceForAllUsers', 'microphone', false);

    // On stage: bob (audience) cannot self-promote; he raises his hand, the host approves, he publishes.
    await must(host, 'setSeatMode', 2);
    const promote = await bob.invoke('switchRole', 'anchor');
    assert.ok(!promote.ok);
    assert.equal(promote.serverCode, 'NOT_ON_SEAT');
    await must(bob, 'raiseHand');
    await host.waitForEvent('room-control-changed', (p) => (p['raisedHands'] as string[]).includes('bob'));
    await must(host, 'approveSeat', 'bob');
    await bob.waitForEvent('room-control-changed', (p) =>
      (p['seats'] as { userId: string | null }[]).some((s) => s.userId === 'bob'),
    );
    await must(bob, 'switchRole', 'anchor');
    await must(bob, 'startLocalAudio');
    await host.waitForEvent('remote-audio-available', (p) => p['userId'] === 'bob');
    await audioFlows(host, "bob's audio arrives from the stage");

    // A member's host action is refused with a stable code.
    const refused = await bob.invoke('kickRemoteUser', 'alice');
    assert.ok(!refused.ok);
    assert.deepEqual([refused.code, refused.serverCode], [5100, 'NOT_ROOM_ADMIN']);

    // Kick, then lock: alice is out and cannot come back while the room is locked.
    await must(host, 'kickRemoteUser', 'alice');
    const kicked = await alice.waitForEvent('kicked-out');
    assert.equal(kicked.payload?.['reason'], 'kick');
    await host.waitForEvent('remote-user-exit', (p) => p['userId'] === 'alice');
    await must(host, 'lockRoom', true);
    const locked = await enter(alice, enterArgs('alice', roomId));
    assert.ok(!locked.ok);
    assert.equal(locked.serverCode, 'ROOM_LOCKED');
    await must(host, 'lockRoom', false);
    await mustEnter(alice, enterArgs('alice', roomId, { userName: 'Alice' }));
  });
});
