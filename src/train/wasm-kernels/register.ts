/**
 * The list of training kernels and their idempotent registration.
 */
// For its side effect: wasm's own kernels must be registered before we look
// for the ones it lacks and for the ones we replace.
import '@tensorflow/tfjs-backend-wasm';
import { Conv2DBackpropInput, getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { conv2dConfig, fusedConv2dConfig } from './conv2d-forward.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-backprop-input.js';
import { biasAddConfig } from './bias-add.js';
import { identityConfig } from './identity.js';
import { leadingSumConfig } from './leading-sum.js';
import { equalConfig, maxPoolGradConfig } from './pool-gradients.js';

/** Kernels tfjs-backend-wasm 4.22 does not have at all. */
const missingKernels: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
];

/** wasm kernels we replace with faster ones (each falls back to the native one outside its cases). */
const replacements: readonly [string, (native: KernelConfig) => KernelConfig][] = [
  [Conv2DBackpropInput, conv2dBackpropInputConfig],
  ['Equal', equalConfig],
  ['MaxPoolGrad', maxPoolGradConfig],
  ['Sum', leadingSumConfig],
  ['Add', biasAddConfig],
  ['Identity', identityConfig],
  ['Conv2D', conv2dConfig],
  ['FusedConv2D', fusedConv2dConfig],
];

/** kernelFuncs of the replacements registered so far. */
const ours = new WeakSet<KernelFunc>();

/**
 * Registers, for the 'wasm' backend, the training kernels it lacks and the
 * faster replacements, and returns the names of the kernels this call
 * registered. Idempotent: a kernel already registered by an earlier call is
 * left alone (as is one a later tfjs-backend-wasm might provide natively),
 * so a second call returns `[]`.
 *
 * Works before or after the backend is initialised; `initWasmBackend()`
 * calls it for you. Importing this module imports tfjs-backend-wasm, which
 * registers the 'wasm' backend at a higher priority than 'cpu'.
 *
 * @example
 *   registerWasmTrainingKernels();
 *   // -> ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter',
 *   //     'DepthwiseConv2dNativeBackpropInput', 'Conv2DBackpropInput', 'Equal',
 *   //     'MaxPoolGrad', 'Sum', 'Add', 'Identity', 'Conv2D', 'FusedConv2D']
 *   registerWasmTrainingKernels(); // -> []
 */
export function registerWasmTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const config of missingKernels) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) continue;
    registerKernel(config);
    registered.push(config.kernelName);
  }
  for (const [name, make] of replacements) {
    const native = getKernel(name, 'wasm');
    if (native === undefined || ours.has(native.kernelFunc)) continue;
    const faster = make(native);
    ours.add(faster.kernelFunc);
    // Unregister first: registering over a kernel logs a warning.
    unregisterKernel(name, 'wasm');
    registerKernel(faster);
    registered.push(name);
  }
  return registered;
}

/**
 * Names of the wasm kernels currently served by dicomflow's registrations,
 * whichever call registered them: for logging what a training run relies on.
 *
 * @example
 *   registerWasmTrainingKernels();
 *   registerWasmTrainingKernels(); // -> [] (nothing new)
 *   activeWasmTrainingKernels(); // -> the eleven names
 */
export function activeWasmTrainingKernels(): string[] {
  const names = missingKernels.filter((c) => getKernel(c.kernelName, 'wasm')?.kernelFunc === c.kernelFunc).map((c) => c.kernelName);
  for (const [name] of replacements) {
    const k = getKernel(name, 'wasm');
    if (k !== undefined && ours.has(k.kernelFunc)) names.push(name);
  }
  return names;
}
