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
 * MaxPoolGrad and AvgPoolGrad are present and left alone.
 *
 * Each kernel is a composition of kernels wasm already has (Conv2D,
 * DepthwiseConv2dNative, Transpose, PadV2, Reshape, Reverse, Sum), run on
 * the backend's own heap: no values pass through JavaScript arrays.
 */
export { activeWasmTrainingKernels, registerWasmTrainingKernels } from './register.js';
export { initWasmBackend } from './backend.js';
