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

t.test(`tf.grad of depthwiseConv2d with respect to the filter: wasm equals cpu on ${CASES} seeded random cases`, async (t) => {
  const rng = createRandom(2001);
  for (let i = 0; i < CASES; i++) {
    const k = randomConvCase(rng, 'depthwise');
    const x = input(rng, k.xShape);
    const filter = input(rng, k.filterShape);
    const dy = input(rng, k.dyShape);
    const grad = () =>
      tf.grad((f: tf.Tensor) => tf.depthwiseConv2d(tf.tensor4d(x.values, k.xShape), f as tf.Tensor4D, k.strides, k.pad).mul(tf.tensor4d(dy.values, k.dyShape)).sum())(
        tf.tensor4d(filter.values, k.filterShape),
      );
    assertClose(t, await runOn('wasm', grad), await runOn('cpu', grad), describeCase(k));
  }
});

// tfjs's gradient refuses dilations, so dilated cases call the kernel
// directly. They are checked against the gradient of the equivalent
// undilated convolution (zeros between the taps), taken on cpu and read at
// the real taps, not against cpu's kernel: tfjs-backend-cpu 4.22 computes the
// geometry with the dilation but then ignores it in its loops.
t.test(`runKernel with dilations 1..2: wasm equals the undilated-equivalent gradient on ${CASES} seeded random cases`, async (t) => {
  const rng = createRandom(2002);
  for (let i = 0; i < CASES; i++) {
    const k = randomConvCase(rng, 'depthwise', true);
    const x = input(rng, k.xShape);
    const filter = input(rng, k.filterShape);
    const dy = input(rng, k.dyShape);
    const attrs = { strides: k.strides, dilations: k.dilations, pad: k.pad, filterShape: k.filterShape };
    const reference = () => {
      const wide = dilateFilter(filter.values, k.filterShape, k.dilations);
      const g = tf.grad((f: tf.Tensor) => tf.depthwiseConv2d(tf.tensor4d(x.values, k.xShape), f as tf.Tensor4D, k.strides, k.pad).mul(tf.tensor4d(dy.values, k.dyShape)).sum())(
        tf.tensor4d(wide.values, wide.shape),
      );
      return tf.stridedSlice(g, [0, 0, 0, 0], wide.shape, [k.dilations[0], k.dilations[1], 1, 1]);
    };
    assertClose(t, await runKernelOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs), await runOn('cpu', reference), describeCase(k));
  }
});

t.test('the gradient goes through the DepthwiseConv2dNativeBackpropFilter registered for wasm', async (t) => {
  await initWasmBackend();
  const x = tf.ones([2, 5, 5, 2]) as tf.Tensor4D;
  const f = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
  const grad = () => tf.grad((w: tf.Tensor) => tf.depthwiseConv2d(x, w as tf.Tensor4D, 1, 'valid').sum())(f);
  const profile = await tf.profile(grad);
  t.ok(profile.kernelNames.includes('DepthwiseConv2dNativeBackpropFilter'), `kernels run: ${profile.kernelNames.join(', ')}`);
  // All ones, 'valid' 3x3 on 5x5: every tap meets 3x3 outputs in each of 2 images.
  const dW = grad();
  t.same([...dW.dataSync()], new Array(3 * 3 * 2 * 2).fill(18));
  tf.dispose([x, f, dW]);
});

const variants: Array<{ name: string; attrs: Record<string, unknown> }> = [
  { name: 'strides as one number', attrs: { strides: 2, dilations: 1, pad: 'same' } },
  { name: 'numeric pad, ceil rounding', attrs: { strides: 2, dilations: 1, pad: 1, dimRoundingMode: 'ceil' } },
  { name: 'numeric pad, floor rounding', attrs: { strides: 3, dilations: 1, pad: 2, dimRoundingMode: 'floor' } },
  { name: 'explicit uneven padding', attrs: { strides: [1, 2], dilations: 1, pad: [[0, 0], [0, 2], [3, 1], [0, 0]] } },
  { name: 'dilations 2x1 with same padding', attrs: { strides: 1, dilations: [2, 1], pad: 'same' } },
  { name: 'dilations with strides (the kernel allows both)', attrs: { strides: 2, dilations: 2, pad: 'valid' } },
];

t.test('runKernel attribute variants: wasm equals the undilated-equivalent gradient', async (t) => {
  const rng = createRandom(2003);
  const xShape: [number, number, number, number] = [2, 10, 9, 3];
  const filterShape: [number, number, number, number] = [3, 2, 3, 2];
  for (const v of variants) {
    const attrs = { filterShape, ...v.attrs } as unknown as { strides: number; dilations: number | [number, number]; pad: 'same'; dimRoundingMode?: 'ceil' };
    const d: [number, number] = typeof attrs.dilations === 'number' ? [attrs.dilations, attrs.dilations] : attrs.dilations;
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, d, attrs.pad, attrs.dimRoundingMode, true);
    const x = input(rng, xShape);
    const filter = input(rng, filterShape);
    const dy = input(rng, info.outShape);
    const reference = () => {
      const wide = dilateFilter(filter.values, filterShape, d);
      const g = tf.grad((f: tf.Tensor) =>
        tf.tidy(() => {
          // The op refuses strides and dilations together and rounding with 'same'; the kernel takes them.
          const y = tf.engine().runKernel('DepthwiseConv2dNative', { x: tf.tensor4d(x.values, xShape), filter: f }, { ...attrs, dilations: 1 } as unknown as tf.NamedAttrMap) as tf.Tensor;
          return y.mul(tf.tensor(dy.values, info.outShape)).sum();
        }),
      )(tf.tensor4d(wide.values, wide.shape));
      return tf.stridedSlice(g, [0, 0, 0, 0], wide.shape, [d[0], d[1], 1, 1]);
    };
    assertClose(t, await runKernelOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs), await runOn('cpu', reference), v.name);
  }
});

t.test('a call leaves nothing behind', async (t) => {
  const rng = createRandom(2004);
  const attrs = { strides: 2, dilations: 1, pad: 'same', filterShape: [3, 3, 3, 2] };
  await assertNoLeak(t, 'DepthwiseConv2dNativeBackpropFilter', { x: input(rng, [2, 9, 9, 3]), dy: input(rng, [2, 5, 5, 6]) }, attrs);
});

t.test('a dy of the wrong shape fails clearly and leaks nothing', async (t) => {
  await initWasmBackend();
  const x = tf.zeros([1, 6, 6, 2]);
  const dy = tf.zeros([1, 6, 6, 2]);
  const before = { tensors: tf.memory().numTensors, buffers: backendBuffers() };
  t.throws(
    () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 2, 2] }),
    { name: 'TrainingBackendError', code: 'DF_ERR_TRAIN_BACKEND', message: 'DepthwiseConv2dNativeBackpropFilter: dy has shape [1, 6, 6, 2], expected [1, 6, 6, 4]' },
  );
  t.same({ tensors: tf.memory().numTensors, buffers: backendBuffers() }, before);
  tf.dispose([x, dy]);
});
