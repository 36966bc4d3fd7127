/**
 * The demo conference app (packages/server/public/demo) driven by clicks in two real Chromium pages, the way a
 * user does: the pre-join device check shows the camera and the microphone level; both join end-to-end encrypted
 * and see the same security code; the speaking participant's tile is highlighted and takes the speaker view; a
 * screen share takes the large tile; the host mutes everyone (the participant's mic turns off and unmuting is
 * refused); a chat message shows up in the other page; a dropped connection shows the reconnecting banner until
 * the session resumes; in on-stage mode the participant raises a hand, the host sees it in the participant list
 * and brings them on stage; the host removes them and their tile disappears; a locked room keeps them out.
 * The rules themselves are tested in conference-control.test.ts and the server's unit tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { sleep, startE2E, type E2E } from './harness.ts';

const ROOM = 8801;
const TIMEOUT = 20_000;

let e2e: E2E;
const contexts: BrowserContext[] = [];

before(async () => {
  e2e = await startE2E();
});

after(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  await e2e?.close();
});

/**
 * alice's signaling runs through Playwright's WebSocket routing so the test can cut it: `cut()` closes her
 * socket and refuses new ones until `restore()`.
 */
const link = {
  open: [] as WebSocketRoute[],
  refusing: false,
  cut() {
    this.refusing = true;
    for (const ws of this.open.splice(0)) void ws.close({ code: 4000, reason: 'test: network cut' });
  },
  restore() {
    this.refusing = false;
  },
};

/** Opens the demo page as `userId` (the server serves it at `/`, with its CSP). */
async function openDemo(userId: string, options: { cuttable?: boolean } = {}): Promise<Page> {
  const context = await e2e.browser.newContext({ permissions: ['camera', 'microphone'] });
  contexts.push(context);
  if (options.cuttable) {
    await context.routeWebSocket(/\/signal/, (ws) => {
      if (link.refusing) return void ws.close({ code: 4000, reason: 'test: network cut' });
      ws.connectToServer();
      link.open.push(ws);
    });
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    // A CSP violation is reported on the console; the page must cause none.
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) errors.push(msg.text());
    if (process.env.CONCLAVE_E2E_CONSOLE) console.log(`[${userId}] ${msg.text()}`);
  });
  (page as Page & { demoErrors: string[] }).demoErrors = errors;
  await page.goto(`${e2e.test.server.url}/?room=${ROOM}&userId=${userId}`);
  return page;
}

/**
 * Polls `check` (which reads the page through locators) until it holds. Not `page.waitForFunction`: Playwright
 * evaluates its polling with `new Function`, which the demo's CSP (rightly) refuses.
 */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${TIMEOUT} ms`);
    await sleep(100);
  }
}

/** With CONCLAVE_DEMO_SHOTS=<dir>, saves a screenshot there (to look at the UI; nothing is compared). */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONCLAVE_DEMO_SHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png` });
}

const visible = (page: Page, selector: string) =>
  page.locator(selector).first().waitFor({ state: 'visible', timeout: TIMEOUT });

/** The pre-join check, then Join, with E2EE on. */
async function joinFromPrejoin(page: Page, name: string): Promise<void> {
  // Camera preview, microphone level, device menus filled from the fake devices.
  await visible(page, '#preview.has-video');
  await until('mic level', async () => Number(await page.getAttribute('#mic-meter', 'aria-valuenow')) > 0);
  await until('camera menu', async () => (await page.locator('#camera-select option').count()) > 1);
  await page.fill('#user-name', name);
  await page.check('#e2ee');
  await page.click('#join-button');
  await visible(page, '#call-screen');
  await until(`${name}'s mic on`, async () => (await page.getAttribute('#toggle-mic', 'aria-pressed')) === 'true');
}

const securityCode = async (page: Page) => {
  await page.click('#e2ee-badge');
  await until('security code', async () => /^\d{5}( \d{5}){5}$/.test((await page.textContent('#security-code')) ?? ''));
  return page.locator('#security-code').textContent();
};

describe('demo conference app (Chromium)', { timeout: 240_000 }, () => {
  test('pre-join check, join, mute all, chat, raise hand → on stage, kick', async () => {
    const host = await openDemo('host');
    await joinFromPrejoin(host, 'Hosting Hanna');
    const alice = await openDemo('alice', { cuttable: true });
    await joinFromPrejoin(alice, 'Alice');

    // Both see each other's video; the security codes match; the network indicator has a reading.
    await visible(host, '.tile[data-key="alice:main"].has-video');
    await visible(alice, '.tile[data-key="host:main"].has-video');
    assert.equal(await host.locator('.tile[data-key="alice:main"] .tile-name').textContent(), 'Alice');
    const [hostCode, aliceCode] = [await securityCode(host), await securityCode(alice)];
    assert.equal(hostCode, aliceCode);
    await until('network quality', async () => (await host.getAttribute('#net-quality', 'data-quality')) !== '0');
    // Active speaker: alice's fake microphone tone rings her tile; the speaker view shows one tile large.
    await visible(host, '.tile[data-key="alice:main"].speaking');
    await host.click('#toggle-layout');
    await visible(host, '#focus .tile[data-key="alice:main"]');
    await host.click('#toggle-layout');
    await visible(host, '#grid .tile[data-key="alice:main"]');
    // A screen share takes the large tile on the other side, and goes away when it stops.
    await host.click('#toggle-share');
    await visible(alice, '#focus .tile[data-key="host:sub"].has-video');
    await host.click('#toggle-share');
    await alice.locator('.tile[data-key="host:sub"]').waitFor({ state: 'detached', timeout: TIMEOUT });

    // Mute all: alice's microphone is turned off by the server; unmuting is refused while the ban holds.
    await host.click('#toggle-people');
    await visible(host, '#people-list li[data-user-id="alice"] .act-mute');
    await host.click('#mute-all');
    await visible(alice, '#toggle-mic.off');
    await visible(host, '.tile[data-key="alice:main"].mic-muted');
    await alice.click('#toggle-mic');
    await visible(alice, '.toast.error:has-text("MEDIA_DISABLED_BY_HOST")');
    await host.click('#mute-all'); // allow unmuting again
    await until('ban lifted', async () => (await host.getAttribute('#mute-all', 'aria-pressed')) === 'false');

    // Chat: alice's message arrives in the host's page (unread badge, then the panel).
    await alice.click('#toggle-chat');
    await alice.fill('#chat-input', 'hello from alice');
    await alice.press('#chat-input', 'Enter');
    await visible(alice, '#chat-list .message.mine:has-text("hello from alice")');
    await visible(host, '#chat-unread');
    await host.click('#toggle-chat');
    await visible(host, '#chat-list .message:has-text("hello from alice"):has-text("Alice")');
    await shot(host, 'host-chat');

    // The signaling connection drops: the reconnecting banner shows until the SDK has resumed the session.
    link.cut();
    await visible(alice, '#reconnect-banner[data-state="RECONNECTING"]');
    link.restore();
    await alice.locator('#reconnect-banner').waitFor({ state: 'hidden', timeout: TIMEOUT });
    assert.equal(await alice.textContent('#connection-badge'), 'Connected');

    // On-stage mode: alice raises her hand; the host sees it in the list and brings her on stage.
    await host.click('#toggle-people');
    await host.click('#stage-mode');
    await visible(alice, '#raise-hand');
    await alice.click('#raise-hand');
    await visible(host, '#people-list li[data-user-id="alice"] .tag.hand');
    await host.click('#people-list li[data-user-id="alice"] .act-stage');
    await visible(host, '#people-list li[data-user-id="alice"] .tag.seat');
    await shot(host, 'host-people');
    await shot(alice, 'alice-on-stage');
    await visible(alice, '.toast:has-text("You are on stage")');
    await until('alice may unmute on stage', () => alice.isEnabled('#toggle-mic'));

    // Kick (two clicks: Remove, Confirm): alice is back on the join screen and her tile is gone.
    await host.click('#people-list li[data-user-id="alice"] .act-kick');
    await host.click('#people-list li[data-user-id="alice"] .act-kick');
    await host.locator('.tile[data-key="alice:main"]').waitFor({ state: 'detached', timeout: TIMEOUT });
    await visible(alice, '#join-screen');
    await visible(alice, '.toast:has-text("Removed from the room")');
    await host.locator('#people-list li[data-user-id="alice"]').waitFor({ state: 'detached', timeout: TIMEOUT });

    // Lock: alice cannot come back while the room is locked, and is told why.
    await host.click('#lock-room');
    await until('room locked', async () => (await host.getAttribute('#lock-room', 'aria-pressed')) === 'true');
    await alice.click('#join-button');
    await visible(alice, '#join-error:has-text("locked this room")');

    for (const page of [host, alice]) assert.deepEqual((page as Page & { demoErrors: string[] }).demoErrors, []);
  });
});
