// Tries mediasoup's own prebuilt worker for this platform (the same release asset and the same
// "does it run here" check as mediasoup's postinstall). Exits 0 with the binary at argv[2], or 1.
// Where the release download is unreachable (offline machines) it fails fast and setup builds instead.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [msDir, out] = process.argv.slice(2);
if (!msDir || !out) {
  console.error('usage: fetch-prebuilt-worker.mjs <mediasoup-package-dir> <output-binary>');
  process.exit(2);
}
const pkg = JSON.parse(fs.readFileSync(path.join(msDir, 'package.json'), 'utf8'));
const tar = createRequire(path.resolve(msDir, 'package.json'))('tar');

const repo = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const platform = os.platform();
const arch = os.arch();
const kernel = platform === 'linux' ? `-kernel${os.release().split('.')[0]}` : '';
const asset = `mediasoup-worker-${pkg.version}-${platform}-${arch}${kernel}.tgz`;
const url = `${repo}/releases/download/${pkg.version}/${asset}`;

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-prebuilt-'));
  await pipeline(Readable.fromWeb(res.body), tar.extract({ cwd: dir, strict: true }));
  const bin = path.join(dir, 'mediasoup-worker');
  fs.chmodSync(bin, 0o755);
  try {
    // Without MEDIASOUP_VERSION the worker exits 41: proof that it loads on this host.
    execFileSync(bin, [], { stdio: 'ignore', env: {} });
    throw new Error('prebuilt worker did not exit with 41');
  } catch (error) {
    if (error.status !== 41) throw new Error(`prebuilt worker does not run here (status ${error.status})`);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.copyFileSync(bin, out);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`prebuilt worker ${asset} fetched`);
} catch (error) {
  console.log(`prebuilt worker unavailable (${error.message ?? error}); building from source`);
  process.exit(1);
}
