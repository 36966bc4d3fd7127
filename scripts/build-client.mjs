// Bundles the browser SDK (packages/client/src/index.ts) for the server's /sdk route:
//   dist/trtc.esm.js  — ES module, `import TRTC from '/sdk/trtc.esm.js'`
//   dist/trtc.js      — script tag, sets `window.TRTC`
// Both minified with source maps, for browsers from Chrome 100 / Firefox 100 / Safari 15.
//
// The e2ee worker (packages/client/src/e2ee/e2ee-worker.ts) is bundled first and inlined into both as a
// string the SDK starts from a blob URL. Not a separate file: apps load the SDK from the Conclave server's
// origin, and `new Worker(url)` only accepts same-origin scripts; inlined, the worker also never drifts
// from the SDK version that talks to it. Pages need `worker-src blob:` in their CSP.
//   node scripts/build-client.mjs
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const entry = path.join(root, 'packages/client/src/index.ts');
const outdir = path.join(root, 'packages/client/dist');

const target = ['chrome100', 'firefox100', 'safari15', 'edge100'];

const worker = await esbuild.build({
  entryPoints: [path.join(root, 'packages/client/src/e2ee/e2ee-worker.ts')],
  bundle: true,
  minify: true,
  platform: 'browser',
  format: 'iife',
  target,
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
});
const workerSource = worker.outputFiles[0]?.text;
if (!workerSource) throw new Error('the e2ee worker bundle is empty');

const common = {
  entryPoints: [entry],
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'browser',
  target,
  legalComments: 'linked',
  logLevel: 'warning',
  define: {
    'process.env.NODE_ENV': '"production"',
    __CONCLAVE_E2EE_WORKER_SOURCE__: JSON.stringify(workerSource),
  },
};

const results = await Promise.all([
  esbuild.build({ ...common, format: 'esm', outfile: path.join(outdir, 'trtc.esm.js'), metafile: true }),
  esbuild.build({
    ...common,
    format: 'iife',
    globalName: '__ConclaveTRTC',
    // The IIFE's namespace object holds the default export; expose the class itself as window.TRTC.
    footer: { js: 'window.TRTC=__ConclaveTRTC.default;' },
    outfile: path.join(outdir, 'trtc.js'),
    metafile: true,
  }),
]);

console.log(`e2ee worker (inlined)  ${(workerSource.length / 1024).toFixed(1)} KiB`);
for (const result of results) {
  for (const [file, info] of Object.entries(result.metafile.outputs)) {
    if (file.endsWith('.js')) console.log(`${path.relative(root, file)}  ${(info.bytes / 1024).toFixed(1)} KiB`);
  }
}
