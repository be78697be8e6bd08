import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';

t.test('bench: help without a benchmark, usage error for an unknown one', async (t) => {
  const none = runCli(['bench']);
  t.equal(none.status, 2);
  t.match(none.stdout, /Usage: dicomflow bench storage/);
  const bad = runCli(['bench', 'disk']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /unknown benchmark 'disk' \(benchmarks: storage\)/);
});

t.test('bench storage --json on a tiny corpus: the result for each setup, the peer, the files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dfbench-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const r = runCli(['bench', 'storage', '--quick', '--json', '--count', '4', '--repeat', '1', '--setups', 'local-warm,http-1g-20ms', '--no-orthanc', '--corpus', join(dir, 'corpus'), '--results', dir]);
  t.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  const names = result.setups.map((s: { name: string }) => s.name);
  t.same(names, root ? ['local-warm', 'http-1g-20ms'] : ['local-warm'], root ? 'both setups ran' : 'without root the namespace setup is skipped');
  if (!root) t.match(r.stderr, /skipping the network-namespace setups: not running as root/);
  for (const s of result.setups) {
    t.ok(s.framesPerSecond > 0 && s.mbPerSecond > 0, `${s.name}: throughput`);
    t.ok(s.p50Ms >= 0 && s.p99Ms >= s.p50Ms, `${s.name}: latency percentiles`);
    t.ok(['decode', 'page cache', 'network', 'CPU (shared)', 'latency'].includes(s.bindingLimit), `${s.name}: binding limit ${s.bindingLimit}`);
    t.ok(s.acceleratorUtilisation > 0 && s.acceleratorUtilisation <= 1, `${s.name}: utilisation ${s.acceleratorUtilisation}`);
    t.ok(Number.isInteger(s.maxAccelerators) && s.maxAccelerators >= 0);
    t.ok(s.peer.framesPerSecond > 0 && s.oursOverPeer > 0, `${s.name}: the peer ran on the same files`);
    t.equal(s.limits.decodeFramesPerSecond > 0, true);
  }
  t.match(result.peer, { name: /pydicom .* \+ GDCM/ });
  for (const ext of ['json', 'md', 'svg']) t.ok(existsSync(join(dir, `storage.${ext}`)), `storage.${ext} written`);
  t.match(readFileSync(join(dir, 'storage.md'), 'utf8'), /\| SSD warm \|/);
  // A namespace is named for the bench process that made it; one whose process is gone was left behind.
  // (Another test may hold a namespace of its own meanwhile: its process is alive.)
  const left = [...(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '').matchAll(/dfbench-(\d+)/g)].filter((m) => {
    try {
      process.kill(Number(m[1]), 0);
      return false;
    } catch {
      return true;
    }
  });
  t.same(left.map((m) => m[0]), [], 'no namespace left behind');
});
