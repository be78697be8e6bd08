import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../../../src/train/wasm-kernels/index.js';
import { backendBuffers, createRandom, normal } from './fixtures/support.js';

/**
 * A small model with every layer kind the kernels were chosen for: conv2d
 * with strides 1 and 2, 'same' and 'valid'; depthwise and separable conv;
 * batch norm; relu; max, average and global-average pooling; dropout; a
 * sigmoid dense head. Initialisers and dropout are seeded, so the model is
 * the same on every backend and every run.
 */
function buildModel(optimizer: tf.Optimizer): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [16, 16, 2], filters: 4, kernelSize: 3, strides: 1, padding: 'same', kernelInitializer: init(1) }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', kernelInitializer: init(2) }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: init(3) }));
  m.add(tf.layers.separableConv2d({ filters: 8, kernelSize: 3, strides: 1, padding: 'valid', depthwiseInitializer: init(4), pointwiseInitializer: init(5) }));
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }));
  m.add(tf.layers.conv2d({ filters: 8, kernelSize: 1, strides: 1, padding: 'same', kernelInitializer: init(6) }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dropout({ rate: 0.25, seed: 7 }));
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(8) }));
  m.compile({ optimizer, loss: 'binaryCrossentropy' });
  return m;
}

/** A fixed tiny batch: 6 images, labels 0/1 tied to the mean brightness so there is something to learn. */
function batch(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const rng = createRandom(5001);
  const labels = [0, 1, 0, 1, 1, 0];
  const pixels = normal(rng, [6, 16, 16, 2]).map((v, i) => v + ((labels[Math.floor(i / 512)] as number) ? 0.5 : -0.5));
  return { x: tf.tensor4d(pixels, [6, 16, 16, 2]), y: tf.tensor2d(labels, [6, 1]) };
}

/** Trains `steps` steps on `backend` and returns the losses, leaving no tensor behind. */
async function train(backend: 'wasm' | 'cpu', steps: number): Promise<number[]> {
  if (backend === 'wasm') await initWasmBackend();
  else await tf.setBackend('cpu');
  const optimizer = tf.train.adam(0.01);
  const model = buildModel(optimizer);
  const { x, y } = batch();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await model.trainOnBatch(x, y)) as number);
  model.dispose();
  optimizer.dispose();
  tf.dispose([x, y]);
  return losses;
}

t.test('the model trains 3 steps on wasm with finite losses, as on cpu', async (t) => {
  const wasm = await train('wasm', 3);
  t.equal(wasm.length, 3);
  t.ok(wasm.every(Number.isFinite), `losses ${wasm.join(', ')}`);
  // Same seeded weights, data and dropout mask: the two backends must agree
  // closely (float32 sums in a different order, compounded over 3 steps).
  const cpu = await train('cpu', 3);
  for (let i = 0; i < 3; i++) {
    t.ok(Math.abs((wasm[i] as number) - (cpu[i] as number)) <= 1e-3 * Math.abs(cpu[i] as number), `step ${i}: wasm ${wasm[i]} vs cpu ${cpu[i]}`);
  }
});

t.test('on a fixed tiny batch the loss goes down over 20 steps, and nothing leaks', async (t) => {
  await initWasmBackend();
  const start = { tensors: tf.memory().numTensors, buffers: backendBuffers() };
  const losses = await train('wasm', 20);
  t.ok(losses.every(Number.isFinite), 'finite');
  const first = losses[0] as number;
  const last = losses[19] as number;
  t.ok(last < 0.5 * first, `loss ${first.toFixed(4)} -> ${last.toFixed(4)}`);
  t.same({ tensors: tf.memory().numTensors, buffers: backendBuffers() }, start, 'tensors and wasm buffers back to where they started');
});

t.test('fit (shuffled mini-batches over epochs) also runs on wasm and leaks nothing', async (t) => {
  await initWasmBackend();
  const start = { tensors: tf.memory().numTensors, buffers: backendBuffers() };
  const optimizer = tf.train.adam(0.01);
  const model = buildModel(optimizer);
  const { x, y } = batch();
  const history = await model.fit(x, y, { epochs: 3, batchSize: 3, shuffle: true, verbose: 0 });
  const losses = history.history.loss as number[];
  t.equal(losses.length, 3);
  t.ok(losses.every(Number.isFinite), `epoch losses ${losses.join(', ')}`);
  model.dispose();
  optimizer.dispose();
  tf.dispose([x, y]);
  t.same({ tensors: tf.memory().numTensors, buffers: backendBuffers() }, start);
});
