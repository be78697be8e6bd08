/**
 * Gradient kernels that tfjs-backend-wasm 4.22 lacks, so tf.layers convnets
 * can train on the wasm backend instead of the ~20x slower pure-JS `cpu` one.
 *
 * Which kernels: everything a training step of conv2d (strides 1 and 2,
 * 'same'/'valid'), depthwiseConv2d/separableConv2d, batchNormalization,
 * relu, max/average/global-average pooling, dropout, dense+sigmoid with
 * binaryCrossentropy and adam asked the wasm backend for and did not find
 * (test/train/wasm-kernels/training.test.ts runs that model): Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput.
 * Conv2DBackpropInput is present but a scalar loop that made up 60% of a
 * training step, so it is replaced too (see conv2d-backprop-input.ts).
 *
 * Faster replacements for kernels wasm has (each hands the cases it does not
 * take back to wasm's own): Conv2D and FusedConv2D, Conv2DBackpropFilter's
 * NHWC path, MaxPoolGrad, Equal with broadcasting, Sum over leading axes and
 * the bias Add run as dicomflow's own WebAssembly SIMD kernels
 * (wasm/own/train_kernels.c, see simd.ts) on the backend's heap; Identity
 * shares its input's buffer. On the sample model (16 images, one thread)
 * they took the training step from 220-240 ms to 100-105
 * (bench/lib/train-run.mjs medians).
 *
 * The compositions call kernels wasm already has (Conv2D, Transpose, PadV2,
 * Reshape, Reverse, Sum) on the backend's own heap: no values pass through
 * JavaScript arrays.
 */
export { activeWasmTrainingKernels, registerWasmTrainingKernels } from './register.js';
export { initWasmBackend } from './backend.js';
