// A network namespace with a veth link to the host, for the storage bench's
// HTTP object store. Bandwidth is shaped with `tc qdisc ... tbf` on the
// namespace's end of the link, i.e. on the server's sending side, which is the
// direction that carries the files. The addresses exist only on this link,
// inside this machine.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { onCleanup } from './cleanup.mjs';

const PREFIX = 'dfbench';

function sh(cmd, args, { allowFail = false } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r;
}

/** Whether namespaces can be made here, and if not why. */
export function netnsSupport() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, why: 'not running as root (ip netns and tc need root)' };
  for (const tool of ['ip', 'tc']) {
    if (spawnSync(tool, ['-V']).error) return { ok: false, why: `${tool} is missing (Debian package iproute2)` };
  }
  return { ok: true };
}

/** Whether the network interface `name` exists in this namespace. */
function linkExists(name) {
  return spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
}

/** Namespaces left by a bench that was killed with SIGKILL: their owner's pid is gone. */
export function removeStaleNamespaces() {
  const r = sh('ip', ['netns', 'list'], { allowFail: true });
  for (const line of r.stdout.split('\n')) {
    const m = new RegExp(`^(${PREFIX}-(\\d+))\\b`).exec(line);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      alive = false;
    }
    if (!alive) {
      sh('ip', ['link', 'del', `${m[1].replace(PREFIX, 'dfh')}`], { allowFail: true });
      sh('ip', ['netns', 'del', m[1]], { allowFail: true });
    }
  }
}

/**
 * Creates the namespace `dfbench-<pid>`, a veth pair, and addresses on it.
 * Everything is removed by `destroy()` or by the bench's cleanup on any exit.
 *
 * @example
 *   const ns = createNetns();
 *   ns.shape(1e9);                      // 1 Gbit/s, server to client
 *   const server = await ns.startFileServer(dir, 20);
 */
export function createNetns() {
  removeStaleNamespaces();
  const name = `${PREFIX}-${process.pid}`;
  const hostIf = `dfh-${process.pid}`.slice(0, 15);
  const nsIf = `dfn-${process.pid}`.slice(0, 15);
  // A /30 of its own per bench process, so two benches never share a link.
  const subnet = `10.213.${process.pid % 250}`;
  const hostIp = `${subnet}.1`;
  const nsIp = `${subnet}.2`;
  const children = [];
  const destroy = onCleanup(`network namespace ${name}`, () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    spawnSync('ip', ['link', 'del', hostIf]);
    spawnSync('ip', ['netns', 'del', name]);
    // When the first delete does not take (a fresh-clone CI run once found the veth still
    // there right after exit), the kernel removes the pair with the namespace, but
    // asynchronously: delete again and wait, up to 2 s, so nothing is left when we return.
    for (let i = 0; i < 20 && linkExists(hostIf); i++) {
      spawnSync('ip', ['link', 'del', hostIf]);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  });
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
  sh('ip', ['link', 'set', nsIf, 'netns', name]);
  sh('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
  sh('ip', ['link', 'set', hostIf, 'up']);
  sh('ip', ['-n', name, 'addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
  sh('ip', ['-n', name, 'link', 'set', nsIf, 'up']);
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    nsIp,
    /**
     * Shapes server-to-client traffic to `bitsPerSecond`. The bucket holds a few
     * milliseconds of traffic (at least 64 KiB), so bursts stay near the rate.
     */
    shape(bitsPerSecond) {
      const burst = Math.max(64 * 1024, Math.round((bitsPerSecond / 8) * 0.004));
      sh('ip', ['netns', 'exec', name, 'tc', 'qdisc', 'replace', 'dev', nsIf, 'root', 'tbf', 'rate', `${Math.round(bitsPerSecond)}bit`, 'burst', String(burst), 'latency', '100ms']);
      return sh('ip', ['netns', 'exec', name, 'tc', 'qdisc', 'show', 'dev', nsIf]).stdout.trim();
    },
    /** Starts file-server.mjs inside the namespace; resolves with its base URL and a latency setter. */
    async startFileServer(root, latencyMs) {
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, new URL('./file-server.mjs', import.meta.url).pathname, '--root', root, '--host', nsIp, '--port', '8080', '--latency-ms', String(latencyMs)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      const port = await new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`file server exited (${code}) before listening`)));
        createInterface({ input: child.stdout }).once('line', (l) => resolve(Number(/listening (\d+)/.exec(l)?.[1])));
      });
      const base = `http://${nsIp}:${port}/`;
      return {
        base,
        // `ip netns exec` execs the server in place: this is the server's own process.
        pid: child.pid,
        async setLatency(ms) {
          // A fresh connection each time: a kept-alive one may have been closed by the server meanwhile.
          const res = await fetch(`${base}__latency/${ms}`, { method: 'PUT', headers: { connection: 'close' } });
          if (!res.ok) throw new Error(`file server: cannot set latency (${res.status})`);
          await res.text();
        },
      };
    },
    destroy,
  };
}
