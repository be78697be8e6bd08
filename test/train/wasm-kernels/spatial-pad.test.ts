import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '../../../src/train/wasm-kernels/index.js';
import { padOrCrop } from '../../../src/train/wasm-kernels/spatial-pad.js';
import { runComposition } from './fixtures/support.js';

await initWasmBackend();

t.test('padOrCrop pads positive amounts with zeros and cuts negative ones', async (t) => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const r = await runComposition((call) => padOrCrop(call, x, { top: 1, bottom: 0, left: -1, right: 1 }), x);
  t.same(r.shape, [1, 3, 3, 1]);
  t.same(r.values, [0, 0, 0, 2, 3, 0, 5, 6, 0]);
  t.equal(r.leftover, 0);
});
