import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../../../src/train/wasm-kernels/index.js';
import {
  assertClose,
  assertNoLeak,
  backendBuffers,
  createRandom,
  describeCase,
  dilateFilter,
  input,
  randomConvCase,
  runKernelOn,
  runOn,
} from './fixtures/support.js';

const CASES = 30;

t.test(`tf.grad of depthwiseConv2d with respect to the input: wasm equals cpu on ${CASES} seeded random cases`, async (t) => {
  const rng = createRandom(3001);
  for (let i = 0; i < CASES; i++) {
    const k = randomConvCase(rng, 'depthwise');
    const x = input(rng, k.xShape);
    const filter = input(rng, k.filterShape);
    const dy = input(rng, k.dyShape);
    const grad = () =>
      tf.grad((xx: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, tf.tensor4d(filter.values, k.filterShape), k.strides, k.pad).mul(tf.tensor4d(dy.values, k.dyShape)).sum())(
        tf.tensor4d(x.values, k.xShape),
      );
    assertClose(t, await runOn('wasm', grad), await runOn('cpu', grad), describeCase(k));
  }
});

// As for the filter gradient: tfjs's gradient refuses dilations and cpu's
// kernel ignores them, so the reference is the input gradient of the
// equivalent undilated convolution, taken on cpu.
t.test(`runKernel with dilations 1..2: wasm equals the undilated-equivalent gradient on ${CASES} seeded random cases`, async (t) => {
  const rng = createRandom(3002);
  for (let i = 0; i < CASES; i++) {
    const k = randomConvCase(rng, 'depthwise', true);
    const filter = input(rng, k.filterShape);
    const dy = input(rng, k.dyShape);
    const attrs = { strides: k.strides, dilations: k.dilations, pad: k.pad, inputShape: k.xShape };
    const reference = () => {
      const wide = dilateFilter(filter.values, k.filterShape, k.dilations);
      return tf.grad((xx: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, tf.tensor4d(wide.values, wide.shape), k.strides, k.pad).mul(tf.tensor4d(dy.values, k.dyShape)).sum())(
        tf.zeros(k.xShape) as tf.Tensor4D, // the input gradient of a linear map does not depend on the input
      );
    };
    assertClose(t, await runKernelOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs), await runOn('cpu', reference), describeCase(k));
  }
});

t.test('the gradient goes through the DepthwiseConv2dNativeBackpropInput registered for wasm', async (t) => {
  await initWasmBackend();
  const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
  const f = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 1, 2]); // multiplier 2
  const grad = () => tf.grad((xx: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, f, 2, 'valid').sum())(x);
  const profile = await tf.profile(grad);
  t.ok(profile.kernelNames.includes('DepthwiseConv2dNativeBackpropInput'), `kernels run: ${profile.kernelNames.join(', ')}`);
  // Stride 2 with a 2x2 filter: each input pixel is read by exactly one tap,
  // through both output channels: tap (0,0) gives 1 + 2, (0,1) 3 + 4,
  // (1,0) 10 + 20, (1,1) 30 + 40.
  const dx = grad();
  t.same([...dx.dataSync()], [3, 7, 3, 7, 30, 70, 30, 70, 3, 7, 3, 7, 30, 70, 30, 70]);
  tf.dispose([x, f, dx]);
});

const variants: Array<{ name: string; attrs: Record<string, unknown> }> = [
  { name: 'strides as one number', attrs: { strides: 3, dilations: 1, pad: 'same' } },
  { name: 'numeric pad, ceil rounding', attrs: { strides: 2, dilations: 1, pad: 1, dimRoundingMode: 'ceil' } },
  { name: 'numeric pad, round rounding', attrs: { strides: 2, dilations: 1, pad: 2, dimRoundingMode: 'round' } },
  { name: 'explicit uneven padding', attrs: { strides: [2, 1], dilations: 1, pad: [[0, 0], [3, 0], [1, 2], [0, 0]] } },
  { name: 'dilations 1x2, valid', attrs: { strides: 1, dilations: [1, 2], pad: 'valid' } },
  { name: 'dilations with strides (the kernel allows both)', attrs: { strides: 2, dilations: 2, pad: 'same' } },
];

t.test('runKernel attribute variants: wasm equals the undilated-equivalent gradient', async (t) => {
  const rng = createRandom(3003);
  const xShape: [number, number, number, number] = [2, 9, 10, 2];
  const filterShape: [number, number, number, number] = [3, 3, 2, 2];
  for (const v of variants) {
    const attrs = { inputShape: xShape, ...v.attrs } as unknown as { strides: number; dilations: number | [number, number]; pad: 'same'; dimRoundingMode?: 'ceil' };
    const d: [number, number] = typeof attrs.dilations === 'number' ? [attrs.dilations, attrs.dilations] : attrs.dilations;
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, d, attrs.pad, attrs.dimRoundingMode, true);
    const filter = input(rng, filterShape);
    const dy = input(rng, info.outShape);
    const reference = () => {
      const wide = dilateFilter(filter.values, filterShape, d);
      return tf.grad((xx: tf.Tensor) =>
        tf.tidy(() => {
          const y = tf.engine().runKernel('DepthwiseConv2dNative', { x: xx, filter: tf.tensor4d(wide.values, wide.shape) }, { ...attrs, dilations: 1 } as unknown as tf.NamedAttrMap) as tf.Tensor;
          return y.mul(tf.tensor(dy.values, info.outShape)).sum();
        }),
      )(tf.zeros(xShape) as tf.Tensor4D);
    };
    assertClose(t, await runKernelOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs), await runOn('cpu', reference), v.name);
  }
});

t.test('a call leaves nothing behind', async (t) => {
  const rng = createRandom(3004);
  // Stride 2 spreads dy and needs a crop of the trailing zero row: the most intermediates.
  const attrs = { strides: 2, dilations: 1, pad: 'valid', inputShape: [2, 8, 8, 3] };
  await assertNoLeak(t, 'DepthwiseConv2dNativeBackpropInput', { dy: input(rng, [2, 3, 3, 6]), filter: input(rng, [3, 3, 3, 2]) }, attrs);
});

t.test('a dy of the wrong shape fails clearly and leaks nothing', async (t) => {
  await initWasmBackend();
  const dy = tf.zeros([1, 6, 6, 3]);
  const filter = tf.zeros([3, 3, 2, 2]);
  const before = { tensors: tf.memory().numTensors, buffers: backendBuffers() };
  t.throws(
    () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { strides: 1, dilations: 1, pad: 'same', inputShape: [1, 6, 6, 2] }),
    { name: 'TrainingBackendError', code: 'DF_ERR_TRAIN_BACKEND', message: 'DepthwiseConv2dNativeBackpropInput: dy has shape [1, 6, 6, 3], expected [1, 6, 6, 4]' },
  );
  t.same({ tensors: tf.memory().numTensors, buffers: backendBuffers() }, before);
  tf.dispose([dy, filter]);
});
