import t from 'tap';
import * as tf from '@tensorflow/tfjs';
// Not through ./support.js: that would register the kernels before this file looks.
import { activeWasmTrainingKernels, registerWasmTrainingKernels } from '../../../src/train/wasm-kernels/register.js';

const MISSING = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

t.test('tfjs-backend-wasm lacks the three gradient kernels and has Conv2DBackpropInput, MaxPoolGrad, AvgPoolGrad', async (t) => {
  for (const name of MISSING) t.equal(tf.getKernel(name, 'wasm'), undefined, `${name} missing`);
  for (const name of ['Conv2DBackpropInput', 'MaxPoolGrad', 'AvgPoolGrad']) t.not(tf.getKernel(name, 'wasm'), undefined, `${name} present`);
});

const REPLACED = ['Conv2DBackpropInput', 'Equal', 'MaxPoolGrad', 'Sum', 'Add', 'Identity', 'Conv2D', 'FusedConv2D'];

t.test('the first call registers the missing kernels and the faster replacements; later calls nothing', async (t) => {
  const nativeInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  const natives = REPLACED.map((name) => tf.getKernel(name, 'wasm').kernelFunc);
  const nativeSetup: Record<string, unknown> = Object.fromEntries(REPLACED.map((name) => [name, tf.getKernel(name, 'wasm').setupFunc]));
  t.same(activeWasmTrainingKernels(), [], 'none active before');
  t.same(registerWasmTrainingKernels(), [...MISSING, ...REPLACED]);
  const funcs = [...MISSING, ...REPLACED].map((name) => tf.getKernel(name, 'wasm').kernelFunc);
  REPLACED.forEach((name, i) => t.not(funcs[3 + i], natives[i], `${name} replaced`));
  t.equal(tf.getKernel('Conv2DBackpropInput', 'wasm').setupFunc, nativeInput.setupFunc, 'its native setup hook kept (the NCHW fallback needs it)');
  for (const name of ['Conv2D', 'FusedConv2D', 'Sum', 'Add']) {
    t.equal(tf.getKernel(name, 'wasm').setupFunc, nativeSetup[name], `${name}: its native setup hook kept (the fallback needs it)`);
  }
  t.same(registerWasmTrainingKernels(), []);
  t.same(registerWasmTrainingKernels(), []);
  t.same(activeWasmTrainingKernels(), [...MISSING, ...REPLACED], 'all still active, whichever call registered them');
  t.same(
    [...MISSING, ...REPLACED].map((name) => tf.getKernel(name, 'wasm').kernelFunc),
    funcs,
    'the registrations are the same objects',
  );
});

t.test('registering before the backend starts works: a training gradient runs once it is up', async (t) => {
  t.ok(await tf.setBackend('wasm'));
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const f = tf.tensor4d([1], [1, 1, 1, 1]);
  const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid').sum())([x, f]);
  t.same([...(dx as tf.Tensor).dataSync()], [1, 1, 1, 1]);
  t.same([...(df as tf.Tensor).dataSync()], [10]);
  tf.dispose([x, f, dx as tf.Tensor, df as tf.Tensor]);
});
