/**
 * `GET /sdk/trtc.js` (script-tag build, sets `window.TRTC`), `GET /sdk/trtc.esm.js` and their source maps:
 * the browser SDK built by `npm run build:client` into `packages/client/dist/`.
 *
 * Only the fixed names below are served (no path from the URL ever reaches the file system). Files are read
 * on first request and kept in memory; a cheap `stat` per request picks up a rebuild without a restart. The
 * paths are stable (not content-hashed), so responses revalidate by ETag instead of being cached blindly.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The files under `/sdk/`; `required` ones answer 503 SDK_NOT_BUILT when missing, the others 404. */
const SDK_FILES: Record<string, { contentType: string; required: boolean }> = {
  'trtc.js': { contentType: 'application/javascript; charset=utf-8', required: true },
  'trtc.esm.js': { contentType: 'application/javascript; charset=utf-8', required: true },
  'trtc.js.map': { contentType: 'application/json; charset=utf-8', required: false },
  'trtc.esm.js.map': { contentType: 'application/json; charset=utf-8', required: false },
};

/** Options of {@link registerSdkAssets}. */
export interface SdkAssetsOptions {
  /** The SDK build output, normally `packages/client/dist`. */
  distDir: string;
}

interface CachedFile {
  body: Buffer;
  etag: string;
  mtimeMs: number;
  size: number;
}

/** Registers `GET /sdk/<name>` for each SDK bundle file. */
export function registerSdkAssets(app: FastifyInstance, opts: SdkAssetsOptions): void {
  const cache = new Map<string, CachedFile>();

  /** The file's current content, or undefined when it does not exist (yet). */
  async function load(name: string): Promise<CachedFile | undefined> {
    const file = path.join(opts.distDir, name);
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      cache.delete(name);
      return undefined;
    }
    const cached = cache.get(name);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached;
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      // Removed between stat and read (a rebuild in progress): same answer as missing.
      return undefined;
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const fresh: CachedFile = { body, etag, mtimeMs: stat.mtimeMs, size: stat.size };
    cache.set(name, fresh);
    return fresh;
  }

  for (const [name, { contentType, required }] of Object.entries(SDK_FILES)) {
    app.get(`/sdk/${name}`, async (request: FastifyRequest, reply: FastifyReply) => {
      const file = await load(name);
      if (!file) {
        reply.header('cache-control', 'no-store');
        if (required) {
          return reply.status(503).send({
            error: {
              code: 'SDK_NOT_BUILT',
              message: `The browser SDK bundle ${name} has not been built; run \`npm run build:client\``,
            },
          });
        }
        return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `${name} has not been built` } });
      }
      reply
        .header('content-type', contentType)
        .header('cache-control', 'public, no-cache')
        .header('etag', file.etag)
        .header('x-content-type-options', 'nosniff')
        // The SDK is public code meant to be loaded by apps on other origins (ESM imports need CORS).
        .header('access-control-allow-origin', '*')
        .header('cross-origin-resource-policy', 'cross-origin');
      if (matchesEtag(request.headers['if-none-match'], file.etag)) return reply.status(304).send();
      return reply.send(file.body);
    });
  }
}

/** `If-None-Match` may list several (possibly weak) validators. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
