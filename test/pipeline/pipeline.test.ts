import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createPipeline, type ErrorRecord } from '../../src/pipeline/index.js';
import { dirWithCorruptFile } from '../helpers/corpus-dir.js';
import { FIXTURES } from '../helpers/fixtures.js';

const configFor = (overrides: Record<string, unknown>) =>
  loadConfig(null, { 'decode.workers': 2, 'preprocess.target': '32x32', 'preprocess.voi': 'minmax', 'pipeline.batchSize': 4, ...overrides }).config;

async function ids(p: ReturnType<typeof createPipeline>): Promise<string[]> {
  const out: string[] = [];
  for await (const b of p) for (const id of b.ids) out.push(`${id.file.split('/').pop()}:${id.frame}`);
  return out;
}

t.test('a corrupt codestream in the middle of a folder: every other frame delivered, one error record', async (t) => {
  const { dir, corrupt } = dirWithCorruptFile();
  const seen: ErrorRecord[] = [];
  const p = createPipeline(configFor({ 'sources.paths': [dir] }), { onError: (r) => seen.push(r) });
  t.teardown(() => p.close());
  t.same(await ids(p), ['a.dcm:0', 'a.dcm:1', 'a.dcm:2', 'c.dcm:0', 'c.dcm:1', 'c.dcm:2', 'c.dcm:3']);
  t.equal(seen.length, 1);
  t.match(seen[0], { file: corrupt, frame: 0, code: 'DF_ERR_DECODE', stage: 'decode' });
  t.same(p.errors, seen);
  t.match(p.stats, { files: 3, frames: 7, errors: 1 });
});

t.test('order is deterministic by default; a seeded shuffle is repeatable and a permutation', async (t) => {
  const paths = [`${FIXTURES}us_u8_mf4_*.dcm`, `${FIXTURES}ct_s16_mf3_j2k_lossless.dcm`];
  const plain = createPipeline(configFor({ 'sources.paths': paths, 'decode.workers': 2, 'pipeline.fileConcurrency': 3 }));
  t.teardown(() => plain.close());
  const a = await ids(plain);
  t.same(await ids(plain), a, 'a second pass gives the same order');
  t.same(a.slice(0, 4), ['us_u8_mf4_explicit_le.dcm:0', 'us_u8_mf4_explicit_le.dcm:1', 'us_u8_mf4_explicit_le.dcm:2', 'us_u8_mf4_explicit_le.dcm:3'], 'file by file, frame by frame');
  const shuffledA = createPipeline(configFor({ 'sources.paths': paths, 'pipeline.shuffleBuffer': 8, 'pipeline.seed': 7 }));
  const shuffledB = createPipeline(configFor({ 'sources.paths': paths, 'pipeline.shuffleBuffer': 8, 'pipeline.seed': 7 }));
  const shuffledC = createPipeline(configFor({ 'sources.paths': paths, 'pipeline.shuffleBuffer': 8, 'pipeline.seed': 8 }));
  t.teardown(() => Promise.all([shuffledA.close(), shuffledB.close(), shuffledC.close()]));
  const sa = await ids(shuffledA);
  t.same(await ids(shuffledB), sa, 'same seed, same order');
  t.notSame(sa, a, 'shuffled');
  t.notSame(await ids(shuffledC), sa, 'another seed, another order');
  t.same([...sa].sort(), [...a].sort(), 'the same samples');
});

t.test('batches: shapes, labels from the manifest, limit, remainder', async (t) => {
  const { dir } = dirWithCorruptFile();
  const manifest = join(dir, 'labels.csv');
  writeFileSync(manifest, 'path,label\na.dcm,cat\nc.dcm,dog\n');
  const p = createPipeline(configFor({ 'sources.manifest': manifest, 'pipeline.batchSize': 3, 'preprocess.channels': 3 }));
  t.teardown(() => p.close());
  const batches = [];
  for await (const b of p) batches.push(b);
  t.same(batches.map((b) => b.shape), [[3, 32, 32, 3], [3, 32, 32, 3], [1, 32, 32, 3]]);
  t.same(batches.flatMap((b) => Array.from(b.ys)), [0, 0, 0, 1, 1, 1, 1], 'cat=0, dog=1 (sorted class names)');
  t.same(batches[0]!.xs.length, 3 * 32 * 32 * 3);
  const values = batches.flatMap((b) => Array.from(b.xs));
  t.ok(Math.min(...values) >= 0 && Math.max(...values) <= 1, 'minmax VOI in [0, 1]');
  const limited = createPipeline(configFor({ 'sources.manifest': manifest, 'pipeline.limit': 5, 'pipeline.dropRemainder': true }));
  t.teardown(() => limited.close());
  t.equal((await ids(limited)).length, 4, 'limit 5 frames, batch 4, remainder dropped');
});

t.test('toTfDataset: tensors hold the batch values and none leak', async (t) => {
  await tf.setBackend('cpu');
  const p = createPipeline(configFor({ 'sources.paths': [`${FIXTURES}us_u8_mf4_*.dcm`], 'pipeline.batchSize': 5 }));
  t.teardown(() => p.close());
  const expected: number[][] = [];
  for await (const b of p) expected.push(Array.from(b.xs.subarray(0, 8)));
  const before = tf.memory().numTensors;
  const ds = p.toTfDataset(tf);
  let i = 0;
  await ds.forEachAsync(({ xs, ys }) => {
    t.same(xs.shape.slice(1), [32, 32, 1]);
    t.equal(ys.shape[0], xs.shape[0]);
    t.same(Array.from(xs.dataSync().subarray(0, 8)), expected[i++]);
    xs.dispose();
    ys.dispose();
  });
  t.equal(i, expected.length, 'every batch');
  t.equal(tf.memory().numTensors, before, 'numTensors back where it started');
});

