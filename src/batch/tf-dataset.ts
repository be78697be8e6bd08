/**
 * Batches as a tf.data.Dataset of `{ xs, ys }` tensors for model.fitDataset.
 * tf is passed in, so the caller picks the backend (tfjs-node, wasm, cpu)
 * before any tensor exists. Each batch's tensors are created as the dataset
 * is iterated; fitDataset disposes them after the step, and a caller
 * iterating by hand disposes them itself.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Batch } from './batcher.js';

export type TfModule = typeof TF;

export function toTfDataset(source: AsyncIterable<Batch>, tf: TfModule): TF.data.Dataset<{ xs: TF.Tensor4D; ys: TF.Tensor1D }> {
  return tf.data.generator(() => {
    const it = source[Symbol.asyncIterator]();
    // tf.data accepts an iterator whose next() returns a promise.
    return {
      async next() {
        const r = await it.next();
        if (r.done) return { done: true, value: undefined };
        const b = r.value;
        return { done: false, value: { xs: tf.tensor4d(b.xs, b.shape), ys: tf.tensor1d(b.ys) } };
      },
    } as unknown as Iterator<{ xs: TF.Tensor4D; ys: TF.Tensor1D }>;
  });
}
