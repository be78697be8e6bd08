/**
 * Runs kernels the wasm backend already has, at the backend level, so a
 * missing kernel can be written as a composition of them.
 *
 * This is the pattern tfjs uses for its own composite kernels (wasm's
 * BatchMatMul calls Reshape, StridedSlice calls Slice): call the other
 * kernel's `kernelFunc` with the same `backend`, get back a TensorInfo whose
 * data the backend owns with one reference, and release intermediates with
 * `backend.disposeData`. No Tensor objects are created, so nothing is
 * tracked by the engine or recorded on a gradient tape, and the engine wraps
 * the one TensorInfo we return in the output Tensor without copying it.
 */
import { getKernel, type KernelBackend, type KernelConfig, type KernelFunc, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs';
import { TrainingBackendError } from '../../errors.js';

/** Calls the wasm kernel `kernelName`; its result is released when the composition ends, unless returned. */
export type KernelCall = (kernelName: string, inputs: NamedTensorInfoMap, attrs?: NamedAttrMap) => TensorInfo;

/**
 * Runs `body`, giving it a `call` that executes wasm kernels, then disposes
 * every intermediate `call` produced except the TensorInfo `body` returns.
 * If `body` throws, every intermediate is disposed before the error goes on.
 *
 * Inputs handed to `call` are never disposed here: they belong to whoever
 * passed them in (for a kernel, the engine).
 *
 * @example
 *   const kernelFunc: KernelFunc = ({ inputs, backend }) =>
 *     composeKernels(backend as KernelBackend, (call) => {
 *       const t = call('Transpose', { x: inputs.x }, { perm: [1, 0] });
 *       return call('Relu', { x: t }); // `t` is freed, the Relu output is kept
 *     });
 */
export function composeKernels(backend: KernelBackend, body: (call: KernelCall) => TensorInfo): TensorInfo {
  const produced: TensorInfo[] = [];
  const call: KernelCall = (kernelName, inputs, attrs = {}) => {
    const kernel = getKernel(kernelName, 'wasm');
    if (kernel === undefined) {
      throw new TrainingBackendError(`the wasm backend has no kernel ${kernelName} to compose a training kernel from`, { stage: 'train' });
    }
    const out = kernel.kernelFunc({ inputs, attrs, backend });
    if (Array.isArray(out)) {
      // None of the kernels composed here has several outputs; refuse rather than leak the rest.
      for (const o of out) backend.disposeData(o.dataId);
      throw new TrainingBackendError(`kernel ${kernelName} returned ${out.length} outputs where one was expected`, { stage: 'train' });
    }
    produced.push(out);
    return out;
  };
  let result: TensorInfo | undefined;
  try {
    result = body(call);
    // Returning an input as is would hand the engine a reference it does not
    // own (a double free later); Reshape to the same shape adds one.
    if (!produced.includes(result)) result = call('Reshape', { x: result }, { shape: result.shape });
    return result;
  } finally {
    // A kernel may return an alias of its input (Reshape does, with its own
    // reference), so release by reference count, object by object.
    for (const t of produced) if (t !== result) backend.disposeData(t.dataId);
  }
}

/**
 * The registration of a kernel that replaces wasm's own `native` one: our
 * `kernelFunc` (which may hand cases back to native.kernelFunc), with the
 * native setup and dispose hooks kept, since the native path needs them.
 */
export function replacing(native: KernelConfig, kernelFunc: KernelFunc): KernelConfig {
  const config: KernelConfig = { kernelName: native.kernelName, backendName: 'wasm', kernelFunc };
  if (native.setupFunc) config.setupFunc = native.setupFunc;
  if (native.disposeFunc) config.disposeFunc = native.disposeFunc;
  return config;
}
