import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { DicomflowError } from '../../../src/errors.js';
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

t.test(`tf.grad of conv2d with respect to the filter: wasm equals cpu on ${CASES} seeded random cases`, async (t) => {
  const rng = createRandom(1001);
  for (let i = 0; i < CASES; i++) {
    const k = randomConvCase(rng, 'conv2d');
    const x = input(rng, k.xShape);
    const filter = input(rng, k.filterShape);
    const dy = input(rng, k.dyShape); // weights the output, so the gradient flowing in is dy
    const grad = () =>
      tf.grad((f: tf.Tensor) => tf.conv2d(tf.tensor4d(x.values, k.xShape), f as tf.Tensor4D, k.strides, k.pad).mul(tf.tensor4d(dy.values, k.dyShape)).sum())(
        tf.tensor4d(filter.values, k.filterShape),
      );
    assertClose(t, await runOn('wasm', grad), await runOn('cpu', grad), describeCase(k));
  }
});

t.test('the gradient goes through the Conv2DBackpropFilter registered for wasm', async (t) => {
  await initWasmBackend();
  const x = tf.ones([1, 6, 6, 2]) as tf.Tensor4D;
  const f = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
  const profile = await tf.profile(() => tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, 'same').sum())(f));
  t.ok(profile.kernelNames.includes('Conv2DBackpropFilter'), `kernels run: ${profile.kernelNames.join(', ')}`);
  // All-ones input and dy: each filter tap sums the input pixels it meets, e.g. the centre tap meets all 36 of each channel.
  const dW = tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, 'same').sum())(f);
  t.same((dW.arraySync() as number[][][][])[1]?.[1], [[36, 36], [36, 36]], 'centre tap');
  t.same((dW.arraySync() as number[][][][])[0]?.[0], [[25, 25], [25, 25]], 'corner tap misses one row and one column');
  tf.dispose([x, f, dW]);
});

// Attribute forms tf.conv2d's gradient never passes but the kernel accepts.
const variants: Array<{ name: string; attrs: Record<string, unknown> }> = [
  { name: 'strides as one number', attrs: { strides: 2, pad: 'same' } },
  { name: 'strides 1x3, valid', attrs: { strides: [1, 3], pad: 'valid' } },
  { name: 'numeric pad, ceil rounding (last window hangs past the padding)', attrs: { strides: 2, pad: 1, dimRoundingMode: 'ceil' } },
  { name: 'numeric pad, floor rounding', attrs: { strides: 2, pad: 1, dimRoundingMode: 'floor' } },
  { name: 'numeric pad, round rounding', attrs: { strides: 3, pad: 2, dimRoundingMode: 'round' } },
  { name: 'explicit uneven padding', attrs: { strides: 1, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] } },
  { name: 'explicit padding with strides 2x1', attrs: { strides: [2, 1], pad: [[0, 0], [0, 1], [2, 2], [0, 0]] } },
  { name: 'stride larger than the filter', attrs: { strides: 3, pad: 'same', filterShape: [2, 2, 3, 2] } },
];

t.test('runKernel attribute variants: wasm equals cpu', async (t) => {
  const rng = createRandom(1002);
  const xShape: [number, number, number, number] = [2, 9, 11, 3];
  for (const v of variants) {
    const attrs = { dataFormat: 'NHWC', filterShape: [3, 4, 3, 2], ...v.attrs } as Record<string, unknown> & { filterShape: [number, number, number, number] };
    const info = tf.backend_util.computeConv2DInfo(xShape, attrs.filterShape, attrs.strides as number, 1, attrs.pad as 'same', attrs.dimRoundingMode as 'ceil');
    const inputs = { x: input(rng, xShape), dy: input(rng, info.outShape) };
    assertClose(t, await runKernelOn('wasm', 'Conv2DBackpropFilter', inputs, attrs), await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs), v.name);
  }
});

t.test('a call leaves nothing behind', async (t) => {
  const rng = createRandom(1003);
  const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] };
  await assertNoLeak(t, 'Conv2DBackpropFilter', { x: input(rng, [2, 9, 9, 3]), dy: input(rng, [2, 5, 5, 4]) }, attrs);
});

t.test('NCHW and a dy of the wrong shape fail clearly and leak nothing', async (t) => {
  await initWasmBackend();
  const x = tf.zeros([1, 6, 6, 2]);
  const dy = tf.zeros([1, 6, 6, 4]);
  const before = { tensors: tf.memory().numTensors, buffers: backendBuffers() };
  t.throws(
    () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 4] }),
    { name: 'TrainingBackendError', code: 'DF_ERR_TRAIN_BACKEND', message: "Conv2DBackpropFilter on the wasm backend supports dataFormat 'NHWC' only (got 'NCHW')" },
  );
  t.throws(
    () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 4] }),
    { message: 'Conv2DBackpropFilter: dy has shape [1, 6, 6, 4], expected [1, 3, 3, 4]' },
  );
  t.same({ tensors: tf.memory().numTensors, buffers: backendBuffers() }, before);
  try {
    tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 4] });
  } catch (err) {
    t.ok(err instanceof DicomflowError, 'a DicomflowError');
    t.equal((err as DicomflowError).where.stage, 'train');
  }
  tf.dispose([x, dy]);
});
