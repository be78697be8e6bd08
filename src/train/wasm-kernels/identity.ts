/**
 * Identity for the wasm backend without a copy. wasm's own Identity copies
 * its input into a new buffer: 3.9 ms a training step of the sample model
 * (tf.profile, 16 images; tf.layers runs it on the first two layers'
 * activations). Tensors on the backend are never written after they are
 * made, so the output can share the input's buffer with one more reference,
 * which is what the cpu and webgl backends' Identity and wasm's own Reshape
 * do.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { replacing } from './compose.js';

/**
 * Identity as a new reference to the same buffer; strings (kept in
 * JavaScript, not the heap) go to `native`.
 *
 * @example
 *   registerKernel(identityConfig(getKernel('Identity', 'wasm')));
 *   tf.clone(x); // no bytes copied
 */
export function identityConfig(native: KernelConfig): KernelConfig {
  return replacing(native, (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return native.kernelFunc(args);
    (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}
