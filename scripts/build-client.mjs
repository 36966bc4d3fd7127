// Bundles the browser SDK (packages/client/src/index.ts) for the server's /sdk route:
//   dist/trtc.esm.js  — ES module, `import TRTC from '/sdk/trtc.esm.js'`
//   dist/trtc.js      — script tag, sets `window.TRTC`
// Both minified with source maps, for browsers from Chrome 100 / Firefox 100 / Safari 15.
//   node scripts/build-client.mjs
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const entry = path.join(root, 'packages/client/src/index.ts');
const outdir = path.join(root, 'packages/client/dist');

const common = {
  entryPoints: [entry],
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15', 'edge100'],
  legalComments: 'linked',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
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

for (const result of results) {
  for (const [file, info] of Object.entries(result.metafile.outputs)) {
    if (file.endsWith('.js')) console.log(`${path.relative(root, file)}  ${(info.bytes / 1024).toFixed(1)} KiB`);
  }
}
