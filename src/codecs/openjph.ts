/** High-Throughput JPEG 2000 (HTJ2K) with OpenJPH in WebAssembly. */
import { waveletCodec } from './wavelet.js';

export const OPENJPH = { glue: '@cornerstonejs/codec-openjph/wasmjs', binary: '@cornerstonejs/codec-openjph/wasm', wasmFile: 'openjphjs.wasm' };
export const openjph = waveletCodec('openjph', OPENJPH, 'HTJ2KDecoder');
