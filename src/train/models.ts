/**
 * The models the trainer offers: a small CNN and a residual network. Every
 * initializer is seeded from the run's seed, so a run can be repeated (and a
 * resumed run ends with the same weights as an uninterrupted one).
 */
import * as tf from '@tensorflow/tfjs';

export type ModelName = 'small-cnn' | 'resnet';

/** A different, fixed seed for each layer, derived from the run seed. */
function seeds(seed: number) {
  let n = 0;
  return () => ({ kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + n++ }) });
}

function smallCnn(input: [number, number, number], seed: number): tf.LayersModel {
  const init = seeds(seed);
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: input, filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', ...init() }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', ...init() }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  // Linear before the global max: a max over ReLU features can die (all zero, no gradient),
  // which left the model stuck at chance in early runs; a small lesion anywhere is what
  // the max is for.
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', ...init() }));
  m.add(tf.layers.globalMaxPooling2d({}));
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', ...init() }));
  return m;
}

function resnet(input: [number, number, number], seed: number): tf.LayersModel {
  const init = seeds(seed);
  const x0 = tf.input({ shape: input });
  let x = tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, ...init() }).apply(x0) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  for (const [filters, strides] of [
    [16, 1],
    [32, 2],
    [64, 2],
  ] as const) {
    let shortcut = x;
    let y = tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, ...init() }).apply(x) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({}).apply(y) as tf.SymbolicTensor;
    y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
    y = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, ...init() }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({}).apply(y) as tf.SymbolicTensor;
    if (strides !== 1 || (shortcut.shape[3] as number) !== filters) {
      shortcut = tf.layers.conv2d({ filters, kernelSize: 1, strides, padding: 'same', useBias: false, ...init() }).apply(shortcut) as tf.SymbolicTensor;
    }
    x = tf.layers.reLU().apply(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, activation: 'sigmoid', ...init() }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: x0, outputs: out });
}

/** @example const model = buildModel('small-cnn', [128, 128, 1], 1); */
export function buildModel(name: ModelName, input: [number, number, number], seed: number): tf.LayersModel {
  return name === 'resnet' ? resnet(input, seed) : smallCnn(input, seed);
}
