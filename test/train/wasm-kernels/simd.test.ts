/**
 * The SIMD kernel module (src/train/wasm-kernels/simd.ts): it shares the
 * wasm backend's memory and owns none, and is bound once per backend.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../../../src/train/wasm-kernels/index.js';
import { offset, simdKernels } from '../../../src/train/wasm-kernels/simd.js';

declare const WebAssembly: {
  Module: { new (bytes: Uint8Array): object; imports(m: object): { module: string; name: string; kind: string }[]; exports(m: object): { name: string; kind: string }[] };
};

t.test('the binary imports only the memory and exports only functions (no memory, globals or tables of its own)', async (t) => {
  const m = new WebAssembly.Module(readFileSync(new URL('../../../wasm/own/train-kernels.wasm', import.meta.url)));
  t.same(WebAssembly.Module.imports(m), [{ module: 'env', name: 'memory', kind: 'memory' }]);
  const exports = WebAssembly.Module.exports(m);
  t.ok(exports.length >= 6 && exports.every((e) => e.kind === 'function'), exports.map((e) => `${e.name}:${e.kind}`).join(', '));
});

t.test('bound to the backend, once; it writes a tensor in place', async (t) => {
  await initWasmBackend();
  const backend = tf.engine().backend;
  const simd = simdKernels(backend);
  t.ok(simd, 'available on the wasm backend');
  t.equal(simdKernels(backend), simd, 'the same instance on the next call');
  t.equal(simdKernels({}), undefined, 'undefined for something that is not a wasm backend');
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
  const b = tf.tensor1d([10, 20, 30, 40]);
  const out = tf.zeros([2, 4]);
  simd!.bias_add(offset(backend, x), offset(backend, b), offset(backend, out), 2, 4);
  t.same([...out.dataSync()], [11, 22, 33, 44, 15, 26, 37, 48]);
  t.throws(() => offset(backend, { dataId: {}, shape: [1], dtype: 'float32' }), { code: 'DF_ERR_TRAIN_BACKEND' });
  tf.dispose([x, b, out]);
});
