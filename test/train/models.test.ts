import * as tf from '@tensorflow/tfjs';
import t from 'tap';
import { selectBackend } from '../../src/train/backend.js';
import { buildModel } from '../../src/train/models.js';

t.test('both models train on the wasm backend (batch norm and residual gradients included) and are seeded', async (t) => {
  const b = await selectBackend('wasm');
  t.equal(b.name, 'wasm');
  for (const name of ['small-cnn', 'resnet'] as const) {
    const before = tf.memory().numTensors;
    const model = buildModel(name, [32, 32, 1], 3);
    const twin = buildModel(name, [32, 32, 1], 3);
    const w1 = model.getWeights().map((w) => Array.from(w.dataSync()));
    const w2 = twin.getWeights().map((w) => Array.from(w.dataSync()));
    t.same(w1, w2, `${name}: the same seed gives the same initial weights`);
    const optimizer = tf.train.adam(0.01);
    model.compile({ optimizer, loss: 'binaryCrossentropy' });
    const xs = tf.randomUniform([8, 32, 32, 1], 0, 1, 'float32', 5);
    const ys = tf.tensor2d([0, 1, 0, 1, 0, 1, 0, 1], [8, 1]);
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) losses.push((await model.trainOnBatch(xs, ys)) as number);
    t.ok(losses.every(Number.isFinite), `${name}: finite losses`);
    t.ok(losses.at(-1)! < losses[0]!, `${name}: loss falls on a fixed batch (${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(3)})`);
    tf.dispose([xs, ys]);
    model.dispose();
    twin.dispose();
    optimizer.dispose(); // its moment variables are the optimizer's, not the model's
    t.equal(tf.memory().numTensors, before, `${name}: no tensor left behind`);
  }
});
