/**
 * Sum over the leading axes of a float32 tensor for the wasm backend: the
 * bias gradient of every conv and dense layer (dy summed over N, H, W).
 * wasm's own Sum reduces only innermost axes, so it transposes the whole of
 * dy first: 6.1 ms for the first layer's [16, 128, 128, 16] (tf.profile,
 * 16 images), 12 ms a step for the model's three biases. train_kernels.c's
 * sum_leading reads dy once, in place.
 *
 * The sums add rows in blocks of 256 and then the block sums, a different
 * order from wasm's (one running sum after the transpose) and cpu's: equal
 * within float tolerance, not bit for bit
 * (test/train/wasm-kernels/leading-sum.test.ts).
 */
import { backend_util, util, type KernelConfig, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs';
import { replacing } from './compose.js';
import { offset, simdKernels, type WasmHeapBackend } from './simd.js';

/**
 * Sum of float32 over axes 0..k-1 (k < rank) with the remaining size a
 * multiple of 4; every other Sum goes to `native`.
 *
 * @example
 *   registerKernel(leadingSumConfig(getKernel('Sum', 'wasm')));
 *   tf.sum(dy, [0, 1, 2]); // [16, 128, 128, 16] -> [16], in one pass
 */
export function leadingSumConfig(native: KernelConfig): KernelConfig {
  return replacing(native, (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    if (x.dtype !== 'float32' || x.shape.length === 0) return native.kernelFunc(args);
    const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
    const k = axes.length;
    if (k === 0 || k === x.shape.length || axes.some((a, i) => a !== i)) return native.kernelFunc(args);
    const rows = util.sizeFromShape(x.shape.slice(0, k));
    const inner = util.sizeFromShape(x.shape.slice(k));
    const simd = inner % 4 === 0 && rows > 0 ? simdKernels(args.backend) : undefined;
    if (!simd) return native.kernelFunc(args);
    const backend = args.backend as WasmHeapBackend;
    const shape = keepDims ? backend_util.expandShapeToKeepDim(x.shape.slice(k), axes) : x.shape.slice(k);
    const out = backend.makeOutput(shape, 'float32');
    simd.sum_leading(offset(backend, x), offset(backend, out), rows, inner);
    return out;
  });
}
