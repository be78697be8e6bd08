/**
 * Picking the TensorFlow.js backend. `auto` takes tfjs-node when it loads
 * (an optional dependency: its install downloads libtensorflow, which fails
 * without internet), then wasm with dicomflow's training kernels, then cpu.
 * The choice and the reason are returned so they can be logged.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { parseWinograd } from './wasm-kernels/conv2d-forward.js';

export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';

export interface SelectedBackend {
  /** tfjs backend name: tensorflow, wasm or cpu. */
  name: string;
  /** Why this one: what was tried and failed first. */
  reason: string;
  /** Kernels dicomflow registered to make training possible on it. */
  registeredKernels: string[];
}

async function tryNode(): Promise<string | null> {
  try {
    // A variable specifier: the package is optional and usually absent.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return (await tf.setBackend('tensorflow')) ? null : 'tfjs-node loaded but its backend did not initialise';
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code === 'ERR_MODULE_NOT_FOUND' ? '@tensorflow/tfjs-node is not installed' : `@tensorflow/tfjs-node failed to load: ${e.message.split('\n')[0]}`;
  }
}

async function tryWasm(): Promise<{ error: string | null; kernels: string[] }> {
  try {
    const { initWasmBackend } = await import('./wasm-kernels/backend.js');
    // Registers dicomflow's gradient kernels too, and says which are in use.
    const kernels = await initWasmBackend();
    return (await tf.setBackend('wasm')) ? { error: null, kernels } : { error: 'the wasm backend did not initialise', kernels };
  } catch (err) {
    return { error: `the wasm backend failed: ${(err as Error).message.split('\n')[0]}`, kernels: [] };
  }
}

/**
 * Sets the tfjs backend.
 *
 * @example const b = await selectBackend('auto'); console.error(`backend: ${b.name} (${b.reason})`);
 */
export async function selectBackend(choice: BackendChoice): Promise<SelectedBackend> {
  const winograd = process.env.DICOMFLOW_WINOGRAD;
  if (parseWinograd(winograd) === undefined) {
    throw new ConfigError(`DICOMFLOW_WINOGRAD must be "on" or "off" (got ${JSON.stringify(winograd)})`, { stage: 'config', field: 'DICOMFLOW_WINOGRAD' });
  }
  const tried: string[] = [];
  if (choice === 'node' || choice === 'auto') {
    const err = await tryNode();
    if (err === null) return { name: 'tensorflow', reason: choice === 'node' ? 'asked for' : 'tfjs-node is installed', registeredKernels: [] };
    if (choice === 'node') throw new ConfigError(`train.backend "node": ${err}`, { stage: 'config', field: 'train.backend' });
    tried.push(err);
  }
  if (choice === 'wasm' || choice === 'auto') {
    const { error, kernels } = await tryWasm();
    if (error === null) {
      return { name: 'wasm', reason: choice === 'wasm' ? 'asked for' : `${tried.join('; ')}; wasm with dicomflow's training kernels`, registeredKernels: kernels };
    }
    if (choice === 'wasm') throw new ConfigError(`train.backend "wasm": ${error}`, { stage: 'config', field: 'train.backend' });
    tried.push(error);
  }
  await tf.setBackend('cpu');
  return { name: 'cpu', reason: choice === 'cpu' ? 'asked for' : `${tried.join('; ')}; falling back to the pure-JavaScript cpu backend`, registeredKernels: [] };
}
