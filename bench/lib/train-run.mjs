// One process, one backend: trains the sample model on batches decoded
// beforehand (so only the training step is timed) and prints the median step.
// Usage: train-run.mjs --backend wasm|cpu|node --steps N [--warmup W] [--size 128] [--batch 16] [--export DIR]
// --export DIR also writes the batches as DIR/xs.npy and DIR/ys.npy, for the PyTorch peer (bench/peer/train_torch.py).
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../../dist/config/load.js';
import { createPipeline } from '../../dist/pipeline/index.js';
import { selectBackend } from '../../dist/train/backend.js';
import { buildModel } from '../../dist/train/models.js';
import { median } from './common.mjs';

const { values } = parseArgs({
  options: { backend: { type: 'string' }, steps: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' }, size: { type: 'string', default: '128' }, batch: { type: 'string', default: '16' }, export: { type: 'string' } },
});
const size = Number(values.size);
const batchSize = Number(values.batch);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const { config } = loadConfig(new URL('../../pipeline.config.json', import.meta.url).pathname, {
  'preprocess.target': `${size}x${size}`,
  'pipeline.batchSize': batchSize,
  'pipeline.limit': batchSize * 4,
  'decode.workers': 2,
});
const p = createPipeline(config);
const batches = [];
for await (const b of p) if (b.shape[0] === batchSize) batches.push(b);
await p.close();
if (values.export) {
  const { npyBytes } = await import('../../dist/cli/npy.js');
  const { writeFileSync } = await import('node:fs');
  const xs = new Float32Array(batches.length * batchSize * size * size);
  const ys = new Float32Array(batches.length * batchSize);
  batches.forEach((b, i) => {
    xs.set(b.xs, i * b.xs.length);
    ys.set(b.ys, i * batchSize);
  });
  writeFileSync(`${values.export}/xs.npy`, npyBytes(xs, [batches.length * batchSize, size, size, 1]));
  writeFileSync(`${values.export}/ys.npy`, npyBytes(ys, [batches.length * batchSize]));
}
const backend = await selectBackend(values.backend);
const model = buildModel('small-cnn', [size, size, 1], 1);
model.compile({ optimizer: tf.train.adam(0.001), loss: 'binaryCrossentropy' });
const times = [];
for (let i = 0; i < warmup + steps; i++) {
  const b = batches[i % batches.length];
  const xs = tf.tensor4d(b.xs, b.shape);
  const ys = tf.tensor2d(b.ys, [b.ys.length, 1]);
  const t = performance.now();
  await model.trainOnBatch(xs, ys);
  if (i >= warmup) times.push(performance.now() - t);
  tf.dispose([xs, ys]);
}
const ms = median(times);
console.log(JSON.stringify({ backend: backend.name, reason: backend.reason, size, batchSize, steps, medianStepMs: ms, imagesPerSecond: (batchSize * 1000) / ms }));
