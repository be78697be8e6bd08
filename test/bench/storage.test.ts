import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
// @ts-expect-error: plain-JS bench modules without type declarations
import { acceleratorsKeptBusy, bindingLimit } from '../../bench/lib/storage/verdict.mjs';
// @ts-expect-error: plain-JS bench modules without type declarations
import { markdown, svgChart } from '../../bench/lib/storage/report.mjs';
import { fetchBytes } from '../../src/sources/http.js';
import { fixtureBytes, fixtureNames } from '../helpers/fixtures.js';

t.test('binding limit: the lowest limit when the setup comes near it, else CPU or latency', async (t) => {
  const base = { decodeFramesPerSecond: 40, storageKind: 'network', cpuSystem: 0.5, cpuProcess: 0.45 };
  t.equal(bindingLimit({ ...base, framesPerSecond: 37, storageFramesPerSecond: 600 }), 'decode', 'decode-bound behind a fast link');
  t.equal(bindingLimit({ ...base, framesPerSecond: 11, storageFramesPerSecond: 12 }), 'network', 'a slow link binds');
  t.equal(bindingLimit({ ...base, framesPerSecond: 10, storageFramesPerSecond: 600 }), 'latency', 'idle CPU and far from both limits');
  t.equal(bindingLimit({ ...base, framesPerSecond: 10, storageFramesPerSecond: 600, cpuSystem: 0.97 }), 'CPU (shared)', 'cores busy, mostly with another process');
  t.equal(bindingLimit({ ...base, framesPerSecond: 28, storageFramesPerSecond: 600, cpuSystem: 0.99, cpuProcess: 0.95 }), 'decode', 'cores busy with the pipeline itself');
  t.equal(bindingLimit({ ...base, framesPerSecond: 33, storageFramesPerSecond: null }), 'decode', 'no storage limit known');
  t.equal(bindingLimit({ ...base, framesPerSecond: 31, storageFramesPerSecond: null }), 'latency', 'just below 80%');
});

t.test('accelerators kept >= 90% busy', async (t) => {
  // One accelerator takes 8 frames per 250 ms = 32 frames/s; 90% of it is 28.8.
  t.equal(acceleratorsKeptBusy({ framesPerSecond: 28.8, batchSize: 8, computeMs: 250 }), 1);
  t.equal(acceleratorsKeptBusy({ framesPerSecond: 28.7, batchSize: 8, computeMs: 250 }), 0);
  t.equal(acceleratorsKeptBusy({ framesPerSecond: 100, batchSize: 8, computeMs: 250 }), 3);
  t.equal(acceleratorsKeptBusy({ framesPerSecond: 100, batchSize: 16, computeMs: 100 }), 0);
});

t.test('report: a Markdown row and a bar per setup, limits drawn', async (t) => {
  const setup = (name: string, fps: number, storage: number | null, peer: number) => ({
    name,
    label: name,
    framesPerSecond: fps,
    mbPerSecond: fps * 0.21,
    bytesPerFrame: 210_000,
    p50Ms: 30,
    p99Ms: 80,
    cpuProcess: 0.8,
    cpuSystem: 0.95,
    bindingLimit: 'decode',
    limits: { storageFramesPerSecond: storage, storageWhat: 'fio', decodeFramesPerSecond: 40 },
    acceleratorUtilisation: 0.93,
    accelerators: 1,
    maxAccelerators: 1,
    peer: { framesPerSecond: peer },
    oursOverPeer: fps / peer,
  });
  const result = { title: 'T <&>', subtitle: 'S', setups: [setup('SSD warm', 38, 1000, 19), { ...setup('HTTP slow', 11, 12, 10), cpuServer: 0.052 }] };
  const md: string = markdown(result);
  const rows = md.split('\n');
  t.equal(rows.length, 4, 'header, rule, two rows');
  t.match(rows[3], /\| 80% \/ 95% \/ 5\.2% \|/, 'the local server\'s CPU share');
  t.match(rows[2], /\| SSD warm \| 38\.0 \| 8\.0 \| 210 \| 30 \/ 80 \| 80% \/ 95% \/ - \| 1000\.0 \(fio\) \| 40\.0 \| decode \| 1 \(93% with 1\) \| 19\.0 \| 2\.00× \|/);
  const svg: string = svgChart(result);
  t.ok(svg.startsWith('<svg') && svg.trim().endsWith('</svg>'));
  t.match(svg, /T &lt;&amp;>/, 'text is escaped');
  t.equal((svg.match(/<rect x=/g) ?? []).length, 4 + 2, 'two bars per setup, two legend swatches');
  t.match(svg, />≥ 1000</, 'a storage limit above the axis is marked as such');
  t.match(svg, /decode limit 40\.0/);
});

const root = typeof process.getuid === 'function' && process.getuid() === 0;
t.test('network namespace: shaped link, exact bytes, and everything removed on Ctrl-C', async (t) => {
  // Not a skip: the namespace setups are half of what the storage bench measures (.ci/run runs as root).
  if (!root) {
    t.fail('needs root (ip netns, tc): run the tests as root, as .ci/run does');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dfns-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const names = fixtureNames().slice(0, 6);
  for (const n of names) writeFileSync(join(dir, `${n}.dcm`), fixtureBytes(n));
  const driver = spawn(process.execPath, [new URL('../helpers/netns-driver.mjs', import.meta.url).pathname, dir, String(50e6), '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => driver.kill('SIGKILL'));
  const info = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: driver.stdout! }).once('line', resolve)));
  t.match(info.qdisc, /tbf .*rate 50Mbit/, 'tbf shapes the namespace side of the link');
  t.match(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, info.name);
  for (const n of names) {
    const parts: Uint8Array[] = [];
    for await (const c of fetchBytes(`${info.base}${n}.dcm`, { connections: 4, timeoutMs: 5000, retries: 2, backoffMs: 10 })) parts.push(c);
    t.ok(Buffer.concat(parts).equals(Buffer.from(fixtureBytes(n))), `${n}: identical bytes through the shaped link`);
  }
  const exited = new Promise<number | null>((resolve) => driver.on('exit', (code) => resolve(code)));
  driver.kill('SIGINT');
  t.equal(await exited, 130, 'the driver exits after cleaning up');
  t.notMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, info.name, 'namespace removed');
  t.notMatch(spawnSync('ip', ['link'], { encoding: 'utf8' }).stdout, /dfh-/, 'veth removed');
  t.notMatch(spawnSync('pgrep', ['-af', 'file-server.mjs'], { encoding: 'utf8' }).stdout, dir, 'file server stopped');
});
