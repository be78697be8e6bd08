/** JPEG 2000 (lossless and lossy, Part 1) with OpenJPEG in WebAssembly. */
import { waveletCodec } from './wavelet.js';

export const OPENJPEG = { glue: '@cornerstonejs/codec-openjpeg/wasmjs', binary: '@cornerstonejs/codec-openjpeg/wasm', wasmFile: 'openjpegwasm.wasm' };
export const openjpeg = waveletCodec('openjpeg', OPENJPEG, 'J2KDecoder');
