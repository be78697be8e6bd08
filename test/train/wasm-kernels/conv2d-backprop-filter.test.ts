import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { DicomflowError } from '../../../src/errors.js';
import { initWasmBackend } from '../../../src/train/wasm-kernels/index.js';
import {
  assertClose,
  assertNoLeak,
  backendBuffers,
  between,
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

t.test(`multiples of 4 output channels (the SIMD kernel): wasm equals cpu on ${CASES} seeded cases`, async (t) => {
  const rng = createRandom(1004);
  for (let i = 0; i < CASES; i++) {
    const n = between(rng, 1, 2);
    const xShape: [number, number, number, number] = [n, between(rng, 1, 11), between(rng, 1, 11), between(rng, 1, 6)];
    const o = [4, 8, 12, 16][between(rng, 0, 3)]!;
    const u = rng.next();
    const pad = u < 0.4 ? 'same' : u < 0.6 ? 'valid' : u < 0.8 ? between(rng, 0, 4) : [[0, 0], [between(rng, 0, 4), between(rng, 0, 4)], [between(rng, 0, 4), between(rng, 0, 4)], [0, 0]];
    const fit = (f: number, size: number) => (pad === 'valid' ? Math.min(f, size) : f);
    const filterShape: [number, number, number, number] = [fit(between(rng, 1, 4), xShape[1]), fit(between(rng, 1, 4), xShape[2]), xShape[3], o];
    const strides: [number, number] = [between(rng, 1, 3), between(rng, 1, 3)];
    let info;
    try {
      info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad as 'same');
    } catch {
      continue;
    }
    if (info.outHeight <= 0 || info.outWidth <= 0) continue;
    const attrs = { strides, pad, dataFormat: 'NHWC', filterShape };
    const inputs = { x: input(rng, xShape), dy: input(rng, info.outShape) };
    const label = `x ${xShape.join('x')} filter ${filterShape.join('x')} strides ${strides} pad ${JSON.stringify(pad)}`;
    assertClose(t, await runKernelOn('wasm', 'Conv2DBackpropFilter', inputs, attrs), await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs), label);
  }
});

// Each value sums up to 2*128*128 products here: float32 accumulation (wasm) against the cpu
// backend's float64 loop differs by up to ~6e-4 absolute on values of ~100 (measured: 5.6e-4,
// 3.1e-4, 8.8e-5 for the three layers; the earlier BatchMatMul path 7.7e-4, 3.4e-4, 9.8e-5).
// So the bound is relative to the largest value, not to each one.
t.test("the sample model's three filter gradients, on its shapes (2 images): within 1e-5 of the largest value", async (t) => {
  const rng = createRandom(1005);
  for (const [h, c, o] of [[128, 1, 16], [64, 16, 32], [32, 32, 64]] as const) {
    const inputs = { x: input(rng, [2, h, h, c]), dy: input(rng, [2, h, h, o]) };
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, c, o] };
    const ours = (await runKernelOn('wasm', 'Conv2DBackpropFilter', inputs, attrs)).values[0]!;
    const cpu = (await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs)).values[0]!;
    const scale = cpu.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - cpu[i]!)), 0);
    t.ok(worst <= 1e-5 * scale, `${h}x${h}x${c} -> ${o}: worst difference ${worst.toExponential(2)}, largest value ${scale.toFixed(1)}`);
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
