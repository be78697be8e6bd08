/**
 * dicomflow's own WebAssembly SIMD training kernels (wasm/own/train_kernels.c,
 * built by wasm/own/build-train-kernels.sh), instantiated on the tfjs wasm
 * backend's own memory: the module imports that WebAssembly.Memory, so a
 * kernel reads and writes tensors where the backend keeps them, by their
 * memoryOffset, and nothing is copied in or out.
 *
 * Why not wasm's own kernels: its BatchMatMul packs its second operand on
 * every call (it caches the packing by tensor id, and a gradient is a new
 * tensor each step). Packing dy of the first layer ([262144, 16], 8 images)
 * took 20 of the 24 ms of its filter-gradient GEMM. Its Sum over leading
 * axes transposes first, and its broadcasting Add and MaxPoolGrad are
 * scalar loops.
 *
 * The module has no memory of its own (no data, no stack; the build checks),
 * since every byte of the imported memory belongs to tfjs's allocator.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs';
import { TrainingBackendError } from '../../errors.js';

/** The WebAssembly globals used here: lib ES2022 and @types/node 20 do not declare them. */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmModule {
  readonly __module: never;
}
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
};

/** The build in wasm/own/, found by path (it ships in the package). */
const BINARY = fileURLToPath(new URL('../../../wasm/own/train-kernels.wasm', import.meta.url));

/** The exports of train_kernels.c; every pointer is a byte offset into the backend's memory. */
export interface SimdExports {
  conv2d_filter_grad(
    x: number, dy: number, dw: number,
    N: number, H: number, W: number, C: number, OH: number, OW: number, O: number,
    FH: number, FW: number, sh: number, sw: number, dh: number, dw_: number, top: number, left: number,
  ): void;
  max_pool_grad_2x2(x: number, dy: number, dx: number, N: number, H: number, W: number, C: number, OH: number, OW: number): void;
  sum_leading(x: number, out: number, rows: number, inner: number): void;
  bias_add(x: number, b: number, out: number, rows: number, C: number): void;
  equal_broadcast_middle(a: number, b: number, out: number, P: number, R: number, I: number): void;
  conv2d_forward(
    x: number, w: number, bias: number, out: number,
    N: number, H: number, W: number, C: number, OH: number, OW: number, O: number,
    FH: number, FW: number, sh: number, sw: number, top: number, left: number, relu: number,
  ): void;
  conv2d_filter_grad_winograd_3x3(
    x: number, dy: number, dw: number, ws: number,
    N: number, H: number, W: number, C: number, OH: number, OW: number, O: number, top: number, left: number,
  ): void;
  conv2d_winograd_3x3(
    x: number, w: number, bias: number, out: number, ws: number,
    N: number, H: number, W: number, C: number, OH: number, OW: number, O: number, top: number, left: number, relu: number,
  ): void;
}

/** What the kernels need of tfjs-backend-wasm's BackendWasm (not in its typings). */
export interface WasmHeapBackend extends KernelBackend {
  wasm: { asm?: { memory?: WasmMemory } };
  dataIdMap: { has(dataId: object): boolean; get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let module: WasmModule | null | undefined;
const instances = new WeakMap<WasmMemory, SimdExports>();

/**
 * The kernels, bound to `backend`'s memory, or `undefined` when they cannot
 * run there (the binary is missing, or this tfjs-backend-wasm does not
 * export its memory); callers then take their JavaScript path.
 *
 * @example
 *   const simd = simdKernels(backend);
 *   if (simd) simd.bias_add(offset(backend, x), offset(backend, b), offset(backend, out), rows, c);
 */
export function simdKernels(backend: object): SimdExports | undefined {
  const memory = (backend as WasmHeapBackend).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return undefined;
  const known = instances.get(memory);
  if (known) return known;
  if (module === undefined) {
    try {
      module = new WebAssembly.Module(readFileSync(BINARY));
    } catch {
      module = null;
    }
  }
  if (module === null) return undefined;
  let exports: SimdExports;
  try {
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
  } catch {
    // A LinkError: e.g. the threaded build's shared memory, which this module does not declare.
    return undefined;
  }
  instances.set(memory, exports);
  return exports;
}

/** Where `t`'s values start in the backend's memory, in bytes. */
export function offset(backend: object, t: TensorInfo): number {
  const map = (backend as WasmHeapBackend).dataIdMap;
  // has() first: get() of an unknown id would ask the engine to move it here.
  if (!map.has(t.dataId)) throw new TrainingBackendError('a tensor handed to a SIMD kernel is not on this wasm backend', { stage: 'train' });
  return map.get(t.dataId).memoryOffset;
}

/**
 * Runs `f` with scratch for `floats` float32 values in the backend's heap
 * (passed as its byte offset), and frees it afterwards, also when `f` throws.
 *
 * @example withScratch(backend, 16 * c * o, (ws) => simd.conv2d_winograd_3x3(..., ws, ...));
 */
export function withScratch<T>(backend: object, floats: number, f: (at: number) => T): T {
  const heap = backend as WasmHeapBackend;
  const ws = heap.makeOutput([floats], 'float32');
  try {
    return f(offset(backend, ws));
  } finally {
    heap.disposeData(ws.dataId);
  }
}
