/**
 * The Conv2D and FusedConv2D of src/train/wasm-kernels/conv2d-forward.ts
 * (train_kernels.c's conv2d_forward) against the cpu backend: seeded cases
 * with multiples of 8 output channels (the SIMD path) and others (wasm's own
 * kernel), every stride, 'same', 'valid', numeric and explicit padding,
 * inputs narrower than the filter.
 */
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { assertClose, assertNoLeak, between, createRandom, input, runKernelOn, type Input } from './fixtures/support.js';

const CASES = 40;

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

function randomCase(rng: ReturnType<typeof createRandom>): { x: Input; filter: Input; bias: Input; strides: [number, number]; pad: Pad; label: string } {
  const n = between(rng, 1, 2);
  const h = between(rng, 1, 11);
  const w = between(rng, 1, 11);
  const c = between(rng, 1, 6);
  const o = [8, 16, 24][between(rng, 0, 2)]!;
  const fh = between(rng, 1, 4);
  const fw = between(rng, 1, 4);
  const strides: [number, number] = [between(rng, 1, 3), between(rng, 1, 3)];
  const u = rng.next();
  let pad: Pad;
  if (u < 0.35) pad = 'same';
  else if (u < 0.6) pad = 'valid';
  else if (u < 0.8) pad = between(rng, 0, 4);
  else pad = [[0, 0], [between(rng, 0, 4), between(rng, 0, 4)], [between(rng, 0, 4), between(rng, 0, 4)], [0, 0]];
  // 'valid' (and too little padding) needs the filter to fit.
  const extra = pad === 'same' ? 99 : pad === 'valid' ? 0 : typeof pad === 'number' ? 2 * pad : Math.min(pad[1][0] + pad[1][1], pad[2][0] + pad[2][1]);
  const fhFit = Math.max(1, Math.min(fh, h + extra));
  const fwFit = Math.max(1, Math.min(fw, w + extra));
  const label = `x ${n}x${h}x${w}x${c} filter ${fhFit}x${fwFit}x${c}x${o} strides ${strides} pad ${JSON.stringify(pad)}`;
  return { x: input(rng, [n, h, w, c]), filter: input(rng, [fhFit, fwFit, c, o]), bias: input(rng, [o]), strides, pad, label };
}

t.test(`Conv2D: wasm equals cpu on ${CASES} seeded cases`, async (t) => {
  const rng = createRandom(2001);
  for (let i = 0; i < CASES; i++) {
    const k = randomCase(rng);
    const attrs = { strides: k.strides, pad: k.pad, dataFormat: 'NHWC', dilations: 1 };
    const inputs = { x: k.x, filter: k.filter };
    assertClose(t, await runKernelOn('wasm', 'Conv2D', inputs, attrs), await runKernelOn('cpu', 'Conv2D', inputs, attrs), k.label);
  }
});

t.test(`FusedConv2D with bias, linear and relu: wasm equals cpu on ${CASES} seeded cases`, async (t) => {
  const rng = createRandom(2002);
  for (let i = 0; i < CASES; i++) {
    const k = randomCase(rng);
    const activation = i % 2 === 0 ? 'relu' : 'linear';
    const attrs = { strides: k.strides, pad: k.pad, dataFormat: 'NHWC', dilations: 1, activation };
    const inputs: Record<string, Input> = i % 5 === 4 ? { x: k.x, filter: k.filter } : { x: k.x, filter: k.filter, bias: k.bias };
    assertClose(t, await runKernelOn('wasm', 'FusedConv2D', inputs, attrs), await runKernelOn('cpu', 'FusedConv2D', inputs, attrs), `${k.label} ${activation}`);
  }
});

t.test('cases handed to the native kernel still agree: 4 output channels, dilation 2, elu', async (t) => {
  // (Only 'same' here: wasm's own Conv2D is wrong for some numeric paddings, e.g. x 1x2x4x3,
  // filter 3x4x3x4, strides 2,3, pad 1, in tfjs-backend-wasm 4.22; conv2d_forward is not.)
  const rng = createRandom(2003);
  const x = input(rng, [2, 9, 9, 3]);
  const filter = input(rng, [3, 3, 3, 8]);
  const four = input(rng, [3, 3, 3, 4]);
  const same = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  assertClose(t, await runKernelOn('wasm', 'Conv2D', { x, filter: four }, same), await runKernelOn('cpu', 'Conv2D', { x, filter: four }, same), '4 output channels');
  const dilated = { ...same, dilations: 2 };
  assertClose(t, await runKernelOn('wasm', 'Conv2D', { x, filter }, dilated), await runKernelOn('cpu', 'Conv2D', { x, filter }, dilated), 'dilation 2');
  const elu = { ...same, activation: 'elu' };
  const bias = input(rng, [8]);
  assertClose(t, await runKernelOn('wasm', 'FusedConv2D', { x, filter, bias }, elu), await runKernelOn('cpu', 'FusedConv2D', { x, filter, bias }, elu), 'elu');
});

t.test('where wasm\'s own Conv2D is wrong (numeric padding past the input), this one equals cpu', async (t) => {
  const rng = createRandom(2007);
  const inputs = { x: input(rng, [1, 2, 4, 3]), filter: input(rng, [3, 4, 3, 8]) };
  const attrs = { strides: [2, 3], pad: 1, dataFormat: 'NHWC', dilations: 1 };
  assertClose(t, await runKernelOn('wasm', 'Conv2D', inputs, attrs), await runKernelOn('cpu', 'Conv2D', inputs, attrs), 'x 1x2x4x3 filter 3x4x3x8 strides 2,3 pad 1');
});

t.test('the sample model\'s layers, on its shapes (4 images)', async (t) => {
  const rng = createRandom(2004);
  for (const [h, c, o] of [[128, 1, 16], [64, 16, 32], [32, 32, 64]] as const) {
    const inputs = { x: input(rng, [4, h, h, c]), filter: input(rng, [3, 3, c, o]), bias: input(rng, [o]) };
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'relu' };
    assertClose(t, await runKernelOn('wasm', 'FusedConv2D', inputs, attrs), await runKernelOn('cpu', 'FusedConv2D', inputs, attrs), `${h}x${h}x${c} -> ${o}`);
  }
});

t.test('a call leaves only its output behind', async (t) => {
  const rng = createRandom(2005);
  const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'relu' };
  await assertNoLeak(t, 'FusedConv2D', { x: input(rng, [2, 9, 9, 3]), filter: input(rng, [3, 3, 3, 8]), bias: input(rng, [8]) }, attrs);
  await assertNoLeak(t, 'Conv2D', { x: input(rng, [2, 9, 9, 3]), filter: input(rng, [3, 3, 3, 8]) }, { ...attrs, activation: undefined });
});

t.test('tf.layers conv2d trains through it: gradients equal cpu', async (t) => {
  const rng = createRandom(2006);
  const x = input(rng, [2, 10, 10, 3]);
  const f = input(rng, [3, 3, 3, 16]);
  const b = input(rng, [16]);
  const grads = () =>
    tf.grads((xs: tf.Tensor, fs: tf.Tensor, bs: tf.Tensor) => tf.fused.conv2d({ x: xs as tf.Tensor4D, filter: fs as tf.Tensor4D, strides: 1, pad: 'same', bias: bs, activation: 'relu' }).square().sum())([
      tf.tensor4d(x.values, x.shape as [number, number, number, number]),
      tf.tensor4d(f.values, f.shape as [number, number, number, number]),
      tf.tensor1d(b.values),
    ]);
  const { runOn } = await import('./fixtures/support.js');
  assertClose(t, await runOn('wasm', grads), await runOn('cpu', grads), 'dx, dW, db');
});
