/**
 * The bias Add of src/train/wasm-kernels/bias-add.ts (train_kernels.c's
 * bias_add): the same additions as the cpu backend's and wasm's own, so the
 * same numbers bit for bit; other shapes go to wasm's own Add.
 */
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak, createRandom, input, runKernelOn, type Input } from './fixtures/support.js';

function bitForBit(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

t.test('[..., C] + [C] in either order, C a multiple of 4: wasm = cpu bit for bit', async (t) => {
  const rng = createRandom(4001);
  const cases: [number[], number[]][] = [
    [[16, 128, 128, 16], [16]],
    [[2, 7, 5, 12], [12]],
    [[3, 8], [8]],
    [[4], [4]],
    [[2, 3, 4, 8], [1, 1, 1, 8]],
    [[2, 3, 8], [1, 8]],
  ];
  for (const [sa, sb] of cases) {
    const a: Input = input(rng, sa);
    const b: Input = input(rng, sb);
    a.values[0] = NaN;
    for (const [x, y, label] of [[a, b, `${sa} + ${sb}`], [b, a, `${sb} + ${sa}`]] as const) {
      const ours = await runKernelOn('wasm', 'Add', { a: x, b: y }, {});
      const cpu = await runKernelOn('cpu', 'Add', { a: x, b: y }, {});
      t.same(ours.shapes, cpu.shapes, `${label}: shape`);
      t.ok(bitForBit(ours.values[0]!, cpu.values[0]!), `${label}: values`);
    }
  }
});

t.test("other Adds go to wasm's own and agree: C not a multiple of 4, other broadcasts, int32", async (t) => {
  const rng = createRandom(4002);
  const cases: [number[], number[]][] = [
    [[2, 5, 3], [3]],
    [[2, 5, 8], [5, 1]],
    [[2, 5, 8], [2, 1, 8]],
    [[6], [1]],
  ];
  for (const [sa, sb] of cases) {
    const inputs = { a: input(rng, sa), b: input(rng, sb) };
    const ours = await runKernelOn('wasm', 'Add', inputs, {});
    const cpu = await runKernelOn('cpu', 'Add', inputs, {});
    t.same(ours.shapes, cpu.shapes, `${sa} + ${sb}: shape`);
    t.ok(bitForBit(ours.values[0]!, cpu.values[0]!), `${sa} + ${sb}: values`);
  }
  const s = tf.add(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4], 'int32'), tf.tensor1d([1, 1, 1, 1], 'int32'));
  t.equal(s.dtype, 'int32');
  t.same([...s.dataSync()], [2, 3, 4, 5, 6, 7, 8, 9]);
  s.dispose();
});

t.test('a call leaves only its output behind', async (t) => {
  const rng = createRandom(4003);
  await assertNoLeak(t, 'Add', { a: input(rng, [2, 5, 5, 8]), b: input(rng, [8]) }, {});
});
