import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { composeKernels } from '../../../src/train/wasm-kernels/compose.js';
import { initWasmBackend } from '../../../src/train/wasm-kernels/index.js';
import { backendBuffers, runComposition } from './fixtures/support.js';

// Importing the wasm backend makes it tfjs's first choice, and it starts
// asynchronously: no tensor can be made before it is up.
await initWasmBackend();

t.test('intermediates are freed and the result is kept', async (t) => {
  const x = tf.tensor2d([1, -2, 3, -4], [2, 2]);
  const r = await runComposition((call) => call('Relu', { x: call('Transpose', { x }, { perm: [1, 0] }) }), x);
  t.same(r.values, [1, 3, 0, 0]);
  t.equal(r.leftover, 0);
});

t.test('returning an input unchanged hands the engine its own reference', async (t) => {
  const x = tf.tensor1d([5, 6]);
  const r = await runComposition(() => x, x);
  t.same(r.values, [5, 6]);
  t.equal(r.leftover, 0, 'x itself is freed by its own dispose, not twice');
});

t.test('a throwing composition frees what it made', async (t) => {
  const x = tf.tensor1d([1, 2]);
  const before = backendBuffers();
  t.throws(() =>
    composeKernels(tf.engine().backend, (call) => {
      call('Neg', { x });
      throw new Error('boom');
    }),
  );
  t.equal(backendBuffers(), before);
  t.throws(() => composeKernels(tf.engine().backend, (call) => call('NoSuchKernel', { x })), { message: 'the wasm backend has no kernel NoSuchKernel to compose a training kernel from' });
  x.dispose();
});
