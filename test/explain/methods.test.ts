import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import t from 'tap';
import { npyBytes } from '../../src/cli/npy.js';
import { anatomy } from '../../src/explain/anatomy.js';
import { hits, peakOf, randomPointHitRate, randomizedCopy, spearman } from '../../src/explain/checks.js';
import { cdfNormalise, gradCamRaw, inputGradient, METHODS, saliency, smoeScale } from '../../src/explain/methods.js';
import { selectBackend } from '../../src/train/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-explain-methods-'));

/** A tiny smooth model (tanh, average pooling), so central differences are accurate in float32. */
function tinyModel(seed: number): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [6, 5, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  m.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }));
  return m;
}

for (const backend of ['wasm', 'cpu'] as const) {
  t.test(`${backend}: the gradient equals a central finite-difference estimate of the logit`, async (t) => {
    t.equal((await selectBackend(backend)).name, backend);
    const before = tf.memory().numTensors;
    const model = tinyModel(3);
    const a = anatomy(model);
    const x = tf.randomUniform([2, 6, 5, 2], -1, 1, 'float32', 11) as tf.Tensor4D;
    const xv = (x.dataSync() as Float32Array).slice();
    const g = inputGradient(a, x);
    const gv = g.dataSync();
    // The logit is the output before its sigmoid: check it against the probability too.
    const p = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    const z = tf.tidy(() => a.logit(x).dataSync());
    for (let i = 0; i < 2; i++) t.ok(Math.abs(1 / (1 + Math.exp(-z[i]!)) - p[i]!) < 1e-5, `image ${i}: sigmoid(logit) is the model's output`);
    const h = 1e-2;
    let worst = 0;
    let scale = 0;
    for (let k = 0; k < xv.length; k++) {
      const plus = xv.slice();
      const minus = xv.slice();
      plus[k]! += h;
      minus[k]! -= h;
      const f = (v: Float32Array) => tf.tidy(() => a.logit(tf.tensor4d(v, [2, 6, 5, 2])).dataSync());
      const fp = f(plus);
      const fm = f(minus);
      const image = Math.floor(k / 60);
      const fd = (fp[image]! - fm[image]!) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - gv[k]!));
      scale = Math.max(scale, Math.abs(gv[k]!));
      // The other image's logit does not move: gradients are per image.
      t.ok(Math.abs(fp[1 - image]! - fm[1 - image]!) < 1e-6 || k % 17 !== 0, 'no cross-image dependence');
    }
    t.ok(scale > 1e-3, `the gradient is not zero (largest ${scale.toExponential(2)})`);
    t.ok(worst / scale < 1e-2, `largest difference ${worst.toExponential(2)} against a largest gradient ${scale.toExponential(2)}`);
    // The gradient map is |g| (largest over channels), min-max scaled per image.
    const mapT = saliency(a, x, 'gradient');
    const map = mapT.dataSync();
    mapT.dispose();
    for (let i = 0; i < 2; i++) {
      const raw = Array.from({ length: 30 }, (_, px) => Math.max(Math.abs(gv[(i * 30 + px) * 2]!), Math.abs(gv[(i * 30 + px) * 2 + 1]!)));
      const lo = Math.min(...raw);
      const hi = Math.max(...raw);
      const d = Math.max(...raw.map((v, px) => Math.abs((v - lo) / (hi - lo) - map[i * 30 + px]!)));
      t.ok(d < 1e-5, `image ${i}: gradient map = scaled |g| (max difference ${d.toExponential(2)})`);
    }
    tf.dispose([x, g]);
    model.dispose();
    t.equal(tf.memory().numTensors, before, 'no tensor left behind');
  });
}

t.test('Grad-CAM on a hand-built model equals the hand-computed map', async (t) => {
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  // 4x4x2 input -> 1x1 convolution to 3 channels with ReLU -> global average -> dense(1, sigmoid).
  const W = [
    [0.5, -1, 2],
    [1.5, 0.25, -0.5],
  ];
  const b = [0.1, -0.2, 0.3];
  const v = [0.8, -0.6, 0.4];
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 1, activation: 'relu' }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  const set = [tf.tensor4d(W.flat(), [1, 1, 2, 3]), tf.tensor1d(b), tf.tensor2d(v, [3, 1]), tf.tensor1d([-0.05])];
  m.layers[0]!.setWeights(set.slice(0, 2));
  m.layers[2]!.setWeights(set.slice(2));
  tf.dispose(set);
  const xs = Array.from({ length: 32 }, (_, i) => Math.sin(i * 1.7) * 2);
  const x = tf.tensor4d(xs, [1, 4, 4, 2]);
  const a = anatomy(m);
  t.equal(a.camLayer, m.layers[0]!.name, 'the convolution is the Grad-CAM layer');
  // By hand: A_k = relu(sum_c x_c W_ck + b_k); d logit / d A_k = v_k / 16 at every location, so
  // alpha_k = v_k / 16 and the map is relu(sum_k alpha_k A_k).
  const expected: number[] = [];
  for (let p = 0; p < 16; p++) {
    let s = 0;
    for (let k = 0; k < 3; k++) {
      const A = Math.max(0, xs[p * 2]! * W[0]![k]! + xs[p * 2 + 1]! * W[1]![k]! + b[k]!);
      s += (v[k]! / 16) * A;
    }
    expected.push(Math.max(0, s));
  }
  const raw = gradCamRaw(a, x);
  const got = raw.dataSync();
  const d = Math.max(...expected.map((e, i) => Math.abs(e - got[i]!)));
  t.ok(d < 1e-6, `raw map equals the hand computation (max difference ${d.toExponential(2)})`);
  t.ok(expected.some((e) => e > 0) && expected.some((e) => e === 0), 'the case has both rectified and positive cells');
  const mapT = saliency(a, x, 'gradcam');
  const map = mapT.dataSync();
  mapT.dispose();
  const hi = Math.max(...expected);
  const lo = Math.min(...expected);
  const dm = Math.max(...expected.map((e, i) => Math.abs((e - lo) / (hi - lo) - map[i]!)));
  t.ok(dm < 1e-5, `scaled map equals the hand computation scaled (max difference ${dm.toExponential(2)}); same size, so no upsampling`);
  tf.dispose([x, raw]);
  m.dispose();
  t.equal(tf.memory().numTensors, before, 'no tensor left behind');
});

t.test('SMOE scale and its CDF normalisation equal a NumPy computation of the formula on fixed activations', async (t) => {
  await selectBackend('wasm');
  // Fixed activations with negatives (rectified), zeros and a wide range.
  const shape = [2, 5, 6, 7] as const;
  const n = shape.reduce((p, q) => p * q, 1);
  const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 3 + Math.cos(i * 1.3) * (i % 5));
  values[3] = 0;
  const file = join(dir, 'acts.npy');
  writeFileSync(file, npyBytes(values, [...shape]));
  const eps = 1e-7;
  const act = tf.tensor4d(values, [...shape]);
  const s = smoeScale(act, eps);
  const c = cdfNormalise(s);
  const ours = { smoe: Array.from(s.dataSync()), cdf: Array.from(c.dataSync()) };
  tf.dispose([act, s, c]);
  const py = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      `import numpy as np, math, json, sys
x = np.maximum(np.load(sys.argv[1]).astype(np.float64), 0) + ${eps}
m = x.mean(axis=-1)
smoe = m * (np.log2(m) - np.log2(x).mean(axis=-1))
z = (smoe - smoe.mean(axis=(1, 2), keepdims=True)) / smoe.std(axis=(1, 2), keepdims=True)
cdf = 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))
print(json.dumps({"smoe": smoe.ravel().tolist(), "cdf": cdf.ravel().tolist()}))`,
      file,
    ],
    { encoding: 'utf8' },
  );
  t.equal(py.status, 0, py.stderr);
  const ref = JSON.parse(py.stdout) as { smoe: number[]; cdf: number[] };
  t.equal(ours.smoe.length, 60);
  const ds = Math.max(...ref.smoe.map((r, i) => Math.abs(r - ours.smoe[i]!) / Math.max(1, Math.abs(r))));
  const dc = Math.max(...ref.cdf.map((r, i) => Math.abs(r - ours.cdf[i]!)));
  t.ok(ds < 1e-4, `SMOE scale: max relative difference ${ds.toExponential(2)}`);
  t.ok(dc < 1e-4, `CDF normalisation: max difference ${dc.toExponential(2)}`);
  t.ok(Math.max(...ref.smoe) > Math.min(...ref.smoe) * 2, 'the map is not flat');
});

t.test('every method gives [N, h, w] maps in [0, 1], with no tensor left behind, on both shipped models', async (t) => {
  await selectBackend('wasm');
  const { buildModel } = await import('../../src/train/models.js');
  for (const name of ['small-cnn', 'resnet'] as const) {
    const before = tf.memory().numTensors;
    const model = buildModel(name, [32, 32, 1], 2);
    const a = anatomy(model);
    const x = tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    for (const m of METHODS) {
      const map = saliency(a, x, m, { smoothgrad: { samples: 2, noise: 0.1, seed: 1 }, integratedGradients: { steps: 3, baseline: 0 }, smoeEpsilon: 1e-7 });
      t.same(map.shape, [3, 32, 32], `${name} ${m}: shape`);
      const d = map.dataSync();
      t.ok(d.every((v) => v >= 0 && v <= 1 && Number.isFinite(v)), `${name} ${m}: values in [0, 1]`);
      t.ok(Math.max(...d) === 1, `${name} ${m}: scaled to a maximum of 1`);
      map.dispose();
    }
    const r = await randomizedCopy(model, 5);
    const w0 = model.getWeights().map((w) => w.dataSync()[0]);
    const w1 = r.getWeights().map((w) => w.dataSync()[0]);
    t.not(JSON.stringify(w0), JSON.stringify(w1), `${name}: randomised copy has other weights`);
    tf.dispose(x);
    model.dispose();
    r.dispose();
    t.equal(tf.memory().numTensors, before, `${name}: no tensor left behind`);
  }
});

t.test('check helpers: Spearman with ties, peak, pointing hits and the random-point expectation', async (t) => {
  t.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  t.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // ranks [1, 2.5, 2.5, 4] and [1, 3, 2, 4]: Pearson of the ranks by hand = 4.5 / sqrt(4.5 * 5).
  t.ok(Math.abs(spearman([1, 2, 2, 3], [1, 3, 2, 4]) - 4.5 / Math.sqrt(4.5 * 5)) < 1e-12);
  t.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])), 'constant side: NaN, not a number that looks like a result');
  t.same(peakOf([0, 0.2, 0.9, 0.1, 0.9, 0], 3), [0, 2], 'first of equal maxima');
  t.ok(hits([10, 10], [{ row: 13, col: 14, radius: 2 }], 3), 'distance 5 = radius 2 + tolerance 3');
  t.notOk(hits([10, 10], [{ row: 13, col: 14, radius: 2 }], 2.9));
  const rate = randomPointHitRate(100, 100, [{ row: 50, col: 50, radius: 10 }], 0);
  t.ok(Math.abs(rate - (Math.PI * 100) / 10000) < 0.003, `random-point rate ${rate} near the disc's share of the frame`);
});
