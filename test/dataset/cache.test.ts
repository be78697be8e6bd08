/**
 * The decoded-sample cache: a hit gives exactly the decoded samples; a file
 * that changed, a damaged entry or another preprocessing is a miss, never a
 * stale sample; the size bound evicts; two processes can fill one cache.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createPipeline, type ErrorRecord } from '../../src/pipeline/index.js';
import { CLI } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

const NAMES = ['ct_s16_mf3_j2k_lossless', 'us_u8_mf4_jls_lossless_emptybot', 'rgb_u8_jpeg_baseline_ycc420_labelled_rgb', 'mr_u16_mf4_rle_bot'];

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-cache-'));
  const files = NAMES.map((n) => {
    const p = join(dir, `${n}.dcm`);
    copyFileSync(join(FIXTURES, `${n}.dcm`), p);
    return p;
  });
  return { dir, files, cache: join(dir, 'cache') };
}

async function run(files: string[], cache: string, over: Record<string, unknown> = {}) {
  const { config } = loadConfig(null, { 'sources.paths': files, 'preprocess.target': '32x32', 'preprocess.voi': 'minmax', 'decode.workers': 2, 'pipeline.cache': cache, ...over });
  const warnings: ErrorRecord[] = [];
  const pipeline = createPipeline(config, { onWarning: (w) => warnings.push(w) });
  const out = new Map<string, number[]>();
  for await (const s of pipeline.samples()) out.set(`${s.id.file}#${s.id.frame}`, Array.from(s.data));
  await pipeline.close();
  return { out, stats: { ...pipeline.stats }, warnings };
}

const entries = (cache: string) => readdirSync(cache).flatMap((d) => readdirSync(join(cache, d)).filter((f) => f.endsWith('.entry')).map((f) => join(cache, d, f)));

t.test('the second pass reads the cache and gives exactly the decoded samples, warnings included', async (t) => {
  const { files, cache } = setup();
  const first = await run(files, cache);
  t.equal(first.stats.cacheStores, 4);
  t.equal(first.stats.cacheHits, 0);
  const second = await run(files, cache);
  t.equal(second.stats.cacheHits, 4, 'every file from the cache');
  t.equal(second.stats.decodedPixels, 0, 'nothing decoded');
  t.same([...second.out.entries()], [...first.out.entries()], 'the same samples, in the same order');
  t.same(second.warnings.map((w) => w.code), first.warnings.map((w) => w.code), 'the colour-label warning is said again');
  t.ok(first.warnings.some((w) => w.code === 'DF_WARN_COLOR_MODEL'));
  for (const e of entries(cache)) t.notMatch(readFileSync(e).toString('latin1'), /"patientId":"[^"]/, 'no PatientID in an entry');
});

t.test('a file that changed, a damaged entry or another preprocessing: a miss, never a stale sample', async (t) => {
  const { files, cache } = setup();
  // A whole-second mtime, so putting it back below is exact.
  const target = files[3]!;
  utimesSync(target, 1_700_000_000, 1_700_000_000);
  const first = await run(files, cache);
  // Same size, same mtime, same inode, other pixels: only the content hash can tell.
  const inode = statSync(target).ino;
  const bytes = readFileSync(target);
  bytes[bytes.length - 100]! ^= 0xff;
  writeFileSync(target, bytes);
  utimesSync(target, 1_700_000_000, 1_700_000_000);
  t.equal(statSync(target).ino, inode, 'the same inode');
  t.equal(statSync(target).mtimeMs, 1_700_000_000_000, 'the same mtime');
  // A damaged entry: one payload byte flipped.
  const victim = entries(cache).find((e) => readFileSync(e).toString('latin1').includes(files[1]!))!;
  const raw = readFileSync(victim);
  raw[raw.length - 10]! ^= 0x55;
  writeFileSync(victim, raw);
  const second = await run(files, cache);
  t.equal(second.stats.cacheHits, 2, 'the two untouched files hit');
  t.ok(second.warnings.some((w) => w.code === 'DF_WARN_CACHE_STALE' && w.file === target), 'the changed file is reported');
  t.ok(second.warnings.some((w) => w.code === 'DF_WARN_CACHE_DAMAGED' && w.file === files[1]), 'the damaged entry is reported');
  t.notSame(second.out.get(`${target}#3`), first.out.get(`${target}#3`), 'the changed file (its last frame) was decoded again');
  t.same(second.out.get(`${files[1]}#0`), first.out.get(`${files[1]}#0`), 'the damaged entry was recomputed');
  const third = await run(files, cache, { 'preprocess.target': '16x16' });
  t.equal(third.stats.cacheHits, 0, 'another target size: every file is a miss');
  t.equal(third.out.get(`${files[0]}#0`)!.length, 256);
});

t.test('the size bound evicts the least recently used entries', async (t) => {
  const { files, cache } = setup();
  await run(files, cache, { 'pipeline.cacheMaxBytes': 20_000 });
  const total = entries(cache).reduce((n, e) => n + statSync(e).size, 0);
  t.ok(total <= 20_000, `${total} bytes kept`);
  t.ok(entries(cache).length < 4, `${entries(cache).length} of 4 entries kept`);
});

t.test('two processes filling one cache at once both finish, and the cache is whole', async (t) => {
  const { dir, files, cache } = setup();
  const cfg = join(dir, 'c.json');
  writeFileSync(cfg, JSON.stringify({ sources: { paths: files }, preprocess: { target: '32x32', voi: 'minmax' }, decode: { workers: 1 }, pipeline: { cache } }));
  const go = () =>
    new Promise<number>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'ingest', '--config', cfg, '--errors', join(dir, `e-${Math.random()}.jsonl`)], { stdio: 'ignore' });
      c.on('close', (code) => resolve(code ?? 1));
    });
  t.same(await Promise.all([go(), go()]), [0, 0]);
  const again = await run(files, cache);
  t.equal(again.stats.cacheHits, 4);
  t.same(again.warnings.filter((w) => w.code.startsWith('DF_WARN_CACHE')), [], 'no entry damaged');
});

t.test('HTTP sources are cached by ETag: a hit needs only a HEAD request; a changed object is a miss', async (t) => {
  const { startFaultServer } = await import('../helpers/fault-server.js');
  const files = new Map(NAMES.slice(0, 2).map((n) => [`/${n}.dcm`, new Uint8Array(readFileSync(join(FIXTURES, `${n}.dcm`)))]));
  const server = await startFaultServer(files, {});
  t.teardown(() => server.close());
  const urls = [...files.keys()].map((p) => server.url(p));
  const cache = mkdtempSync(join(tmpdir(), 'dicomflow-cache-http-'));
  const over = { 'sources.paths': [], 'sources.urls': urls };
  const first = await run([], cache, over);
  t.equal(first.stats.cacheStores, 2);
  const before = server.requests;
  const second = await run([], cache, over);
  t.equal(second.stats.cacheHits, 2);
  t.equal(server.requests - before, 2, 'two HEAD requests, no body fetched');
  t.same([...second.out.entries()], [...first.out.entries()]);
  // A new version of one object: another ETag, so a miss and its new pixels.
  const [p0, body] = [...files.entries()][0]!;
  const changed = body.slice();
  changed[changed.length - 200]! ^= 0xff;
  files.set(p0, changed);
  const third = await run([], cache, over);
  t.equal(third.stats.cacheHits, 1, 'only the unchanged object hits');
  t.equal(third.stats.cacheStores, 1);
});
