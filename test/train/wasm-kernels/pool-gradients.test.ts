/**
 * The JavaScript Equal (broadcast) and MaxPoolGrad that replace wasm's own
 * (src/train/wasm-kernels/pool-gradients.ts) give wasm's own numbers exactly,
 * and the cpu backend's, on seeded cases full of ties (values drawn from a
 * few integers, as ReLU outputs tie at 0), with NaN and -Infinity, odd sizes,
 * 'same' padding, overlapping and dilated-free windows.
 */
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
// The natives, taken before dicomflow's registrations replace them.
const NATIVE = { Equal: tf.getKernel('Equal', 'wasm')!, MaxPoolGrad: tf.getKernel('MaxPoolGrad', 'wasm')! };
const { initWasmBackend } = await import('../../../src/train/wasm-kernels/index.js');
const { createRandom } = await import('./fixtures/support.js');

type Run = { values: Float32Array | Int32Array | Uint8Array; shape: number[] };

async function run(backend: 'wasm' | 'cpu', kernel: string, inputs: Record<string, { values: Float32Array | Int32Array; shape: number[]; dtype?: 'float32' | 'int32' }>, attrs: object = {}): Promise<Run> {
  if (backend === 'wasm') await initWasmBackend();
  else await tf.setBackend('cpu');
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype ?? 'float32')]));
  const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const r = { values: (await out.data()) as Float32Array, shape: out.shape };
  tf.dispose([out, ...Object.values(tensors)]);
  return r;
}

/** The same call with wasm's own kernel registered for it. */
async function runNative(kernel: 'Equal' | 'MaxPoolGrad', inputs: Parameters<typeof run>[2], attrs: object = {}): Promise<Run> {
  await initWasmBackend();
  const ours = tf.getKernel(kernel, 'wasm')!;
  tf.unregisterKernel(kernel, 'wasm');
  tf.registerKernel(NATIVE[kernel]);
  try {
    return await run('wasm', kernel, inputs, attrs);
  } finally {
    tf.unregisterKernel(kernel, 'wasm');
    tf.registerKernel(ours);
  }
}

function sameValues(a: Run, b: Run): boolean {
  return a.shape.join() === b.shape.join() && a.values.length === b.values.length && a.values.every((v, i) => Object.is(v, b.values[i]));
}

/** Values from a few integers, with the odd NaN and -Infinity: many ties. */
function tied(rng: ReturnType<typeof createRandom>, n: number, special = true): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    v[i] = special && u < 0.01 ? NaN : special && u < 0.02 ? -Infinity : Math.floor(rng.next() * 4);
  }
  return v;
}

t.test('Equal with broadcasting: wasm own = ours = cpu, bit for bit', async (t) => {
  const rng = createRandom(77);
  const shapes: [number[], number[]][] = [
    [[8, 32, 32, 64], [8, 1, 1, 64]], // the global max pool's mask
    [[4, 5], [5]],
    [[3, 1, 4], [1, 2, 1]],
    [[2, 3, 4, 5], [1, 1, 1, 1]],
    [[1, 6, 1, 3], [2, 1, 5, 1]],
    [[7], [1]],
  ];
  for (const [sa, sb] of shapes) {
    for (const dtype of ['float32', 'int32'] as const) {
      const make = (s: number[]) => {
        const n = s.reduce((x, y) => x * y, 1);
        const f = tied(rng, n, dtype === 'float32');
        return { values: dtype === 'int32' ? Int32Array.from(f) : f, shape: s, dtype };
      };
      const inputs = { a: make(sa), b: make(sb) };
      const ours = await run('wasm', 'Equal', inputs);
      const native = await runNative('Equal', inputs);
      const cpu = await run('cpu', 'Equal', inputs);
      t.ok(sameValues(ours, native), `${sa} == ${sb} ${dtype}: ours = wasm's own`);
      t.ok(sameValues(ours, cpu), `${sa} == ${sb} ${dtype}: ours = cpu`);
      t.ok(ours.values.some((v) => v === 1) && ours.values.some((v) => v === 0), `${sa} == ${sb} ${dtype}: both outcomes occur`);
    }
  }
});

t.test('MaxPoolGrad: ours = cpu (first maximum; exactly without overlapping windows), ties, NaN and -Infinity included', async (t) => {
  const rng = createRandom(91);
  const cases: { x: number[]; filterSize: [number, number]; strides: [number, number]; pad: 'same' | 'valid' }[] = [
    { x: [8, 128, 128, 16], filterSize: [2, 2], strides: [2, 2], pad: 'valid' }, // the sample model's first pool
    { x: [2, 9, 11, 8], filterSize: [2, 2], strides: [2, 2], pad: 'valid' }, // SIMD kernel, a row and a column no window covers
    { x: [1, 6, 4, 12], filterSize: [2, 2], strides: [2, 2], pad: 'same' }, // SIMD kernel ('same' pads nothing here)
    { x: [2, 33, 31, 3], filterSize: [2, 2], strides: [2, 2], pad: 'same' },
    { x: [2, 17, 19, 4], filterSize: [3, 3], strides: [2, 2], pad: 'same' },
    { x: [1, 12, 10, 2], filterSize: [3, 3], strides: [1, 1], pad: 'same' },
    { x: [3, 9, 9, 5], filterSize: [3, 2], strides: [3, 2], pad: 'valid' },
  ];
  for (const k of cases) {
    const info = tf.backend_util.computePool2DInfo(k.x as [number, number, number, number], k.filterSize, k.strides, 1, k.pad);
    const n = k.x.reduce((a, b) => a * b, 1);
    const dyShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    const dyN = dyShape.reduce((a, b) => a * b, 1);
    const dy = Float32Array.from({ length: dyN }, () => rng.next() * 2 - 1);
    const inputs = { dy: { values: dy, shape: dyShape }, input: { values: tied(rng, n), shape: k.x } };
    const attrs = { filterSize: k.filterSize, strides: k.strides, pad: k.pad };
    const label = `${k.x} ${k.filterSize} /${k.strides} ${k.pad}`;
    const ours = await run('wasm', 'MaxPoolGrad', inputs, attrs);
    const cpu = await run('cpu', 'MaxPoolGrad', inputs, attrs);
    const overlap = k.filterSize[0] > k.strides[0] || k.filterSize[1] > k.strides[1];
    if (!overlap) t.ok(sameValues(ours, cpu), `${label}: ours = cpu, bit for bit`);
    else t.ok(ours.values.every((v, i) => Math.abs(v - cpu.values[i]!) <= 1e-6 * Math.max(1, Math.abs(cpu.values[i]!))), `${label}: ours = cpu within 1e-6 (overlapping windows add in another order)`);
    t.ok(ours.values.some((v) => v !== 0), `${label}: gradient reaches the input`);
    // Without ties and negative values (a pool after ReLU), wasm's own kernel agrees too.
    const relu = { dy: inputs.dy, input: { values: Float32Array.from({ length: n }, () => rng.next() + 0.001), shape: k.x } };
    const a = await run('wasm', 'MaxPoolGrad', relu, attrs);
    const native = await runNative('MaxPoolGrad', relu, attrs);
    t.ok(a.values.every((v, i) => Math.abs(v - native.values[i]!) <= 1e-6 * Math.max(1, Math.abs(native.values[i]!))), `${label}: ours = wasm's own on distinct positive values`);
  }
});

t.test("wasm's own MaxPoolGrad sends a negative window's gradient to its first pixel; ours to the maximum, as cpu does", async (t) => {
  const inputs = { dy: { values: Float32Array.of(1), shape: [1, 1, 1, 1] }, input: { values: Float32Array.of(-4, -3, -2, -1), shape: [1, 2, 2, 1] } };
  const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
  t.same(Array.from((await runNative('MaxPoolGrad', inputs, attrs)).values), [1, 0, 0, 0], "wasm's own: the first pixel");
  t.same(Array.from((await run('wasm', 'MaxPoolGrad', inputs, attrs)).values), [0, 0, 0, 1], 'ours: the maximum (-1)');
  t.same(Array.from((await run('cpu', 'MaxPoolGrad', inputs, attrs)).values), [0, 0, 0, 1], 'cpu: the maximum');
});

t.test('no tensor or wasm buffer is left behind', async (t) => {
  await initWasmBackend();
  const before = tf.memory().numTensors;
  const x = tf.tensor4d(tied(createRandom(3), 2 * 8 * 8 * 3, false), [2, 8, 8, 3]);
  const g = tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid').max([1, 2]).sum())(x);
  await g.data();
  tf.dispose([x, g]);
  t.equal(tf.memory().numTensors, before);
});
