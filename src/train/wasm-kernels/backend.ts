/**
 * Starting the tfjs wasm backend in Node, offline.
 */
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { TrainingBackendError } from '../../errors.js';
import { activeWasmTrainingKernels, registerWasmTrainingKernels } from './register.js';

let ready: Promise<void> | undefined;

/**
 * Initialises the wasm backend, registers the training kernels it lacks
 * (`registerWasmTrainingKernels`) and makes it the active backend. Safe to
 * call more than once; later calls only switch back to wasm. Resolves to the
 * names of the kernels dicomflow provides on wasm (the same list on every
 * call, for logging).
 *
 * The .wasm binaries are read from the installed package's dist folder as
 * plain file paths, never fetched. (The package's Node build would find them
 * next to itself anyway; naming the folder keeps that true if this code is
 * bundled and the package's __dirname changes.) Node gets the SIMD binary
 * and runs single-threaded: tfjs disables wasm threads under Node.
 *
 * Importing this module registers the 'wasm' backend with tfjs at a higher
 * priority than 'cpu', so code that never calls tf.setBackend will pick wasm.
 *
 * @example
 *   await initWasmBackend(); // -> ['Conv2DBackpropFilter', ..., 'Conv2DBackpropInput']
 *   tf.getBackend(); // 'wasm'
 *   await tf.setBackend('cpu'); // switching back and forth is fine
 */
export async function initWasmBackend(): Promise<string[]> {
  ready ??= init();
  try {
    await ready;
  } catch (err) {
    ready = undefined; // let a later call retry
    throw err;
  }
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
    throw new TrainingBackendError('the tfjs wasm backend could not be activated', { stage: 'train' });
  }
  return activeWasmTrainingKernels();
}

async function init(): Promise<void> {
  registerWasmTrainingKernels();
  // Not guarded by tf.findBackend('wasm'): that call starts the backend's
  // initialisation itself, before the path could take effect. If the backend
  // is already up, setting the path is a harmless no-op. A trailing
  // separator, because tfjs appends the binary's file name to the prefix.
  setWasmPaths(packageDistFolder() + sep);
  if (!(await tf.setBackend('wasm'))) {
    throw new TrainingBackendError('the tfjs wasm backend failed to initialise (are the .wasm files in @tensorflow/tfjs-backend-wasm/dist?)', { stage: 'train' });
  }
}

function packageDistFolder(): string {
  const require = createRequire(import.meta.url);
  // "main" is dist/tf-backend-wasm.node.js, next to the .wasm binaries.
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}
