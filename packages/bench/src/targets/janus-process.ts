/**
 * Starts Janus (Debian's `janus` 1.1.x) on loopback for the comparison: a temporary configuration with only
 * the HTTP transport (127.0.0.1) and the videoroom plugin, ICE gathering restricted to `lo`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const LIB_DIR = '/usr/lib/x86_64-linux-gnu/janus';

export interface JanusProcess {
  child: ChildProcess;
  url: string;
  close(): Promise<void>;
}

export async function startJanus(ports: { min: number; max: number }): Promise<JanusProcess> {
  if (!fs.existsSync('/usr/bin/janus')) throw new Error('Janus is not installed (apt-get install -y janus)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-bench-janus-'));
  const httpPort = await freePort();
  const otherPlugins = fs
    .readdirSync(path.join(LIB_DIR, 'plugins'))
    .filter((f) => /\.so$/.test(f) && f !== 'libjanus_videoroom.so');
  const otherTransports = fs
    .readdirSync(path.join(LIB_DIR, 'transports'))
    .filter((f) => /\.so$/.test(f) && f !== 'libjanus_http.so');
  fs.writeFileSync(
    path.join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${LIB_DIR}/plugins"
  transports_folder = "${LIB_DIR}/transports"
  events_folder = "${LIB_DIR}/events"
  loggers_folder = "${LIB_DIR}/loggers"
  debug_level = ${process.env.CONCLAVE_BENCH_JANUS_DEBUG ?? 3}
  session_timeout = 120
  server_name = "conclave-bench"
}
media: {
  rtp_port_range = "${ports.min}-${ports.max}"
}
nat: {
  ice_enforce_list = "lo"
  full_trickle = false
}
plugins: { disable = "${otherPlugins.join(',')}" }
transports: { disable = "${otherTransports.join(',')}" }
events: { broadcast = false }
loggers: { disable = "libjanus_jsonlog.so" }
`,
  );
  fs.writeFileSync(
    path.join(dir, 'janus.transport.http.jcfg'),
    `general: { json = "compact", base_path = "/janus", http = true, port = ${httpPort}, ip = "127.0.0.1", https = false }
admin: { admin_http = false }
`,
  );
  fs.writeFileSync(path.join(dir, 'janus.plugin.videoroom.jcfg'), 'general: { }\n');
  const log = fs.openSync(path.join(dir, 'janus.log'), 'w');
  const child = spawn('janus', ['-C', path.join(dir, 'janus.jcfg'), '-F', dir], { stdio: ['ignore', log, log] });
  const url = `http://127.0.0.1:${httpPort}/janus`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${url}/info`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`Janus did not start: ${fs.readFileSync(path.join(dir, 'janus.log'), 'utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      fs.closeSync(log);
      if (!process.env.CONCLAVE_BENCH_KEEP_JANUS_LOG) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
