// Bundles the operator console (packages/console/src/main.ts, its CSS and uPlot's) into packages/console/dist:
//   index.html         names the content-hashed assets (served with no-cache, so a new build is picked up at once)
//   app-<hash>.js      ES module, minified
//   app-<hash>.css     the console's CSS and uPlot's
// The server serves them at /console/ (packages/server/src/api/console-assets.ts) under a CSP that allows only
// same-origin scripts and styles: no inline script or style in the page.
//   node scripts/build-console.mjs
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'packages/console/src');
const outdir = path.join(root, 'packages/console/dist');

const result = await esbuild.build({
  entryPoints: { app: path.join(src, 'main.ts') },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15', 'edge100'],
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
  outdir,
});

fs.rmSync(outdir, { recursive: true, force: true });
fs.mkdirSync(outdir, { recursive: true });
const names = {};
for (const file of result.outputFiles) {
  const ext = path.extname(file.path);
  const hash = crypto.createHash('sha256').update(file.contents).digest('hex').slice(0, 16);
  const name = `app-${hash}${ext}`;
  fs.writeFileSync(path.join(outdir, name), file.contents);
  names[ext] = name;
  console.log(`packages/console/dist/${name}  ${(file.contents.length / 1024).toFixed(1)} KiB`);
}
if (!names['.js'] || !names['.css']) throw new Error('the console build produced no app.js or app.css');
const html = fs
  .readFileSync(path.join(src, 'index.html'), 'utf8')
  .replace('__APP_JS__', names['.js'])
  .replace('__APP_CSS__', names['.css']);
fs.writeFileSync(path.join(outdir, 'index.html'), html);
fs.writeFileSync(path.join(outdir, 'manifest.json'), JSON.stringify({ js: names['.js'], css: names['.css'] }) + '\n');
