import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../../src/train/wasm-kernels/index.js';
import { createParallelTrainer, shardSizes } from '../../src/train/data-parallel.js';

/** A tiny convnet without batch norm; seeded, so two builds start from the same weights. */
function tiny(batchNorm = false): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: batchNorm ? 'linear' : 'relu', kernelInitializer: init(11) }));
  if (batchNorm) m.add(tf.layers.batchNormalization({ momentum: 0.9 }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(12) }));
  return m;
}

/** n images 8x8x1 and labels, from a fixed LCG; labels tied to brightness so the loss moves. */
function batch(n: number, seed = 7): { xs: Float32Array; ys: Float32Array } {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const ys = Float32Array.from({ length: n }, (_, i) => (i * 5 + seed) % 3 === 0 ? 1 : 0);
  const xs = Float32Array.from({ length: n * 64 }, (_, i) => rnd() + (ys[Math.floor(i / 64)] ? 0.4 : -0.4));
  return { xs, ys };
}

/** ||a - b|| / ||b||, in float64. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let r = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    r += b[i]! ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(r), 1e-30);
}

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((n, v) => n + v * v, 0));
const bitsEqual = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const weightsOf = (m: tf.LayersModel) => m.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));

t.before(async () => {
  await initWasmBackend();
});

t.test('shard sizes: contiguous, differing by at most one, none empty', async (t) => {
  t.same(shardSizes(7, 2), [4, 3]);
  t.same(shardSizes(16, 2), [8, 8]);
  t.same(shardSizes(1, 2), [1]);
  t.same(shardSizes(5, 3), [2, 2, 1]);
});

t.test('2 workers: the averaged gradients and the Adam steps equal the single-thread full-batch ones', async (t) => {
  const model = tiny();
  const reference = tiny();
  reference.setWeights(model.getWeights());
  const initial = weightsOf(model);
  t.ok(initial.every((w, i) => bitsEqual(w, weightsOf(reference)[i]!)), 'same initial weights');
  const refOptimizer = tf.train.adam(0.05);
  reference.compile({ optimizer: refOptimizer, loss: 'binaryCrossentropy' });

  const p = await createParallelTrainer({ workers: 2, model, optimizer: { name: 'adam', learningRate: 0.05 }, loss: 'binaryCrossentropy' });
  try {
    t.equal(p.workers, 2);
    t.equal(p.backend, 'wasm');
    // 7 samples: shards of 4 and 3, so an unweighted mean of the two shards would be wrong.
    const { xs, ys } = batch(7);
    const g = await p.gradients(xs, ys, 7);
    const x = tf.tensor4d(xs, [7, 8, 8, 1]);
    const y = tf.tensor2d(ys, [7, 1]);
    const vars = reference.trainableWeights.map((w) => w.read() as tf.Variable);
    const ref = tf.variableGrads(() => tf.mean(tf.metrics.binaryCrossentropy(y, reference.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
    const refLoss = ref.value.dataSync()[0]!;
    t.ok(Math.abs(g.loss - refLoss) <= 1e-5 * Math.abs(refLoss), `loss ${g.loss} vs full batch ${refLoss}`);
    t.equal(g.grads.length, vars.length);
    vars.forEach((v, i) => {
      const want = ref.grads[v.name]!.dataSync();
      const e = relErr(g.grads[i]!, want);
      t.ok(e <= 1e-5, `gradient of ${v.name}: relative error ${e.toExponential(2)}`);
    });
    tf.dispose([ref.value, ...Object.values(ref.grads)]);

    // Three steps, each on a different batch, against trainOnBatch on the full batch.
    for (let s = 0; s < 3; s++) {
      const b = batch(7, 20 + s);
      const loss = await p.step(b.xs, b.ys, 7);
      const bx = tf.tensor4d(b.xs, [7, 8, 8, 1]);
      const by = tf.tensor2d(b.ys, [7, 1]);
      const refStepLoss = (await reference.trainOnBatch(bx, by)) as number;
      tf.dispose([bx, by]);
      t.ok(Math.abs(loss - refStepLoss) <= 1e-5 * Math.abs(refStepLoss), `step ${s + 1}: loss ${loss} vs ${refStepLoss}`);
    }
    const after = p.getWeights();
    const refAfter = weightsOf(reference);
    after.forEach((w, i) => {
      // Compare the updates, not the weights: a wrong step is small next to the weights themselves.
      const d = w.map((v, j) => v - initial[i]![j]!);
      const dRef = refAfter[i]!.map((v, j) => v - initial[i]![j]!);
      t.ok(norm(dRef) > 1e-3, `${model.weights[i]!.name} moved by ${norm(dRef).toExponential(2)}`);
      const e = relErr(d, dRef);
      t.ok(e <= 1e-5, `update of ${model.weights[i]!.name} after 3 Adam steps: relative error ${e.toExponential(2)}`);
    });

    // Replicas: bit-identical to each other and to the reference model.
    const replicas = await p.replicaWeights();
    t.equal(replicas.length, 2);
    for (const [k, r] of replicas.entries()) {
      t.equal(r.length, after.length);
      t.ok(r.every((w, i) => bitsEqual(w, after[i]!)), `replica ${k} has the reference weights, bit for bit`);
    }
    tf.dispose([x, y]);
  } finally {
    await p.close();
    model.dispose();
    reference.dispose();
    refOptimizer.dispose();
  }
});

t.test('1 worker: the step is trainOnBatch on the same backend, bit for bit', async (t) => {
  const model = tiny();
  const reference = tiny();
  reference.setWeights(model.getWeights());
  const refOptimizer = tf.train.adam(0.05);
  reference.compile({ optimizer: refOptimizer, loss: 'binaryCrossentropy' });
  const p = await createParallelTrainer({ workers: 1, model, optimizer: { name: 'adam', learningRate: 0.05 }, loss: 'binaryCrossentropy' });
  try {
    for (let s = 0; s < 2; s++) {
      const b = batch(6, 40 + s);
      await p.step(b.xs, b.ys, 6);
      const bx = tf.tensor4d(b.xs, [6, 8, 8, 1]);
      const by = tf.tensor2d(b.ys, [6, 1]);
      await reference.trainOnBatch(bx, by);
      tf.dispose([bx, by]);
    }
    const got = p.getWeights();
    const want = weightsOf(reference);
    t.ok(got.every((w, i) => bitsEqual(w, want[i]!)), 'identical weights after 2 steps');
  } finally {
    await p.close();
    model.dispose();
    reference.dispose();
    refOptimizer.dispose();
  }
});

t.test('batch norm: per-shard statistics; the moving mean is the full-batch one, replicas stay identical', async (t) => {
  const model = tiny(true);
  const reference = tiny(true);
  reference.setWeights(model.getWeights());
  const refOptimizer = tf.train.sgd(0.1);
  reference.compile({ optimizer: refOptimizer, loss: 'binaryCrossentropy' });
  const p = await createParallelTrainer({ workers: 2, model, optimizer: { name: 'sgd', learningRate: 0.1 }, loss: 'binaryCrossentropy' });
  try {
    const { xs, ys } = batch(8, 3); // two shards of 4: equal weights
    await p.step(xs, ys, 8);
    const bx = tf.tensor4d(xs, [8, 8, 8, 1]);
    const by = tf.tensor2d(ys, [8, 1]);
    await reference.trainOnBatch(bx, by);
    tf.dispose([bx, by]);
    const names = model.weights.map((w) => w.name);
    const at = (re: RegExp) => names.findIndex((n) => re.test(n));
    const mean = at(/moving_mean/);
    const variance = at(/moving_variance/);
    t.ok(mean >= 0 && variance >= 0, `found the moving statistics in ${names.join(', ')}`);
    const got = p.getWeights();
    const want = weightsOf(reference);
    // The moving mean moved (from 0), and by the full batch's mean.
    t.ok(norm(got[mean]!) > 1e-4, `the moving mean moved (${norm(got[mean]!).toExponential(2)})`);
    const e = relErr(got[mean]!, want[mean]!);
    t.ok(e <= 1e-5, `moving mean vs full batch: relative error ${e.toExponential(2)}`);
    // The average of within-shard variances leaves out the spread between shard means: never above the full batch's.
    t.ok(
      got[variance]!.every((v, i) => v <= want[variance]![i]! + 1e-6),
      `moving variance ${Array.from(got[variance]!).map((v) => v.toFixed(5))} <= full batch ${Array.from(want[variance]!).map((v) => v.toFixed(5))}`,
    );
    t.notOk(bitsEqual(got[variance]!, want[variance]!), 'and not the full-batch variance (per-shard statistics)');
    const replicas = await p.replicaWeights();
    for (const [k, r] of replicas.entries()) t.ok(r.every((w, i) => bitsEqual(w, got[i]!)), `replica ${k} has the reference weights and statistics`);
  } finally {
    await p.close();
    model.dispose();
    reference.dispose();
    refOptimizer.dispose();
  }
});

t.test('close() terminates the workers; no tensor is left on the main thread', async (t) => {
  const model = tiny();
  const before = tf.memory().numTensors;
  const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
  const portsBefore = ports();
  const p = await createParallelTrainer({ workers: 2, model, optimizer: { name: 'adam', learningRate: 0.01 }, loss: 'binaryCrossentropy' });
  t.equal(p.alive(), 2, 'two workers running');
  t.ok(ports() >= portsBefore + 2, `their message ports are open (${ports()})`);
  const { xs, ys } = batch(5);
  await p.step(xs, ys, 5);
  const afterFirst = tf.memory().numTensors; // Adam's moments exist now
  const inWorkers = p.lastProfile!.workerTensors;
  t.equal(inWorkers.length, 2);
  for (let i = 0; i < 3; i++) await p.step(xs, ys, 5);
  await p.gradients(xs, ys, 5);
  t.equal(tf.memory().numTensors, afterFirst, `steps leave no tensor (${afterFirst})`);
  t.same(p.lastProfile!.workerTensors, inWorkers, `nor in the workers (${inWorkers.join(', ')})`);
  t.ok(inWorkers.every((n) => n >= model.weights.length), 'the workers hold their replica');
  await t.rejects(p.step(xs.subarray(1), ys, 5), /xs has 319 values/, 'a malformed batch is refused');
  await p.close();
  t.equal(p.alive(), 0, 'no worker running after close()');
  t.equal(ports(), portsBefore, 'their message ports are closed');
  t.equal(tf.memory().numTensors, before, `the optimizer it made is disposed, the caller's model kept (${before} tensors)`);
  t.equal(model.weights.length, 4, "the caller's model is still there");
  await t.rejects(p.step(xs, ys, 5), /closed/, 'a step after close() is refused');
  await p.close(); // twice is fine
  model.dispose();
});

t.test('train.workers 2 in the trainer: the same training as the main-thread step, and nothing leaks', async (t) => {
  const { loadConfig } = await import('../../src/config/load.js');
  const { ensureSampleTask } = await import('../../src/synth/sample-task.js');
  const { train } = await import('../../src/train/trainer.js');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const cache = mkdtempSync(join(tmpdir(), 'dicomflow-dp-'));
  const sample = await ensureSampleTask({ cacheDir: cache, patients: 6, slicesPerPatient: 6 });
  const config = (workers: number) =>
    loadConfig(null, {
      'sources.manifest': sample.manifest,
      'preprocess.target': '32x32',
      'preprocess.voi': 'lung',
      'decode.workers': 1,
      'pipeline.batchSize': 8,
      'pipeline.shuffleBuffer': 16,
      'train.backend': 'wasm',
      'train.validationFraction': 0.34,
      'train.epochs': 2,
      'train.workers': workers,
    }).config;
  t.equal(config(0).train.workers, 0, 'off by default');
  const single = await train({ config: config(0) });
  const before = tf.memory().numTensors;
  const logs: string[] = [];
  const parallel = await train({ config: config(2), onLog: (l) => logs.push(l) });
  t.equal(tf.memory().numTensors, before, 'no tensor left by the run');
  t.ok(logs.some((l) => /2 data-parallel worker thread\(s\) on wasm/.test(l)), 'the run says it used 2 workers');
  t.equal(parallel.trainImages, single.trainImages, `same images per epoch (${single.trainImages})`);
  for (const [i, h] of parallel.history.entries()) {
    const s = single.history[i]!;
    // small-cnn has no batch norm: the same steps up to float32 summation order.
    t.ok(Math.abs(h.loss - s.loss) <= 1e-4 * s.loss, `epoch ${h.epoch}: training loss ${h.loss} vs ${s.loss}`);
    t.ok(Math.abs(h.valLoss - s.valLoss) <= 1e-4 * s.valLoss, `epoch ${h.epoch}: validation loss ${h.valLoss} vs ${s.valLoss}`);
  }
  t.ok(single.history[1]!.loss !== single.history[0]!.loss, 'the loss moved between epochs');
});
