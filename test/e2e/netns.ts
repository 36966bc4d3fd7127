/**
 * A client network behind NAT, built from two Linux network namespaces (needs root, `ip` and `iptables`):
 *
 *   client ns 10.77.1.2 ── 10.77.1.1 nat ns 10.77.2.2 ── 10.77.2.1 host (SFU, coturn, signaling)
 *
 * The nat namespace forwards and MASQUERADEs, so the host sees every client packet from 10.77.2.2 and
 * nothing on the host can reach the client unasked. `firewall()` sets what the NAT lets out. Everything is
 * removed by `close()` (deleting the namespaces deletes their veth pairs); leftovers of a crashed run with
 * the same names are removed first.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface NatNetwork {
  /** The client namespace's name, for `ip netns exec`. */
  clientNs: string;
  /** An executable that runs Chromium inside the client namespace (for playwright's executablePath). */
  chromiumWrapper: string;
  /** Replaces the NAT's forwarding rules: established flows pass, then `allow` (iptables rule specs), then DROP. */
  firewall(allow: string[][]): void;
  close(): void;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why the NAT test cannot run here, or undefined when it can. */
export function natUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'iptables']) {
    try {
      run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is missing (scripts/setup.sh --test installs iptables)`;
    }
  }
  return undefined;
}

export function createNatNetwork(chromium: string): NatNetwork {
  const tag = String(process.pid % 100000);
  const clientNs = `cncl-cli-${tag}`;
  const natNs = `cncl-nat-${tag}`;
  const inNat = (...args: string[]) => run('ip', ['netns', 'exec', natNs, ...args]);
  const inClient = (...args: string[]) => run('ip', ['netns', 'exec', clientNs, ...args]);
  const remove = () => {
    for (const ns of [clientNs, natNs]) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // not there
      }
    }
    try {
      run('ip', ['link', 'del', `rn${tag}`]);
    } catch {
      // gone with its namespace peer
    }
  };
  remove();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-netns-'));
  try {
    run('ip', ['netns', 'add', clientNs]);
    run('ip', ['netns', 'add', natNs]);
    // client <-> nat
    run('ip', [
      'link',
      'add',
      `cc${tag}`,
      'netns',
      clientNs,
      'type',
      'veth',
      'peer',
      'name',
      `cn${tag}`,
      'netns',
      natNs,
    ]);
    // nat <-> host
    run('ip', ['link', 'add', `rn${tag}`, 'type', 'veth', 'peer', 'name', `nr${tag}`, 'netns', natNs]);
    run('ip', ['addr', 'add', '10.77.2.1/24', 'dev', `rn${tag}`]);
    run('ip', ['link', 'set', `rn${tag}`, 'up']);
    inNat('ip', 'link', 'set', 'lo', 'up');
    inNat('ip', 'addr', 'add', '10.77.1.1/24', 'dev', `cn${tag}`);
    inNat('ip', 'addr', 'add', '10.77.2.2/24', 'dev', `nr${tag}`);
    inNat('ip', 'link', 'set', `cn${tag}`, 'up');
    inNat('ip', 'link', 'set', `nr${tag}`, 'up');
    inNat('ip', 'route', 'add', 'default', 'via', '10.77.2.1');
    inNat('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    inNat('iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', `nr${tag}`, '-j', 'MASQUERADE');
    inClient('ip', 'link', 'set', 'lo', 'up');
    inClient('ip', 'addr', 'add', '10.77.1.2/24', 'dev', `cc${tag}`);
    inClient('ip', 'link', 'set', `cc${tag}`, 'up');
    inClient('ip', 'route', 'add', 'default', 'via', '10.77.1.1');
  } catch (err) {
    remove();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const chromiumWrapper = path.join(dir, 'chromium-in-netns');
  fs.writeFileSync(chromiumWrapper, `#!/bin/sh\nexec ip netns exec ${clientNs} ${chromium} "$@"\n`, { mode: 0o755 });
  return {
    clientNs,
    chromiumWrapper,
    firewall(allow) {
      inNat('iptables', '-F', 'FORWARD');
      inNat('iptables', '-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
      for (const rule of allow) inNat('iptables', '-A', 'FORWARD', '-i', `cn${tag}`, ...rule, '-j', 'ACCEPT');
      inNat('iptables', '-A', 'FORWARD', '-j', 'DROP');
      // Flows admitted under the previous rules must not outlive them.
      try {
        inNat('conntrack', '-F');
      } catch {
        // conntrack tool absent: the namespace is fresh per test run, rules change only between calls
      }
    },
    close() {
      remove();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
