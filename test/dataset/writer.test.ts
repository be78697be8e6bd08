/**
 * Datasets written by `dicomflow ingest --out`, read back by an independent
 * reader (read_shards.py: Python's tarfile and NumPy, and a TFRecord reader
 * that checks every CRC-32C and decodes the Example from its wire format):
 * every frame is there exactly once and equals the pipeline's own sample.
 * Killed with SIGKILL and run again, ingest finishes the job and the result is
 * byte-identical to an uninterrupted run; array workers plus --merge give the
 * same bytes as one process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createPipeline } from '../../src/pipeline/index.js';
import { datasetSamples } from '../../src/dataset/reader.js';
import { CLI, runCli } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

const READER = new URL('./read_shards.py', import.meta.url).pathname;
const ENV = { ...process.env, DICOMFLOW_GROUP_KEY: 'test-key-not-secret' };
// Fixtures in several syntaxes, a multi-frame colour file among them, and one non-DICOM file.
const SOURCES = [
  'ct_s16_mf3_j2k_lossless', 'us_u8_mf4_jls_lossless_emptybot', 'mr_u16_mf4_rle_bot', 'rgb_u8_jpeg_baseline_ybr422', 'ct_u12_jpeg_extended',
  'cr_u12_mono1_jpeg_lossless_p14', 'ct_s16_explicit_be', 'mr_u16_mf4_deflated', 'rgb_u8_mf3_rle_gdcm', 'sc_u8_odd_jpeg_baseline',
].map((n) => join(FIXTURES, `${n}.dcm`));
const ARGS = [...SOURCES, join(FIXTURES, 'index.json'), '--target', '24x24', '--voi', 'minmax', '--shard-files', '3', '--workers', '2'];

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
  return out;
}

const reference = mkdtempSync(join(tmpdir(), 'dicomflow-ds-ref-'));
const refRun = runCli(['ingest', ...ARGS, '--out', reference], { env: ENV });

t.test('a dataset: shards, stats, dataset.json (with the fields wids reads), errors.jsonl naming the failed file', async (t) => {
  t.equal(refRun.status, 1, 'exit 1: one input is not DICOM');
  const index = JSON.parse(readFileSync(join(reference, 'dataset.json'), 'utf8'));
  t.match(index, { __kind__: 'wids-shard-index-v1', format: 'webdataset', version: 1, files: 11, errors: 1 });
  t.equal(index.shards.length, 4, '11 files in shards of 3');
  t.same(index.shardlist.map((s: { url: string }) => s.url), ['shard-000000.tar', 'shard-000001.tar', 'shard-000002.tar', 'shard-000003.tar']);
  const errors = readFileSync(join(reference, 'errors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(errors.length, 1);
  t.match(errors[0], { file: join(FIXTURES, 'index.json'), code: 'DF_ERR_NOT_DICOM', severity: 'error' });
  const meta = readFileSync(join(reference, 'shard-000000.tar')).toString('latin1');
  t.notMatch(meta, /PatientID|PatientName|test-key-not-secret/, 'no patient attribute and not the group key in a shard');
});

t.test('the independent reader finds every frame exactly once, equal to the pipeline\'s own sample (both formats)', async (t) => {
  const tf = mkdtempSync(join(tmpdir(), 'dicomflow-ds-tfr-'));
  t.equal(runCli(['ingest', ...ARGS, '--out', tf, '--format', 'tfrecord'], { env: ENV }).status, 1);
  const { config } = loadConfig(null, { 'sources.paths': SOURCES, 'preprocess.target': '24x24', 'preprocess.voi': 'minmax', 'decode.workers': 2, 'pipeline.shuffleBuffer': 0 });
  const want = new Map<string, string>();
  const pipeline = createPipeline(config);
  for await (const s of pipeline.samples()) want.set(`${s.id.file}#${s.id.frame}`, createHash('sha256').update(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength)).digest('hex'));
  await pipeline.close();
  t.equal(want.size, 23, '23 frames in the 10 DICOM files');
  for (const dir of [reference, tf]) {
    // dicomflow's own reader (train --dataset) gives the same samples.
    const mine = new Map<string, string>();
    for await (const s of datasetSamples(dir, null)) mine.set(`${s.id.file}#${s.id.frame}`, createHash('sha256').update(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength)).digest('hex'));
    t.same([...mine.entries()].sort(), [...want.entries()].sort(), `${dir}: datasetSamples gives every sample, equal to the pipeline's`);
    const r = spawnSync('/usr/bin/python3', [READER, dir], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
    t.equal(r.status, 0, r.stderr);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; frame: number; sha256: string; key: string; group: string | null });
    t.equal(got.length, want.size, `${dir}: every frame`);
    t.equal(new Set(got.map((g) => `${g.file}#${g.frame}`)).size, got.length, 'each exactly once');
    t.equal(new Set(got.map((g) => g.key)).size, got.length, 'keys unique');
    t.ok(got.every((g) => !g.key.includes('.')), 'no dot in a key');
    t.ok(got.every((g) => want.get(`${g.file}#${g.frame}`) === g.sha256), 'every sample equals the pipeline\'s');
    t.ok(got.every((g) => typeof g.group === 'string' && /^[0-9a-f]{32}$/.test(g.group)), 'a keyed-hash group on every sample');
  }
});

t.test('the same inputs give byte-identical shards; a rerun skips what is done', async (t) => {
  const again = mkdtempSync(join(tmpdir(), 'dicomflow-ds-again-'));
  runCli(['ingest', ...ARGS, '--out', again, '--workers', '1'], { env: ENV });
  t.same(files(again), files(reference), 'another run, one worker: the same bytes');
  const r = runCli(['ingest', ...ARGS, '--out', again, '--json'], { env: ENV });
  t.match(JSON.parse(r.stdout), { written: 0, skipped: 4 });
  t.same(files(again), files(reference));
});

async function killedRun(dir: string, killWhen: (dir: string, ms: number) => boolean): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'ingest', ...ARGS, '--out', dir, '--shard-files', '1'], { env: ENV, stdio: 'ignore' });
  const t0 = Date.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      if (child.exitCode !== null || killWhen(dir, Date.now() - t0)) {
        clearInterval(tick);
        child.kill('SIGKILL');
        resolve();
      }
    }, 5);
  });
  await new Promise((r) => child.once('close', r));
}

t.test('killed with SIGKILL at several points and run again: byte-identical to an uninterrupted run', async (t) => {
  const whole = mkdtempSync(join(tmpdir(), 'dicomflow-ds-whole-'));
  runCli(['ingest', ...ARGS, '--out', whole, '--shard-files', '1'], { env: ENV });
  const want = files(whole);
  const shardsIn = (d: string) => (existsSync(d) ? readdirSync(d).filter((f) => /^shard-\d+\.tar$/.test(f)).length : 0);
  const points: [string, (d: string, ms: number) => boolean][] = [
    ['at start-up', (_d, ms) => ms > 150],
    ['after the first shard', (d) => shardsIn(d) >= 1],
    ['half-way', (d) => shardsIn(d) >= 5],
    ['near the end', (d) => shardsIn(d) >= 8],
  ];
  for (const [when, test] of points) {
    const dir = mkdtempSync(join(tmpdir(), 'dicomflow-ds-killed-'));
    await killedRun(dir, test);
    const done = shardsIn(dir);
    t.notOk(existsSync(join(dir, 'dataset.json')), `${when}: the run was killed before it finished`);
    const r = runCli(['ingest', ...ARGS, '--out', dir, '--shard-files', '1', '--json'], { env: ENV });
    t.equal(r.status, 1, `${when}: the rerun finishes (exit 1 for the non-DICOM file)`);
    t.same(files(dir), want, `${when} (${done} shard(s) were there): byte-identical`);
  }
});

t.test('array workers (flags, and the Slurm, Kubernetes and AWS Batch variables) plus --merge give the same bytes as one process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-ds-array-'));
  const envs: NodeJS.ProcessEnv[] = [
    { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '4' },
    { JOB_COMPLETION_INDEX: '1', DICOMFLOW_ARRAY_SIZE: '4' },
    { AWS_BATCH_JOB_ARRAY_INDEX: '2', DICOMFLOW_ARRAY_SIZE: '4' },
  ];
  for (const e of envs) {
    const r = runCli(['ingest', ...ARGS, '--out', dir, '--json'], { env: { ...ENV, ...e } });
    t.match(JSON.parse(r.stdout), { written: 1, indexed: false }, JSON.stringify(e));
  }
  let r = runCli(['ingest', ...ARGS, '--out', dir, '--merge'], { env: ENV });
  t.equal(r.status, 1);
  t.match(r.stderr, /DF_ERR_DATASET: 1 shard\(s\) are not written yet: shard-000003/, 'the merge names the missing shard');
  t.notOk(existsSync(join(dir, 'dataset.json')));
  r = runCli(['ingest', ...ARGS, '--out', dir, '--array-index', '3', '--array-size', '4'], { env: ENV });
  r = runCli(['ingest', ...ARGS, '--out', dir, '--merge', '--json'], { env: ENV });
  t.match(JSON.parse(r.stdout), { indexed: true, samples: 23, written: 0 });
  t.same(files(dir), files(reference), 'byte-identical to one process');
  r = runCli(['ingest', ...ARGS, '--out', dir, '--array-index', '1'], { env: ENV });
  t.equal(r.status, 2);
  t.match(r.stderr, /--array-index gives this worker's index \(1\) but not the array's size/);
});
