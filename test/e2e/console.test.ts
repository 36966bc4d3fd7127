/**
 * Issue 10's acceptance test: Chromium drives the operator console at `/console/` against a real server.
 * A real call made by two SDK pages leaves quality samples; then an admin (Alice) and a support operator (Sam),
 * each in a browser context of their own, enrol TOTP (the code is computed here from the secret read off the page),
 * Alice creates an app, Sam is refused the calls without a grant, requests one, cannot approve it himself, Alice
 * approves it, Sam reads the call's quality charts, and Alice sees every step in the verified audit viewer.
 * Any CSP violation or page error in a console page fails the test.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { totpCode } from '../../packages/server/src/operators/totp.ts';
import { sleep, startE2E, type ClientPage, type E2E } from './harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'a long console e2e password 42';

let e2e: E2E;
let origin: string;
const problems: string[] = [];
const contexts: BrowserContext[] = [];

/** Builds the console bundle the server serves at /console/ (fails loudly when the build does). */
function buildConsole(): void {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-console.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`console build failed:\n${result.stdout}\n${result.stderr}`);
}

// Records CSP violations as they happen (the console message is a second witness).
const CSP_LISTENER = `(() => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || ''));
  });
})();`;

/** A console page in a fresh browser context (its own cookie jar). */
async function consolePage(name: string): Promise<Page> {
  const context = await e2e.browser.newContext();
  contexts.push(context);
  await context.addInitScript(CSP_LISTENER);
  const page = await context.newPage();
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`[${name}] CSP: ${text}`);
    if (process.env.CONCLAVE_E2E_CONSOLE) console.log(`[${name}] ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`[${name}] page error: ${err.message}`));
  await page.goto(`${origin}/console/`);
  return page;
}

async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { __cspViolations: string[] }).__cspViolations);
}

/** Submits email + password on the sign-in view. */
async function submitPassword(page: Page, email: string): Promise<void> {
  await page.goto(`${origin}/console/#/sign-in`);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#sign-in-submit').click();
}

/** First sign-in: enrolment with the secret read off the page; returns the secret and the code it used. */
async function enrol(
  page: Page,
  email: string,
  options: { wrongCodeFirst?: boolean } = {},
): Promise<{ secret: string; code: string }> {
  await submitPassword(page, email);
  const secret = (await page.locator('#totp-secret').textContent({ timeout: 10_000 }))?.trim() ?? '';
  assert.match(secret, /^[A-Z2-7]{16,}$/, 'the TOTP secret is shown as base32 text');
  assert.ok(await page.locator('#totp-qr').isVisible(), 'the QR code is shown');
  if (options.wrongCodeFirst) {
    const code = totpCode(secret, Date.now());
    const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
    await page.locator('#enrol-code').fill(wrong);
    await page.locator('#enrol-submit').click();
    await page.locator('#enrol-status', { hasText: 'OPERATOR_TOTP_INVALID' }).waitFor({ timeout: 10_000 });
  }
  const code = totpCode(secret, Date.now());
  await page.locator('#enrol-code').fill(code);
  await page.locator('#enrol-submit').click();
  const codes = page.locator('#recovery-codes li');
  await codes.first().waitFor({ timeout: 10_000 });
  assert.equal(await codes.count(), 10, 'ten recovery codes are shown once');
  await page.locator('#recovery-saved').click();
  await signedInAs(page, email);
  return { secret, code };
}

async function signedInAs(page: Page, email: string): Promise<void> {
  await page.locator('#nav .who', { hasText: email }).waitFor({ timeout: 10_000 });
}

/** `fetch` from the page with its cookie; the CSRF token (from the session) only when asked for. */
async function pageFetch(
  page: Page,
  method: string,
  url: string,
  options: { csrf: boolean; body?: unknown },
): Promise<{ status: number; body: { error?: { code: string } } & Record<string, unknown> }> {
  return page.evaluate(
    async ([m, u, o]) => {
      const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
      if (o.csrf) {
        const session = (await (await fetch('/console/api/auth/session')).json()) as { csrfToken: string };
        headers['x-csrf-token'] = session.csrfToken;
      }
      const response = await fetch(u, {
        method: m,
        headers,
        ...(m === 'GET' ? {} : { body: JSON.stringify(o.body ?? {}) }),
      });
      return { status: response.status, body: (await response.json()) as never };
    },
    [method, url, options] as const,
  );
}

before(async () => {
  buildConsole();
  e2e = await startE2E();
  origin = e2e.test.server.url;
});

after(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await e2e?.close();
});

describe('operator console end to end (Chromium)', { timeout: 180_000 }, () => {
  test('enrol 2FA, create an app, grant, quality charts, audit viewer', async () => {
    try {
      await scenario();
    } catch (err) {
      // What the console pages showed when the step failed.
      for (const context of contexts)
        for (const page of context.pages())
          console.log(
            `# page ${page.url()}:\n${(
              await page
                .locator('main')
                .innerText()
                .catch(() => '?')
            ).slice(0, 3000)}`,
          );
      throw err;
    }
  });
});

/** The whole journey, in order; each step needs the ones before it. */
async function scenario(): Promise<void> {
  const started = Date.now();
  const { sdkAppId } = e2e.test;

  // 1. A real call: two SDK pages publish camera + mic and receive each other, then leave.
  const roomId = 8101;
  const sdkPages: ClientPage[] = await Promise.all([e2e.newPage('U1'), e2e.newPage('U2')]);
  for (const [i, page] of sdkPages.entries()) {
    const userId = `user${i + 1}`;
    const entered = await page.call((t, a) => (t as { enterRoom(a: unknown): Promise<void> }).enterRoom(a), {
      sdkAppId,
      userId,
      userSig: e2e.userSig(userId),
      roomId,
    });
    assert.equal(entered.ok, true, `${userId} enterRoom: ${JSON.stringify(entered)}`);
    assert.equal((await page.invoke('startLocalAudio')).ok, true);
    assert.equal((await page.invoke('startLocalVideo', { view: 'local', option: { profile: '480p' } })).ok, true);
  }
  for (const [i, page] of sdkPages.entries()) {
    const other = `user${2 - i}`;
    await page.waitForEvent('remote-video-available', (p) => p['userId'] === other);
    const shown = await page.invoke('startRemoteVideo', { userId: other, streamType: 'main', view: 'remote' });
    assert.equal(shown.ok, true, JSON.stringify(shown));
  }
  for (const page of sdkPages)
    await page.waitForStats('the other user decoded', (stats) =>
      stats.some((x) => x.type === 'inbound-rtp' && x.kind === 'video' && (x.framesDecoded ?? 0) > 0),
    );
  const callStarted = Date.now();

  // 2. Meanwhile: the operators, created through the server's account code (as the CLI does).
  const accounts = e2e.test.server.operators.accounts;
  const aliceRecord = await accounts.create({ email: 'alice@example.test', role: 'admin', password: PASSWORD });
  const samRecord = await accounts.create({ email: 'sam@example.test', role: 'support', password: PASSWORD });
  const alice = await consolePage('Alice');
  const sam = await consolePage('Sam');

  // 3. Sign-in with enrolment; a wrong code shows its code; a replayed code is refused at the second sign-in.
  const { secret: aliceSecret, code: enrolCode } = await enrol(alice, 'alice@example.test', {
    wrongCodeFirst: true,
  });
  await alice.locator('#sign-out').click();
  await alice.locator('#sign-in-form').waitFor();
  await submitPassword(alice, 'alice@example.test');
  await alice.locator('#totp-form').waitFor({ timeout: 10_000 });
  // The password alone opens nothing but the factor steps.
  const pending = await pageFetch(alice, 'GET', '/admin/apps', { csrf: false });
  assert.equal(pending.status, 401);
  assert.equal(pending.body.error?.code, 'OPERATOR_SECOND_FACTOR_REQUIRED');
  await alice.locator('#totp-code').fill(enrolCode);
  await alice.locator('#totp-submit').click();
  // The enrolment used that code's step (still inside the ±1 step window): refused as a replay.
  await alice.locator('#totp-status', { hasText: 'OPERATOR_TOTP_REPLAYED' }).waitFor({ timeout: 10_000 });
  const replayShown = (await alice.locator('#totp-status').textContent()) ?? '';
  await alice.locator('#totp-code').fill(totpCode(aliceSecret, Date.now() + 30_000));
  await alice.locator('#totp-submit').click();
  await signedInAs(alice, 'alice@example.test');
  await enrol(sam, 'sam@example.test');

  // The SDK pages have now been in the call long enough for several quality samples; they leave.
  // The SDK sends one every 2 s; ten seconds of call leave about five per user.
  const callFor = Date.now() - callStarted;
  if (callFor < 10_000) await sleep(10_000 - callFor);
  for (const page of sdkPages) assert.equal((await page.invoke('exitRoom')).ok, true);
  await Promise.all(sdkPages.map((p) => p.close()));

  // 4. Alice creates an app; the key is shown once.
  await alice.goto(`${origin}/console/#/apps`);
  await alice.locator('#app-name').fill('console e2e app');
  await alice.locator('#app-create button[type=submit]').click();
  const secretBox = alice.locator('#app-created [data-testid=secret-once]');
  await secretBox.waitFor({ timeout: 10_000 });
  assert.match((await secretBox.locator('code').textContent()) ?? '', /^[0-9a-f]{32,}$/i);
  await alice.locator('#apps-table tbody tr', { hasText: 'console e2e app' }).waitFor();

  // 5. Sam: refused the calls without a grant; requests one; cannot approve it himself; Alice approves.
  await sam.goto(`${origin}/console/#/calls?app=${sdkAppId}`);
  await sam.locator('#calls-status', { hasText: 'GRANT_REQUIRED' }).waitFor({ timeout: 10_000 });
  await sam.goto(`${origin}/console/#/grants`);
  await sam.locator('#grant-app').fill(String(sdkAppId));
  for (const scope of ['calls', 'quality']) await sam.locator(`#grant-scope-${scope}`).check();
  for (const scope of ['events', 'logs', 'callbacks']) await sam.locator(`#grant-scope-${scope}`).uncheck();
  await sam.locator('#grant-reason').fill('customer ticket 4711: choppy video');
  await sam.locator('#grant-minutes').fill('60');
  await sam.locator('#grant-form button[type=submit]').click();
  await sam.locator('#grants-status', { hasText: 'Requested' }).waitFor({ timeout: 10_000 });
  const pendingRow = sam.locator('#grants-table tbody tr', { hasText: 'pending' });
  await pendingRow.waitFor();
  assert.equal(await pendingRow.locator('button').count(), 0, 'the console offers Sam no approve button');
  const listed = (await pageFetch(sam, 'GET', '/console/api/grants', { csrf: false })).body as unknown as {
    grants: { id: string; status: string; scopes: string[] }[];
  };
  const grant = listed.grants.find((g) => g.status === 'pending');
  assert.ok(grant, `Sam sees his pending grant: ${JSON.stringify(listed)}`);
  assert.deepEqual([...grant.scopes].sort(), ['calls', 'quality']);
  // Support holds no grants.approve: the wrong role is refused before anything else.
  const bySam = await pageFetch(sam, 'POST', `/console/api/grants/${grant.id}/approve`, { csrf: true });
  assert.equal(bySam.status, 403);
  assert.equal(bySam.body.error?.code, 'OPERATOR_FORBIDDEN');
  // An approver cannot approve her own request either (the console offers no button; the server refuses).
  const own = await pageFetch(alice, 'POST', '/console/api/grants', {
    csrf: true,
    body: { sdkAppId, scopes: ['events'], reason: 'my own request', durationMinutes: 5 },
  });
  assert.equal(own.status, 201, JSON.stringify(own.body));
  const ownId = (own.body as unknown as { grant: { id: string } }).grant.id;
  const self = await pageFetch(alice, 'POST', `/console/api/grants/${ownId}/approve`, { csrf: true });
  assert.equal(self.status, 403);
  assert.equal(self.body.error?.code, 'GRANT_SELF_APPROVAL');
  assert.equal((await pageFetch(alice, 'POST', `/console/api/grants/${ownId}/revoke`, { csrf: true })).status, 200);

  await alice.goto(`${origin}/console/#/grants`);
  await alice.locator(`[data-testid="grant-approve-${grant.id}"]`).click();
  await alice
    .locator('#grants-table tbody tr', { hasText: 'customer ticket 4711' })
    .filter({ hasText: 'active' })
    .waitFor({ timeout: 10_000 });

  // 6. Sam opens the call list, the call, and its quality charts.
  await sam.goto(`${origin}/console/#/calls?app=${sdkAppId}`);
  const callRow = sam.locator('#calls-table tbody tr', { hasText: String(roomId) }).filter({ hasText: 'ended' });
  await callRow.waitFor({ timeout: 10_000 });
  const qualityAnswer = sam.waitForResponse((r) => /\/calls\/[^/]+\/quality/.test(r.url()), { timeout: 10_000 });
  await callRow.locator('a').first().click();
  const quality = (await (await qualityAnswer).json()) as {
    series: { userId: string; t: number[]; videoBitrateKbps: (number | null)[] }[];
  };
  await sam.locator('#call-summary', { hasText: `Room ${roomId} · ended` }).waitFor({ timeout: 10_000 });
  assert.equal(await sam.locator('#call-users tbody tr').count(), 2, 'both users of the call are listed');
  assert.deepEqual(
    [...new Set(quality.series.map((s) => s.userId))].sort(),
    ['user1', 'user2'],
    'both users have quality series',
  );
  for (const userId of ['user1', 'user2'])
    assert.ok(
      quality.series.filter((s) => s.userId === userId).some((s) => s.t.length >= 2),
      `${userId} has a series of several points`,
    );
  const points = quality.series.reduce((n, s) => n + s.t.length, 0);
  assert.ok(points > 0, `the quality answer has points: ${JSON.stringify(quality).slice(0, 500)}`);
  assert.ok(
    quality.series.some((s) => s.videoBitrateKbps.some((v) => v !== null && v > 0)),
    'some video bitrate was measured',
  );
  await sam.locator('#call-charts canvas').first().waitFor({ timeout: 10_000 });
  const canvases = await sam.locator('#call-charts figure canvas').count();
  assert.ok(canvases >= 6, `one uPlot canvas per chart (${canvases})`);
  assert.equal((await sam.locator('#call-charts .u-series').count()) > 0, true, 'the charts have series legends');
  assert.equal((await sam.locator('#call-status').textContent()) ?? '', '', 'no error under the call');
  // The grant covers calls and quality, not events: that part of the page says so.
  await sam.locator('#events-status', { hasText: 'GRANT_OUT_OF_SCOPE' }).waitFor({ timeout: 10_000 });

  // 8. CSRF: Sam's cookie without x-csrf-token is refused.
  const noCsrf = await pageFetch(sam, 'POST', '/console/api/grants', {
    csrf: false,
    body: { sdkAppId, scopes: ['calls'], reason: 'no token', durationMinutes: 5 },
  });
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.body.error?.code, 'OPERATOR_CSRF_INVALID');

  // 7. Alice's audit viewer lists every step, and the chain verifies.
  await alice.goto(`${origin}/console/#/audit`);
  await alice.locator('#audit-verify.ok').waitFor({ timeout: 10_000 });
  assert.match((await alice.locator('#audit-verify').textContent()) ?? '', /Chain verified/);
  const rows = await alice
    .locator('#audit-table tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) =>
        Array.from((tr as unknown as { cells: ArrayLike<{ textContent: string | null }> }).cells).map(
          (c) => c.textContent ?? '',
        ),
      ),
    );
  const samId = samRecord.id;
  const find = (action: string, result: string, actor?: string) =>
    rows.find((r) => r[3] === action && r[6] === result && (actor === undefined || (r[2] ?? '').includes(actor)));
  for (const [action, result] of [
    ['operators.sign_in', 'ok'],
    ['grants.request', 'ok'],
    ['call_data.read.calls', 'denied'],
    ['call_data.read.calls', 'ok'],
    ['call_data.read.call', 'ok'],
    ['call_data.read.quality', 'ok'],
  ] as const) {
    assert.ok(
      find(action, result, samId),
      `the audit viewer lists ${action} (${result}) by Sam; rows:\n${rows.map((r) => r.join(' | ')).join('\n')}`,
    );
  }
  const aliceId = aliceRecord.id;
  assert.ok(find('grants.approve', 'ok', aliceId), "the audit viewer lists Alice's approval");
  assert.ok(find('grants.approve', 'denied', aliceId), 'and her refused self-approval');
  assert.equal(find('grants.approve', 'ok', aliceId)?.[5], grant.id, 'the approval names the grant');
  for (const action of ['call_data.read.calls', 'call_data.read.call', 'call_data.read.quality']) {
    const read = find(action, 'ok', samId);
    assert.equal(read?.[4], String(sdkAppId), `${action} names the app`);
    assert.equal(read?.[5], grant.id, `${action} names the grant it was made under`);
  }
  const verified = await e2e.test.server.audit.verify();
  assert.equal(verified.ok, true, JSON.stringify(verified));
  assert.ok(verified.records >= rows.length);

  // Roles: the navigation offers each operator what the role allows, and the server refuses the rest.
  const navOf = (page: Page) =>
    page.locator('#nav a').evaluateAll((as) => as.map((a) => a.getAttribute('data-testid')));
  assert.deepEqual(await navOf(sam), ['nav-apps', 'nav-calls', 'nav-realtime', 'nav-usage', 'nav-grants']);
  assert.ok((await navOf(alice)).includes('nav-audit') && !(await navOf(alice)).includes('nav-operators'));
  await sam.goto(`${origin}/console/#/audit`);
  await sam.locator('[data-view=audit] .error', { hasText: 'OPERATOR_FORBIDDEN' }).first().waitFor({ timeout: 10_000 });

  for (const page of [alice, sam]) assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(problems, [], 'no CSP violation or page error in the console');
  console.log(
    `# console e2e: ${points} quality points, ${canvases} canvases, ${rows.length} audit rows, ` +
      `replay refusal "${replayShown}", ${Date.now() - started} ms`,
  );
}
