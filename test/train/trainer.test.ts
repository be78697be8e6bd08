import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { ensureSampleTask } from '../../src/synth/sample-task.js';
import { train } from '../../src/train/trainer.js';

/** An item's bytes where the test never reads them. */
async function* noBytes(): AsyncGenerator<Uint8Array> {}

const cache = mkdtempSync(join(tmpdir(), 'dicomflow-train-'));
const small = async (over: Record<string, unknown>) => {
  const sample = await ensureSampleTask({ cacheDir: cache, patients: 6, slicesPerPatient: 6 });
  return loadConfig(null, {
    'sources.manifest': sample.manifest,
    'preprocess.target': '32x32',
    'preprocess.voi': 'lung',
    'decode.workers': 1,
    'pipeline.batchSize': 8,
    'pipeline.shuffleBuffer': 16,
    'train.backend': 'wasm',
    'train.validationFraction': 0.34,
    ...over,
  }).config;
};

t.test('a run stopped after epoch 1 and resumed ends with the same weights and optimizer state as an uninterrupted run', async (t) => {
  const a = join(cache, 'straight');
  const b = join(cache, 'stopped');
  const straight = await train({ config: await small({ 'train.epochs': 2, 'train.checkpointDir': a }) });
  await train({ config: await small({ 'train.epochs': 1, 'train.checkpointDir': b }) });
  const resumed = await train({ config: await small({ 'train.epochs': 2, 'train.checkpointDir': b }), resume: b });
  t.equal(straight.backend, 'wasm');
  t.equal(resumed.epochs, 2);
  t.equal(resumed.history.length, 2, 'the history carries on');
  for (const file of ['weights.bin', 'optimizer.bin']) {
    const x = readFileSync(join(a, 'epoch-0002', file));
    const y = readFileSync(join(b, 'epoch-0002', file));
    t.ok(x.length > 0);
    t.ok(x.equals(y), `${file}: byte-identical`);
  }
  t.equal(resumed.valAuc, straight.valAuc, 'same validation result');
});

t.test('resuming into a different model or input size is refused', async (t) => {
  const dir = join(cache, 'other');
  await train({ config: await small({ 'train.epochs': 1, 'train.checkpointDir': dir }) });
  await t.rejects(train({ config: await small({ 'train.epochs': 2, 'preprocess.target': '48x48' }), resume: dir }), { code: 'DF_ERR_CHECKPOINT' });
  await t.rejects(train({ config: await small({ 'train.epochs': 2 }), resume: join(cache, 'nowhere') }), { code: 'DF_ERR_CHECKPOINT', message: /latest\.json is missing/ });
});

t.test('no tensor leaks across a training run (epochs, validation, checkpoint)', async (t) => {
  await train({ config: await small({ 'train.epochs': 1 }) }); // backend and kernels initialised
  const before = tf.memory().numTensors;
  const r = await train({ config: await small({ 'train.epochs': 2, 'train.checkpointDir': join(cache, 'leak') }) });
  t.equal(r.epochs, 2);
  t.equal(tf.memory().numTensors, before, `numTensors back to ${before}`);
  t.ok(r.dataWaitFraction >= 0 && r.dataWaitFraction < 1, `data-wait fraction ${r.dataWaitFraction}`);
  t.ok(r.imagesPerSecond > 0);
});

t.test('unlabelled inputs are refused with a clear error', async (t) => {
  await t.rejects(train({ config: await small({}), items: [{ id: 'x', open: noBytes }] }), { code: 'DF_ERR_CONFIG', message: /training needs labels/ });
});
