/**
 * The demo page at `/`: a small conference app in plain HTML/CSS and JavaScript modules from
 * `packages/server/public/demo/` (no build step) on top of the browser SDK at `/sdk/trtc.js`. `GET /demo/config.json` tells the page whether the server runs in dev mode
 * (then the page fetches UserSigs from `POST /dev/usersig`); it never carries a key.
 *
 * The files are a fixed list read once at start-up. Every response carries a strict Content-Security-Policy:
 * scripts and styles only from this origin, no inline code, network only back to this origin (HTTP and WS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Options of {@link registerDemo}. */
export interface DemoOptions {
  /** Dev mode: the page signs in through `POST /dev/usersig` and shows a dev-only banner. */
  dev: boolean;
  /** Prefills the page's SDKAppID field outside dev mode (in dev mode `/dev/usersig` supplies it). */
  sdkAppId?: number;
  /** Where the page's files live; defaults to `packages/server/public/demo`. */
  publicDir?: string;
}

const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../../public/demo', import.meta.url));

/** The page's JavaScript modules (`demo.js` imports the others), one per panel. */
export const DEMO_MODULES = [
  'demo.js',
  'dom.js',
  'state.js',
  'prejoin.js',
  'call.js',
  'controls.js',
  'tiles.js',
  'people.js',
  'chat.js',
  'status.js',
] as const;

/** URL path → file name and content type. Nothing outside this list is served. */
const DEMO_FILES: Record<string, { file: string; contentType: string }> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/demo/demo.css': { file: 'demo.css', contentType: 'text/css; charset=utf-8' },
  '/demo/favicon.svg': { file: 'favicon.svg', contentType: 'image/svg+xml' },
  ...Object.fromEntries(
    DEMO_MODULES.map((file) => [`/demo/${file}`, { file, contentType: 'application/javascript; charset=utf-8' }]),
  ),
};

/** A Host header we are willing to echo into the CSP (anything odd falls back to `'self'` alone). */
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The page's CSP. `'self'` covers same-origin ws:/wss: in CSP Level 3 browsers; the explicit `ws(s)://host`
 * keeps older ones working. `blob:` is for SDK workers and media elements; `mediastream:` for local previews.
 */
export function demoContentSecurityPolicy(host: string | undefined): string {
  const sockets = host !== undefined && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply
    .header('content-security-policy', demoContentSecurityPolicy(request.headers.host))
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('permissions-policy', 'camera=(self), microphone=(self), display-capture=(self)');
}

/** Registers `GET /`, the page's static files and `GET /demo/config.json`. */
export function registerDemo(app: FastifyInstance, opts: DemoOptions): void {
  const dir = opts.publicDir ?? DEFAULT_PUBLIC_DIR;
  for (const [route, { file, contentType }] of Object.entries(DEMO_FILES)) {
    const body = fs.readFileSync(path.join(dir, file));
    app.get(route, async (request, reply) => {
      setSecurityHeaders(request, reply);
      return reply.header('content-type', contentType).header('cache-control', 'no-cache').send(body);
    });
  }

  const config = JSON.stringify({ dev: opts.dev, sdkAppId: opts.sdkAppId ?? null });
  app.get('/demo/config.json', async (request, reply) => {
    setSecurityHeaders(request, reply);
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(config);
  });
}
