/**
 * Browser-test harness: one Conclave server in process (dev mode, temp data dir, one media worker), one
 * headless Chromium (Debian's /usr/bin/chromium through playwright-core, flags from testing.md), and pages
 * that load the freshly built SDK. Pages are served by Playwright request interception on the server's own
 * origin (`<server>/e2e/test.html` and `/e2e/trtc.js`), so the SDK reaches `/signal` same-origin without
 * depending on the server's static routes.
 *
 * In each page `window.t` is a TRTC instance and `window.log` records every SDK event; a wrapper around
 * RTCPeerConnection keeps every connection in `window.pcs` so tests can read real `getStats()`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../packages/server/src/testing/test-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CONCLAVE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  // Pages fulfilled by interception count as "public" for Local Network Access, which would then block
  // their same-origin WebSocket to 127.0.0.1 (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS).
  '--disable-features=WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks',
  '--autoplay-policy=no-user-gesture-required',
];

const testPage = (createOptions: Record<string, unknown> = {}) => `<!doctype html>
<html><head><meta charset="utf-8"><title>conclave e2e</title></head>
<body>
<div id="local" style="width:320px;height:240px"></div>
<div id="remote" style="width:320px;height:240px"></div>
<script src="/e2e/trtc.js"></script>
<script>
  window.log = [];
  window.t = TRTC.create(${JSON.stringify(createOptions)});
  for (const name of Object.values(TRTC.EVENT)) {
    window.t.on(name, (payload) => {
      const entry = { name, at: Date.now() };
      if (payload instanceof Error) entry.payload = { code: payload.code, serverCode: payload.serverCode, message: payload.message };
      else if (payload && payload.data instanceof ArrayBuffer)
        entry.payload = { ...payload, data: Array.from(new Uint8Array(payload.data)) };
      else if (payload && typeof payload === 'object' && !('device' in payload)) entry.payload = payload;
      window.log.push(entry);
    });
  }
  /** Runs an SDK call and returns {ok} or the RtcError's fields (page.evaluate cannot carry Errors). */
  window.call = async (fn) => {
    try {
      return { ok: true, value: await fn(window.t) };
    } catch (e) {
      return { ok: false, code: e.code, serverCode: e.serverCode, message: e.message, functionName: e.functionName };
    }
  };
</script>
</body></html>`;

// Keeps every RTCPeerConnection so tests can read getStats() from outside the SDK.
// \`__name\` is what tsx's keepNames inserts into functions that tests send to the page.
const INIT_SCRIPT = `(() => {
  window.__name = (f) => f;
  const Native = window.RTCPeerConnection;
  window.pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Native);
})();`;

/** The part of a page's RTCPeerConnection the harness reads (the Node typecheck has no DOM types). */
interface PagePeerConnection {
  connectionState: string;
  getStats(): Promise<{ forEach(fn: (entry: Record<string, unknown>) => void): void }>;
}

/** The result of an SDK call made in a page. */
export type CallResult<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; code: number; serverCode?: string; message: string; functionName: string };

/** One recorded SDK event. */
export interface LoggedEvent {
  name: string;
  at: number;
  payload?: Record<string, unknown>;
}

/** An inbound-rtp or outbound-rtp entry, trimmed to what tests read. */
export interface RtpStats {
  type: string;
  kind: string;
  framesDecoded?: number;
  packetsReceived?: number;
  frameWidth?: number;
  frameHeight?: number;
  bytesReceived?: number;
  trackIdentifier?: string;
  /** PLIs received (outbound-rtp: from the SFU) or sent (inbound-rtp: to the SFU). */
  pliCount?: number;
  firCount?: number;
  framesEncoded?: number;
}

/** A page with the SDK loaded. */
export class ClientPage {
  constructor(
    readonly name: string,
    readonly page: Page,
    readonly context: BrowserContext,
  ) {}

  /** Runs `fn(trtc)` in the page; `arg` is passed through JSON. */
  call<T = unknown, A = unknown>(fn: (trtc: unknown, arg: A) => Promise<T> | T, arg?: A): Promise<CallResult<T>> {
    return this.page.evaluate(
      ([src, a]) => {
        const w = globalThis as unknown as { call: (f: (t: unknown) => unknown) => Promise<unknown> };
        const f = new Function('t', 'arg', `return (${src})(t, arg);`) as (t: unknown, arg: unknown) => unknown;
        return w.call((t) => f(t, a));
      },
      [fn.toString(), arg] as const,
    ) as Promise<CallResult<T>>;
  }

  /** Calls `trtc[method](...args)` in the page. */
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<CallResult<T>> {
    return this.page.evaluate(
      ([m, a]) => {
        const w = globalThis as unknown as {
          call: (f: (t: Record<string, (...x: unknown[]) => unknown>) => unknown) => Promise<unknown>;
        };
        return w.call((t) => t[m]!(...a));
      },
      [method, args] as const,
    ) as Promise<CallResult<T>>;
  }

  /** Events recorded so far, optionally of one name. */
  async events(name?: string): Promise<LoggedEvent[]> {
    const all = (await this.page.evaluate(
      () => (globalThis as unknown as { log: LoggedEvent[] }).log,
    )) as LoggedEvent[];
    return name ? all.filter((e) => e.name === name) : all;
  }

  /** Waits until an event matching `predicate` was recorded; fails with the events seen after `timeoutMs`. */
  async waitForEvent(
    name: string,
    predicate: (payload: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<LoggedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.events(name)).find((e) => predicate(e.payload ?? {}));
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = (await this.events()).map((e) => `${e.name} ${JSON.stringify(e.payload ?? {})}`).slice(-30);
        throw new Error(
          `${this.name}: no "${name}" event within ${timeoutMs} ms; recent events:\n  ${seen.join('\n  ')}`,
        );
      }
      await sleep(100);
    }
  }

  /** inbound-rtp/outbound-rtp stats of every peer connection of the page. */
  rtpStats(): Promise<RtpStats[]> {
    return this.page.evaluate(async () => {
      const out: RtpStats[] = [];
      for (const pc of (globalThis as unknown as { pcs: PagePeerConnection[] }).pcs) {
        if (pc.connectionState === 'closed') continue;
        const report = await pc.getStats();
        report.forEach((s) => {
          if (s['type'] === 'inbound-rtp' || s['type'] === 'outbound-rtp') {
            out.push({
              type: s['type'] as string,
              kind: s['kind'] as string,
              framesDecoded: s['framesDecoded'] as number | undefined,
              packetsReceived: s['packetsReceived'] as number | undefined,
              frameWidth: s['frameWidth'] as number | undefined,
              frameHeight: s['frameHeight'] as number | undefined,
              bytesReceived: s['bytesReceived'] as number | undefined,
              trackIdentifier: s['trackIdentifier'] as string | undefined,
              pliCount: s['pliCount'] as number | undefined,
              firCount: s['firCount'] as number | undefined,
              framesEncoded: s['framesEncoded'] as number | undefined,
            });
          }
        });
      }
      return out;
    });
  }

  /** Polls the page's stats until `check` passes; returns the stats that passed. */
  async waitForStats(
    description: string,
    check: (stats: RtpStats[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<RtpStats[]> {
    const deadline = Date.now() + timeoutMs;
    let last: RtpStats[] = [];
    while (Date.now() < deadline) {
      last = await this.rtpStats();
      if (check(last)) return last;
      await sleep(250);
    }
    throw new Error(
      `${this.name}: ${description} not reached within ${timeoutMs} ms; last stats: ${JSON.stringify(last)}`,
    );
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }
}

/** The server, the browser and a way to open SDK pages. */
export interface E2E {
  test: TestServer;
  /** The dev app's SdkAppId. */
  sdkAppId: number;
  browser: Browser;
  /** A new isolated page with the SDK loaded; `createOptions` go to its `TRTC.create()`. */
  newPage(name: string, options?: { createOptions?: Record<string, unknown> }): Promise<ClientPage>;
  /** A UserSig of the dev app. */
  userSig(userId: string, options?: Parameters<TestServer['userSig']>[1]): string;
  close(): Promise<void>;
}

/** Builds the SDK bundle the pages load (fails loudly when the build does). */
function buildSdk(): string {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-client.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`SDK build failed:\n${result.stdout}\n${result.stderr}`);
  return fs.readFileSync(path.join(ROOT, 'packages/client/dist/trtc.js'), 'utf8');
}

/** Chromium and a way to open SDK pages on one server's origin. */
export interface Pages {
  browser: Browser;
  /** A new isolated page with the SDK loaded; `createOptions` go to its `TRTC.create()`. */
  newPage(name: string, options?: { createOptions?: Record<string, unknown> }): Promise<ClientPage>;
  close(): Promise<void>;
}

/** Options of the browser the pages run in. */
export interface BrowserOptions {
  /** Runs Chromium through this executable instead (e.g. a wrapper that enters a network namespace). */
  executablePath?: string;
  /** Pages trust the server's self-signed dev certificate (a server bound beyond loopback speaks HTTPS). */
  ignoreHTTPSErrors?: boolean;
}

/** Starts Chromium for pages served on `origin` (a Conclave server's URL, e.g. one node of a cluster). */
export async function launchPages(origin: string, options: BrowserOptions = {}): Promise<Pages> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`browser tests need Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  const sdk = buildSdk();
  // launch() gives the browser a fresh temporary user-data-dir of its own and deletes it on close.
  const browser = await chromium.launch({
    executablePath: options.executablePath ?? CHROMIUM,
    // The context option covers page loads; the WebSocket to /signal needs the browser-wide switch.
    args: options.ignoreHTTPSErrors ? [...CHROMIUM_FLAGS, '--ignore-certificate-errors'] : CHROMIUM_FLAGS,
  });
  return {
    browser,
    async newPage(name, pageOptions = {}) {
      const html = testPage(pageOptions.createOptions);
      const context = await browser.newContext({
        permissions: ['camera', 'microphone'],
        ...(options.ignoreHTTPSErrors ? { ignoreHTTPSErrors: true } : {}),
      });
      await context.addInitScript(INIT_SCRIPT);
      await context.route(`${origin}/e2e/**`, (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === '/e2e/test.html') return route.fulfill({ contentType: 'text/html', body: html });
        if (url.pathname === '/e2e/trtc.js') return route.fulfill({ contentType: 'application/javascript', body: sdk });
        return route.fulfill({ status: 404, body: 'not found' });
      });
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`[${name}] page error:`, err.message));
      if (process.env.CONCLAVE_E2E_CONSOLE) page.on('console', (msg) => console.log(`[${name}] ${msg.text()}`));
      await page.goto(`${origin}/e2e/test.html`);
      await page.waitForFunction(() => 't' in globalThis);
      return new ClientPage(name, page, context);
    },
    close: () => browser.close().catch(() => undefined),
  };
}

/** Starts the server (with `overrides` of its configuration) and Chromium; tests must call `close()`. */
export async function startE2E(
  overrides: Parameters<typeof startTestServer>[0] = {},
  options: BrowserOptions = {},
): Promise<E2E> {
  const test = await startTestServer(overrides);
  let pages: Pages;
  try {
    pages = await launchPages(test.server.url, options);
  } catch (err) {
    await test.close();
    throw err;
  }
  return {
    test,
    sdkAppId: test.sdkAppId,
    browser: pages.browser,
    userSig: (userId, options) => test.userSig(userId, options),
    newPage: (name, pageOptions) => pages.newPage(name, pageOptions),
    async close() {
      await pages.close();
      await test.close();
    },
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
