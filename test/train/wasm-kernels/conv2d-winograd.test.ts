/**
 * train_kernels.c's conv2d_winograd_3x3 (Winograd F(2x2, 3x3)), which
 * src/train/wasm-kernels/conv2d-forward.ts picks for 3x3 filters at stride 1
 * over a multiple of 4 input channels, against the cpu backend: seeded cases
 * of every size from 1 pixel (odd and even, so tiles cut at the edges),
 * 'same', 'valid', numeric and explicit padding, bias, ReLU; then the input
 * gradient of a 3x3 layer, which Conv2DBackpropInput runs as such a Conv2D;
 * and conv2d_filter_grad_winograd_3x3 (F(3x3, 2x2)), which
 * conv2d-backprop-filter.ts picks for the same filters with O % 8 == 0.
 * Every case also asserts that the Winograd path ran, so a change that routed
 * the cases elsewhere would fail here.
 */
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { convolutionCounts } from '../../../src/train/wasm-kernels/conv2d-forward.js';
import { assertClose, assertNoLeak, between, createRandom, input, runKernelOn, runOn, type Input } from './fixtures/support.js';

const CASES = 48;

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Runs `f` and returns its result with how many Winograd and direct convolutions it ran on wasm. */
async function counted<T>(f: () => Promise<T>): Promise<{ result: T; winograd: number; direct: number; winogradFilterGradient: number; directFilterGradient: number }> {
  const before = { ...convolutionCounts };
  const result = await f();
  return {
    result,
    winograd: convolutionCounts.winograd - before.winograd,
    direct: convolutionCounts.direct - before.direct,
    winogradFilterGradient: convolutionCounts.winogradFilterGradient - before.winogradFilterGradient,
    directFilterGradient: convolutionCounts.directFilterGradient - before.directFilterGradient,
  };
}

/** A random padding for a 3x3 filter, and an input size it fits. */
function randomPadding(rng: ReturnType<typeof createRandom>, h: number, w: number): { pad: Pad; hh: number; ww: number } {
  const u = rng.next();
  let pad: Pad;
  if (u < 0.4) pad = 'same';
  else if (u < 0.6) pad = 'valid';
  else if (u < 0.8) pad = between(rng, 0, 3);
  else pad = [[0, 0], [between(rng, 0, 3), between(rng, 0, 3)], [between(rng, 0, 3), between(rng, 0, 3)], [0, 0]];
  const extra = pad === 'same' ? 2 : pad === 'valid' ? 0 : typeof pad === 'number' ? 2 * pad : Math.min(pad[1][0] + pad[1][1], pad[2][0] + pad[2][1]);
  return { pad, hh: Math.max(h, 3 - extra), ww: Math.max(w, 3 - extra) };
}

t.test(`Conv2D and FusedConv2D, 3x3 stride 1: Winograd on wasm equals cpu on ${CASES} seeded cases`, async (t) => {
  const rng = createRandom(2101);
  for (let i = 0; i < CASES; i++) {
    const n = between(rng, 1, 2);
    const h = between(rng, 1, 13);
    const w = between(rng, 1, 13);
    const c = 4 * between(rng, 1, 8);
    const o = [8, 16, 24, 32][between(rng, 0, 3)]!;
    const { pad, hh, ww } = randomPadding(rng, h, w);
    const x = input(rng, [n, hh, ww, c]);
    const filter = input(rng, [3, 3, c, o]);
    const bias = input(rng, [o]);
    const fused = i % 3 !== 0;
    const activation = i % 2 === 0 ? 'relu' : 'linear';
    const label = `x ${n}x${hh}x${ww}x${c} filter 3x3x${c}x${o} pad ${JSON.stringify(pad)}${fused ? ` fused ${activation}${i % 5 === 4 ? ' no bias' : ''}` : ''}`;
    const kernel = fused ? 'FusedConv2D' : 'Conv2D';
    const attrs = { strides: 1, pad, dataFormat: 'NHWC', dilations: 1, ...(fused ? { activation } : {}) };
    const inputs: Record<string, Input> = fused && i % 5 !== 4 ? { x, filter, bias } : { x, filter };
    const wasm = await counted(() => runKernelOn('wasm', kernel, inputs, attrs));
    t.same({ winograd: wasm.winograd, direct: wasm.direct }, { winograd: 1, direct: 0 }, `${label}: ran on the Winograd path`);
    assertClose(t, wasm.result, await runKernelOn('cpu', kernel, inputs, attrs), label);
  }
});

t.test('a 3x3 layer with the sample model\'s channel counts trains through it: dx, dW and db equal cpu', async (t) => {
  const rng = createRandom(2102);
  for (const [h, c, o] of [[16, 16, 32], [12, 32, 64]] as const) {
    const x = input(rng, [2, h, h, c]);
    const f = input(rng, [3, 3, c, o]);
    const b = input(rng, [o]);
    const r = input(rng, [2, h, h, o]);
    // A loss linear in the layer's output (weights r), so the gradients stay of the inputs' scale.
    const grads = () =>
      tf.grads((xs: tf.Tensor, fs: tf.Tensor, bs: tf.Tensor) =>
        tf.fused.conv2d({ x: xs as tf.Tensor4D, filter: fs as tf.Tensor4D, strides: 1, pad: 'same', bias: bs, activation: 'relu' }).mul(tf.tensor(r.values, r.shape)).sum(),
      )([tf.tensor4d(x.values, x.shape as [number, number, number, number]), tf.tensor4d(f.values, f.shape as [number, number, number, number]), tf.tensor1d(b.values)]);
    const wasm = await counted(() => runOn('wasm', grads));
    // The forward convolution, and dx: a Conv2D of dy with the turned filter (o -> c channels).
    t.ok(wasm.winograd >= 2, `${h}x${h}x${c} -> ${o}: forward and input gradient on Winograd (${wasm.winograd} calls)`);
    t.equal(wasm.winogradFilterGradient, 1, `${h}x${h}x${c} -> ${o}: filter gradient on Winograd`);
    assertClose(t, wasm.result, await runOn('cpu', grads), `${h}x${h}x${c} -> ${o}: dx, dW, db`);
  }
});

t.test(`Conv2DBackpropFilter, 3x3 stride 1: Winograd on wasm equals cpu on ${CASES} seeded cases`, async (t) => {
  const rng = createRandom(2105);
  for (let i = 0; i < CASES; i++) {
    const n = between(rng, 1, 3);
    const { pad, hh, ww } = randomPadding(rng, between(rng, 1, 13), between(rng, 1, 13));
    const c = 4 * between(rng, 1, 8);
    const o = [8, 16, 24, 32][between(rng, 0, 3)]!;
    const filterShape: [number, number, number, number] = [3, 3, c, o];
    const xShape: [number, number, number, number] = [n, hh, ww, c];
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, 1, pad as 'same');
    const inputs = { x: input(rng, xShape), dy: input(rng, info.outShape) };
    const attrs = { strides: 1, pad, dataFormat: 'NHWC', filterShape };
    const label = `x ${xShape.join('x')} filter 3x3x${c}x${o} pad ${JSON.stringify(pad)}`;
    const wasm = await counted(() => runKernelOn('wasm', 'Conv2DBackpropFilter', inputs, attrs));
    t.same({ winograd: wasm.winogradFilterGradient, direct: wasm.directFilterGradient }, { winograd: 1, direct: 0 }, `${label}: ran on the Winograd path`);
    assertClose(t, wasm.result, await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs), label);
  }
});

t.test('a Winograd call leaves only its output behind (its scratch is freed)', async (t) => {
  const rng = createRandom(2103);
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'relu' };
  const inputs = { x: input(rng, [2, 9, 7, 8]), filter: input(rng, [3, 3, 8, 16]), bias: input(rng, [16]) };
  const run = await counted(() => assertNoLeak(t, 'FusedConv2D', inputs, attrs));
  t.equal(run.winograd, 1, 'on the Winograd path');
  const grad = await counted(() =>
    assertNoLeak(t, 'Conv2DBackpropFilter', { x: inputs.x, dy: input(rng, [2, 9, 7, 16]) }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 16] }),
  );
  t.equal(grad.winogradFilterGradient, 1, 'the filter gradient on the Winograd path');
});

t.test('cases Winograd does not take stay on the direct kernels: stride 2, 5x5, 6 input channels, 12 output channels', async (t) => {
  const rng = createRandom(2104);
  const cases: [string, number[], number[], object][] = [
    ['stride 2', [1, 9, 9, 8], [3, 3, 8, 8], { strides: 2, pad: 'same' }],
    ['5x5', [1, 9, 9, 8], [5, 5, 8, 8], { strides: 1, pad: 'same' }],
    ['6 input channels', [1, 9, 9, 6], [3, 3, 6, 8], { strides: 1, pad: 'same' }],
  ];
  for (const [label, xs, fs, a] of cases) {
    const inputs = { x: input(rng, xs), filter: input(rng, fs) };
    const attrs = { ...a, dataFormat: 'NHWC', dilations: 1 };
    const wasm = await counted(() => runKernelOn('wasm', 'Conv2D', inputs, attrs));
    t.same({ winograd: wasm.winograd, direct: wasm.direct }, { winograd: 0, direct: 1 }, `${label}: direct kernel`);
    assertClose(t, wasm.result, await runKernelOn('cpu', 'Conv2D', inputs, attrs), label);
  }
  // The filter gradient with O % 8 != 0 (O % 4 == 0 keeps conv2d_filter_grad).
  const inputs = { x: input(rng, [1, 9, 9, 8]), dy: input(rng, [1, 9, 9, 12]) };
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 12] };
  const wasm = await counted(() => runKernelOn('wasm', 'Conv2DBackpropFilter', inputs, attrs));
  t.same({ winograd: wasm.winogradFilterGradient, direct: wasm.directFilterGradient }, { winograd: 0, direct: 1 }, '12 output channels: direct filter gradient');
  assertClose(t, wasm.result, await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs), '12 output channels');
});
