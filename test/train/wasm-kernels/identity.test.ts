/**
 * Identity without a copy (src/train/wasm-kernels/identity.ts): the output
 * shares the input's buffer with one more reference, and either can be
 * disposed first.
 */
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../../../src/train/wasm-kernels/index.js';
import { backendBuffers } from './fixtures/support.js';

t.test('tf.clone shares the buffer; disposing either leaves the other intact; nothing leaks', async (t) => {
  await initWasmBackend();
  const before = { tensors: tf.memory().numTensors, buffers: backendBuffers() };
  const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const y = tf.clone(x);
  t.equal(backendBuffers(), before.buffers + 1, 'one buffer for both');
  x.dispose();
  t.same([...y.dataSync()], [1, 2, 3, 4], 'the clone outlives its source');
  const z = tf.clone(y);
  z.dispose();
  t.same([...y.dataSync()], [1, 2, 3, 4], 'and its own clones');
  y.dispose();
  t.same({ tensors: tf.memory().numTensors, buffers: backendBuffers() }, before);
  const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
  t.same(s.arraySync(), ['a', 'b'], 'strings go to the native kernel');
});

t.test('a variable made from a tensor and then assigned leaves the tensor unchanged', async (t) => {
  await initWasmBackend();
  const x = tf.tensor1d([1, 2, 3]);
  const v = tf.variable(x);
  v.assign(tf.tensor1d([7, 8, 9]));
  t.same([...x.dataSync()], [1, 2, 3]);
  t.same([...v.dataSync()], [7, 8, 9]);
  tf.dispose([x, v]);
});
