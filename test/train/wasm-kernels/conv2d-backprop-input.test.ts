import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../../../src/train/wasm-kernels/index.js';
import {
  assertClose,
  assertNoLeak,
  backendBuffers,
  createRandom,
  describeCase,
  input,
  randomConvCase,
  runKernelOn,
  runOn,
} from './fixtures/support.js';

const CASES = 30;

t.test(`tf.grad of conv2d with respect to the input: wasm equals cpu on ${CASES} seeded random cases`, async (t) => {
  const rng = createRandom(4001);
  for (let i = 0; i < CASES; i++) {
    const k = randomConvCase(rng, 'conv2d');
    const x = input(rng, k.xShape);
    const filter = input(rng, k.filterShape);
    const dy = input(rng, k.dyShape);
    const grad = () =>
      tf.grad((xx: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, tf.tensor4d(filter.values, k.filterShape), k.strides, k.pad).mul(tf.tensor4d(dy.values, k.dyShape)).sum())(
        tf.tensor4d(x.values, k.xShape),
      );
    assertClose(t, await runOn('wasm', grad), await runOn('cpu', grad), describeCase(k));
  }
});

t.test('the gradient goes through the Conv2DBackpropInput registered for wasm', async (t) => {
  await initWasmBackend();
  const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
  const f = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
  const grad = () => tf.grad((xx: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, f, 1, 'valid').sum())(x);
  const profile = await tf.profile(grad);
  t.ok(profile.kernelNames.includes('Conv2DBackpropInput'), `kernels run: ${profile.kernelNames.join(', ')}`);
  // 2x2 windows over 3x3: the centre pixel is read by all four taps (1+2+3+4),
  // corners by one each, edges by two.
  const dx = grad();
  t.same([...dx.dataSync()], [1, 3, 2, 4, 10, 6, 3, 7, 4]);
  tf.dispose([x, f, dx]);
});

const variants: Array<{ name: string; attrs: Record<string, unknown> }> = [
  { name: 'strides as one number', attrs: { strides: 2, pad: 'same' } },
  { name: 'strides 3x1, valid', attrs: { strides: [3, 1], pad: 'valid' } },
  { name: 'numeric pad, ceil rounding', attrs: { strides: 2, pad: 1, dimRoundingMode: 'ceil' } },
  { name: 'numeric pad, floor rounding', attrs: { strides: 3, pad: 2, dimRoundingMode: 'floor' } },
  { name: 'explicit uneven padding', attrs: { strides: [1, 2], pad: [[0, 0], [0, 3], [2, 1], [0, 0]] } },
];

t.test('runKernel attribute variants: wasm equals cpu', async (t) => {
  const rng = createRandom(4002);
  const xShape: [number, number, number, number] = [2, 10, 9, 3];
  const filterShape: [number, number, number, number] = [4, 3, 3, 2];
  for (const v of variants) {
    const attrs = { dataFormat: 'NHWC', inputShape: xShape, ...v.attrs } as unknown as { strides: number; pad: 'same'; dimRoundingMode?: 'ceil' };
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const inputs = { dy: input(rng, info.outShape), filter: input(rng, filterShape) };
    assertClose(t, await runKernelOn('wasm', 'Conv2DBackpropInput', inputs, attrs), await runKernelOn('cpu', 'Conv2DBackpropInput', inputs, attrs), v.name);
  }
});

t.test('NCHW is handed to the native wasm kernel and still equals cpu', async (t) => {
  const rng = createRandom(4003);
  const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 8] };
  const inputs = { dy: input(rng, [2, 4, 4, 4]), filter: input(rng, [3, 3, 3, 4]) };
  assertClose(t, await runKernelOn('wasm', 'Conv2DBackpropInput', inputs, attrs), await runKernelOn('cpu', 'Conv2DBackpropInput', inputs, attrs), 'NCHW');
});

t.test('a call leaves nothing behind', async (t) => {
  const rng = createRandom(4004);
  const attrs = { strides: 2, pad: 'valid', dataFormat: 'NHWC', inputShape: [2, 8, 8, 3] };
  await assertNoLeak(t, 'Conv2DBackpropInput', { dy: input(rng, [2, 3, 3, 4]), filter: input(rng, [3, 3, 3, 4]) }, attrs);
});

t.test('a dy of the wrong shape fails clearly and leaks nothing', async (t) => {
  await initWasmBackend();
  const dy = tf.zeros([1, 5, 5, 4]);
  const filter = tf.zeros([3, 3, 2, 4]);
  const before = { tensors: tf.memory().numTensors, buffers: backendBuffers() };
  t.throws(
    () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 6, 6, 2] }),
    { name: 'TrainingBackendError', code: 'DF_ERR_TRAIN_BACKEND', message: 'Conv2DBackpropInput: dy has shape [1, 5, 5, 4], expected [1, 6, 6, 4]' },
  );
  t.same({ tensors: tf.memory().numTensors, buffers: backendBuffers() }, before);
  tf.dispose([dy, filter]);
});

t.test('stride 1 onto 8 or 16 input channels (dy padded by the Conv2D, not copied): wasm equals cpu for every padding and filter size', async (t) => {
  const rng = createRandom(4005);
  const pads = ['same', 'valid', 1, 2, [[0, 0], [0, 2], [1, 0], [0, 0]], [[0, 0], [2, 1], [0, 1], [0, 0]]] as const;
  for (const [fh, fw] of [[3, 3], [1, 1], [2, 3], [5, 4]] as const) {
    for (const pad of pads) {
      const c = fh === 3 ? 16 : 8;
      const xShape: [number, number, number, number] = [2, 9, 8, c];
      const filterShape: [number, number, number, number] = [fh, fw, c, 8];
      const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, 1, pad as 'same');
      const inputs = { dy: input(rng, info.outShape), filter: input(rng, filterShape) };
      const attrs = { strides: 1, pad, dataFormat: 'NHWC', inputShape: xShape };
      const label = `x ${xShape.join('x')} filter ${filterShape.join('x')} pad ${JSON.stringify(pad)}`;
      assertClose(t, await runKernelOn('wasm', 'Conv2DBackpropInput', inputs, attrs), await runKernelOn('cpu', 'Conv2DBackpropInput', inputs, attrs), label);
    }
  }
});
