/**
 * The Sum over leading axes of src/train/wasm-kernels/leading-sum.ts
 * (train_kernels.c's sum_leading) against the cpu backend, and the cases it
 * hands to wasm's own Sum.
 */
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { assertClose, assertNoLeak, createRandom, input, runKernelOn } from './fixtures/support.js';

t.test('Sum over leading axes: wasm equals cpu (inner sizes 4..68, with and without keepDims)', async (t) => {
  const rng = createRandom(3001);
  const cases: [number[], number[] | number][] = [
    [[16, 128, 128, 16], [0, 1, 2]], // the first layer's bias gradient
    [[3, 5, 7, 20], [0, 1, 2]],
    [[300, 8], [0]], // more rows than one block of 256
    [[2, 3, 36], [1, 0]],
    [[5, 4], 0],
    [[2, 3, 4, 68], [0, 1]],
    [[2, 3, 4, 4], [-4, -3, -2]],
  ];
  for (const [shape, axis] of cases) {
    for (const keepDims of [false, true]) {
      const inputs = { x: input(rng, shape) };
      const label = `${shape} over ${axis}${keepDims ? ' keepDims' : ''}`;
      assertClose(t, await runKernelOn('wasm', 'Sum', inputs, { axis, keepDims }), await runKernelOn('cpu', 'Sum', inputs, { axis, keepDims }), label);
    }
  }
});

t.test("what goes to wasm's own Sum still agrees: inner axes, an inner size not a multiple of 4, all axes, int32", async (t) => {
  const rng = createRandom(3002);
  const cases: [number[], number[]][] = [
    [[4, 6, 8], [1, 2]],
    [[4, 6, 8], [1]],
    [[5, 6, 3], [0, 1]],
    [[5, 6, 4], [0, 1, 2]],
  ];
  for (const [shape, axis] of cases) {
    const inputs = { x: input(rng, shape) };
    assertClose(t, await runKernelOn('wasm', 'Sum', inputs, { axis, keepDims: false }), await runKernelOn('cpu', 'Sum', inputs, { axis, keepDims: false }), `${shape} over ${axis}`);
  }
  const ints = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4], 'int32');
  const s = tf.sum(ints, 0);
  t.equal(s.dtype, 'int32');
  t.same([...s.dataSync()], [6, 8, 10, 12]);
  tf.dispose([ints, s]);
});

t.test('the bias gradient of tf.layers goes through it and leaves nothing behind', async (t) => {
  const rng = createRandom(3003);
  await assertNoLeak(t, 'Sum', { x: input(rng, [2, 5, 5, 8]) }, { axis: [0, 1, 2], keepDims: false });
  const profile = await tf.profile(() => tf.sum(tf.ones([2, 3, 3, 8]), [0, 1, 2]));
  t.ok(profile.kernelNames.includes('Sum'));
});
