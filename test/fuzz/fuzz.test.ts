/**
 * The CI fuzz pass: 1000 seeded mutants of every fixture (bench/lib/fuzz), through
 * - the reader and the decode pool, in process, with the differential checks
 *   (pool output = a fresh decoder's; identical outputs from different codestreams
 *   confirmed by fresh decoders);
 * - the command line as a user runs it: `inspect --json` and `ingest` over the
 *   folder of mutants, which must exit 0 or 1, print no internal error or stack
 *   trace, and write only typed records naming file, stage (and frame for a frame).
 * bench/fuzz.mjs runs the same with 10,000 and more.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
// @ts-expect-error: plain JavaScript shared with bench/fuzz.mjs
import { fuzzPass, seedFiles, writeMutants } from '../../bench/lib/fuzz/run.mjs';
// @ts-expect-error: plain JavaScript shared with bench/fuzz.mjs
import { mutate, MUTATION_KINDS } from '../../bench/lib/fuzz/mutate.mjs';

const COUNT = 1000;
const SEED = 20261201;

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-fuzz-ci-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('mutations are seeded: the same seed and index give the same bytes; every kind is used', async (t) => {
  const seeds = await seedFiles();
  t.ok(seeds.length >= 50, `${seeds.length} seed files (fixtures, class fixtures, HTJ2K)`);
  const a = mutate(seeds[3].bytes, 7, 11);
  const b = mutate(seeds[3].bytes, 7, 11);
  t.same(Buffer.from(a.bytes), Buffer.from(b.bytes));
  t.same(a.mutations, b.mutations);
  t.notSame(Buffer.from(mutate(seeds[3].bytes, 8, 11).bytes), Buffer.from(a.bytes), 'another seed, another mutant');
  const used = new Set<string>();
  for (let i = 0; i < COUNT; i++) for (const m of mutate(seeds[i % seeds.length].bytes, SEED, i).mutations) used.add(m.split(':')[0]);
  t.same([...used].sort(), [...MUTATION_KINDS].sort());
});

t.test(`${COUNT} mutants through the reader and the pool: a result or a typed record for each, no crash, no hang, no stale pixels`, async (t) => {
  const seeds = await seedFiles();
  const made = writeMutants(seeds, { seed: SEED, count: COUNT, dir });
  t.equal(made.length, COUNT);
  const r = await fuzzPass({ dir, workers: 2, timeoutMs: 10_000 });
  t.equal(r.mutants, COUNT);
  t.same(r.problems, [], 'every rule held');
  t.equal(r.crashes, 0, 'no crash');
  t.equal(r.hangs, 0, 'no hang');
  t.equal(r.differential.mismatches, 0, `${r.differential.compared} frames equal to a fresh decoder's`);
  t.ok(r.differential.compared > 100, 'enough frames decoded to compare');
  t.equal(r.differential.identicalConfirmedByFreshDecoder, r.differential.identicalOutputsFromDifferentCodestreams);
  t.ok(r.reader.failed > 0 && r.reader.ok > 0, `the reader both read (${r.reader.ok}) and refused (${r.reader.failed}) mutants`);
  t.ok((r.pool.byCode.DF_ERR_DECODE ?? 0) > 0, 'some mutants reached the codecs and were refused there');
  t.notOk('DF_ERR_INTERNAL' in r.pool.byCode || 'DF_ERR_INTERNAL' in r.reader.byCode);
  t.comment(JSON.stringify({ reader: r.reader, pool: r.pool, differential: r.differential }));
});

const STACK = /\n\s+at .+:\d+:\d+|internal error/;

t.test('inspect --json over the mutants: exit 0 or 1, one typed line per file, no stack trace', async (t) => {
  const r = runCli(['inspect', '--json', dir], { maxBuffer: 64 * 1024 * 1024 });
  t.ok(r.status === 0 || r.status === 1, `exit ${r.status}`);
  t.notMatch(r.stderr + r.stdout, STACK);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, COUNT);
  for (const l of lines) {
    if (!l.error) continue;
    if (!/^DF_ERR_[A-Z_]+$/.test(l.error.code) || l.error.code === 'DF_ERR_INTERNAL' || !l.error.stage || !l.path) {
      t.fail(`untyped or unplaced error: ${JSON.stringify(l)}`);
    }
  }
});

t.test('ingest over the mutants: exit 0 or 1, a summary line, every record typed with file, stage and frame', async (t) => {
  const cfg = join(dir, '..', `fuzz-config-${process.pid}.json`);
  writeFileSync(cfg, JSON.stringify({ sources: { paths: [dir], manifest: null }, preprocess: { target: '32x32', voi: 'minmax' }, decode: { workers: 2 } }));
  t.teardown(() => rmSync(cfg, { force: true }));
  const errors = join(dir, '..', `fuzz-errors-${process.pid}.jsonl`);
  t.teardown(() => rmSync(errors, { force: true }));
  const r = runCli(['ingest', '--config', cfg, '--errors', errors], { maxBuffer: 64 * 1024 * 1024 });
  t.ok(r.status === 0 || r.status === 1, `exit ${r.status}`);
  t.notMatch(r.stderr + r.stdout, STACK);
  t.match(r.stdout, /^ingest: \d+ frames from 1000 file\(s\) of .+ \(configuration\) in [\d.]+ s with 2 worker\(s\): .* (\d+) error\(s\)/m);
  const records = readFileSync(errors, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.ok(records.length > 0);
  let bad = 0;
  for (const rec of records) {
    const ok =
      /^DF_(ERR|WARN)_[A-Z_]+$/.test(rec.code) &&
      rec.code !== 'DF_ERR_INTERNAL' &&
      typeof rec.file === 'string' &&
      typeof rec.stage === 'string' &&
      'frame' in rec &&
      (rec.stage !== 'decode' || typeof rec.frame === 'number');
    if (!ok && bad++ < 5) t.fail(`record: ${JSON.stringify(rec)}`);
  }
  t.equal(bad, 0, `${records.length} records, all typed and placed`);
  const failed = new Set(records.filter((x) => x.severity === 'error').map((x) => x.file));
  t.ok(failed.size > 0 && failed.size < COUNT, `${failed.size} of ${COUNT} mutants failed somewhere, the rest went through`);
});
