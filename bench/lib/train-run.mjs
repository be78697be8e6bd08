// One process, one backend: trains the sample model on batches decoded
// beforehand (so only the training step is timed) and prints the median step.
// Usage: train-run.mjs --backend wasm|cpu|node --steps N [--warmup W] [--size 128] [--batch 16] [--export DIR] [--workers N]
// --export DIR also writes the batches as DIR/xs.npy and DIR/ys.npy, for the PyTorch peer (bench/peer/train_torch.py).
// --workers N (N >= 1) times the data-parallel step instead (src/train/data-parallel.ts: N worker threads
// on the backend, gradients averaged and applied on this thread), and reports where its time went
// (medians over the timed steps) and, from one extra step under tf.profile, the kernels' time per worker.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../../dist/config/load.js';
import { createPipeline } from '../../dist/pipeline/index.js';
import { selectBackend } from '../../dist/train/backend.js';
import { buildModel } from '../../dist/train/models.js';
import { createParallelTrainer } from '../../dist/train/data-parallel.js';
import { median } from './common.mjs';

const { values } = parseArgs({
  options: { backend: { type: 'string' }, steps: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' }, size: { type: 'string', default: '128' }, batch: { type: 'string', default: '16' }, export: { type: 'string' }, workers: { type: 'string', default: '0' } },
});
const size = Number(values.size);
const batchSize = Number(values.batch);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const workers = Number(values.workers);
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
if (workers >= 1) {
  const p = await createParallelTrainer({ workers, model, optimizer: model.optimizer, loss: 'binaryCrossentropy', backend: backend.name === 'cpu' ? 'cpu' : 'wasm' });
  const profiles = [];
  for (let i = 0; i < warmup + steps; i++) {
    const b = batches[i % batches.length];
    const t = performance.now();
    await p.step(b.xs, b.ys, b.shape[0]);
    if (i >= warmup) {
      times.push(performance.now() - t);
      profiles.push(p.lastProfile);
    }
  }
  const b = batches[0];
  const { profile: kernelProfile } = await p.profileStep(b.xs, b.ys, b.shape[0]);
  await p.close();
  const m = (f) => median(profiles.map(f));
  const maxOf = (k) => (q) => Math.max(...q.workers.map((w) => w[k]));
  const profile = {
    shards: profiles[0].shards,
    forwardMs: m(maxOf('forwardMs')),
    backwardMs: m(maxOf('backwardMs')),
    packMs: m(maxOf('packMs')),
    setWeightsMs: m(maxOf('setWeightsMs')),
    computeMs: m((q) => q.computeMs),
    roundTripMs: m((q) => q.roundTripMs),
    overheadMs: m((q) => q.overheadMs),
    splitMs: m((q) => q.splitMs),
    averageMs: m((q) => q.averageMs),
    applyMs: m((q) => q.applyMs),
    broadcastMs: m((q) => q.broadcastMs),
    totalMs: m((q) => q.totalMs),
  };
  // Kernels of the profiled step, per worker, largest first (scope names such as fusedConv2d__op wrap kernels and are left out).
  const kernels = kernelProfile.kernels.map((k) =>
    Object.fromEntries(
      Object.entries(k)
        .filter(([name]) => !name.includes('__op'))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([name, ms]) => [name, Math.round(ms * 10) / 10]),
    ),
  );
  const ms = median(times);
  console.log(
    JSON.stringify({ backend: `${p.backend}, data-parallel ${workers} worker(s)`, workers, reason: backend.reason, size, batchSize, steps, medianStepMs: ms, imagesPerSecond: (batchSize * 1000) / ms, profile, kernels }),
  );
  process.exit(0);
}
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
