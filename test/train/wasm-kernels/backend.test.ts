import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../../../src/train/wasm-kernels/backend.js';

const ALL = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Conv2DBackpropInput',
  'Equal',
  'MaxPoolGrad',
  'Sum',
  'Add',
  'Identity',
  'Conv2D',
  'FusedConv2D',
];

t.test('initWasmBackend starts wasm from the installed package without fetching anything', async (t) => {
  const realFetch = globalThis.fetch;
  const fetched: string[] = [];
  globalThis.fetch = (async (url: string | URL | Request) => {
    fetched.push(String(url));
    throw new Error('no network in this test');
  }) as typeof fetch;
  let kernels: string[] = [];
  try {
    kernels = await initWasmBackend();
  } finally {
    globalThis.fetch = realFetch;
  }
  t.same(fetched, []);
  t.equal(tf.getBackend(), 'wasm');
  t.same(kernels, ALL, 'training kernels registered');
  const sum = tf.add(tf.tensor([1.5, 2]), tf.tensor([2, 3]));
  t.same([...sum.dataSync()], [3.5, 5], 'computes on wasm');
  sum.dispose();
});

t.test('calling it again, and switching wasm <-> cpu in one process, keeps working', async (t) => {
  const start = tf.memory().numTensors;
  t.same(await initWasmBackend(), ALL, 'the same list on every call');
  await initWasmBackend();
  t.equal(tf.getBackend(), 'wasm');
  const onWasm = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);

  t.ok(await tf.setBackend('cpu'));
  t.equal(tf.getBackend(), 'cpu');
  const onCpu = tf.tensor4d([10], [1, 1, 1, 1]);
  // A tensor made on wasm is moved to cpu when used there.
  const gradCpu = tf.grad((f: tf.Tensor) => tf.conv2d(onWasm, f as tf.Tensor4D, 1, 'valid').sum())(onCpu);
  t.same([...gradCpu.dataSync()], [10]);

  await initWasmBackend();
  t.equal(tf.getBackend(), 'wasm');
  const gradWasm = tf.grad((f: tf.Tensor) => tf.conv2d(onWasm, f as tf.Tensor4D, 1, 'valid').sum())(onCpu);
  t.same([...gradWasm.dataSync()], [10], 'and back: the wasm training kernel runs on data last used on cpu');

  tf.dispose([onWasm, onCpu, gradCpu, gradWasm]);
  t.equal(tf.memory().numTensors, start);
});
