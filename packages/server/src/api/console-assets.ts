/**
 * The operator console at `/console/`: `index.html` for `/console` and `/console/` (no-cache, so a new build is
 * picked up at once) and the content-hashed `app-<hash>.js` / `app-<hash>.css` built by `npm run build:console`
 * into `packages/console/dist/` (cached as immutable). Only names of that exact shape are looked up, and only
 * among the files the build wrote (manifest.json): nothing from the URL reaches the file system as a path.
 *
 * The page gets its own strict CSP: scripts, styles, fetches only from this origin; images from this origin or
 * data: URLs (the TOTP QR code); no inline script or style, no framing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_NAME = /^app-[0-9a-f]{16}\.(js|css)$/;
const CONTENT_TYPES: Record<string, string> = {
  js: 'application/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** Options of {@link registerConsoleAssets}. */
export interface ConsoleAssetsOptions {
  /** The console build output, normally `packages/console/dist`. */
  distDir: string;
}

interface Build {
  mtimeMs: number;
  index: Buffer;
  assets: Map<string, Buffer>;
}

/** Registers `GET /console`, `GET /console/` and `GET /console/:asset`. */
export function registerConsoleAssets(app: FastifyInstance, opts: ConsoleAssetsOptions): void {
  let build: Build | undefined;

  /** The current build (re-read when index.html changes), or undefined when none has been made. */
  async function load(): Promise<Build | undefined> {
    const indexFile = path.join(opts.distDir, 'index.html');
    let mtimeMs: number;
    try {
      mtimeMs = (await fs.stat(indexFile)).mtimeMs;
    } catch {
      build = undefined;
      return undefined;
    }
    if (build?.mtimeMs === mtimeMs) return build;
    try {
      const manifest = JSON.parse(await fs.readFile(path.join(opts.distDir, 'manifest.json'), 'utf8')) as {
        js: string;
        css: string;
      };
      const assets = new Map<string, Buffer>();
      for (const name of [manifest.js, manifest.css]) {
        if (!ASSET_NAME.test(name)) throw new Error(`unexpected asset name ${name}`);
        assets.set(name, await fs.readFile(path.join(opts.distDir, name)));
      }
      build = { mtimeMs, index: await fs.readFile(indexFile), assets };
      return build;
    } catch {
      // A rebuild in progress: answer as not built.
      return undefined;
    }
  }

  const notBuilt = (reply: FastifyReply) =>
    reply
      .status(503)
      .header('cache-control', 'no-store')
      .send({
        error: { code: 'CONSOLE_NOT_BUILT', message: 'The console has not been built; run `npm run build:console`' },
      });

  const page = async (_request: unknown, reply: FastifyReply) => {
    const current = await load();
    if (current === undefined) return notBuilt(reply);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONSOLE_CSP)
      .send(current.index);
  };
  app.get('/console', page);
  app.get('/console/', page);

  app.get<{ Params: { asset: string } }>('/console/:asset', async (request, reply) => {
    const name = request.params.asset;
    const current = ASSET_NAME.test(name) ? await load() : undefined;
    const body = current?.assets.get(name);
    if (body === undefined)
      return reply
        .status(404)
        .header('cache-control', 'no-store')
        .send({ error: { code: 'NOT_FOUND', message: 'no such console asset' } });
    const ext = name.slice(name.lastIndexOf('.') + 1);
    return reply
      .header('content-type', CONTENT_TYPES[ext] as string)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(body);
  });
}
