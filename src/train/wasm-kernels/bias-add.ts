/**
 * Add of a float32 tensor and a vector along its last axis for the wasm
 * backend: the bias of a conv or dense layer, which tfjs adds with a
 * separate Add whenever gradients are recorded (it fuses conv, bias and
 * ReLU only outside training). wasm's own Add computes every element's
 * broadcast index: 4.9 ms for the first layer's [16, 128, 128, 16] + [16]
 * (tf.profile, 16 images). train_kernels.c's bias_add runs it as rows of
 * SIMD adds.
 *
 * The same float additions, so the same numbers as wasm's and cpu's Add,
 * bit for bit (test/train/wasm-kernels/bias-add.test.ts).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { replacing } from './compose.js';
import { offset, simdKernels, type WasmHeapBackend } from './simd.js';

/** Whether `v` is a vector (rank 1, or ones before its last axis) as long as `x`'s last axis. */
function isBiasFor(v: TensorInfo, x: TensorInfo): boolean {
  const c = x.shape[x.shape.length - 1];
  return v.shape.length >= 1 && v.shape.length <= x.shape.length && v.shape[v.shape.length - 1] === c && v.shape.slice(0, -1).every((d) => d === 1);
}

/**
 * Add of float32 [..., C] and [C] (either order) with C % 4 == 0; every other
 * Add goes to `native`.
 *
 * @example
 *   registerKernel(biasAddConfig(getKernel('Add', 'wasm')));
 *   tf.add(convOut, bias); // [16, 128, 128, 16] + [16]
 */
export function biasAddConfig(native: KernelConfig): KernelConfig {
  return replacing(native, (args) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return native.kernelFunc(args);
    const [x, v] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
    const c = x.shape[x.shape.length - 1] ?? 0;
    const same = x.shape.length === v.shape.length && x.shape.every((d, i) => d === v.shape[i]);
    if (same || c % 4 !== 0 || c === 0 || !isBiasFor(v, x)) return native.kernelFunc(args);
    const simd = simdKernels(args.backend);
    if (!simd) return native.kernelFunc(args);
    const backend = args.backend as WasmHeapBackend;
    const out = backend.makeOutput(x.shape, 'float32');
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    if (rows > 0) simd.bias_add(offset(backend, x), offset(backend, v), offset(backend, out), rows, c);
    return out;
  });
}
