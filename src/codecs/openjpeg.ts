/** JPEG 2000 (lossless and lossy, Part 1) with OpenJPEG in WebAssembly. */
import { waveletCodec } from './wavelet.js';

export const OPENJPEG = { glue: '@cornerstonejs/codec-openjpeg/wasmjs', wasmFile: 'openjpegwasm.wasm' };
export const openjpeg = waveletCodec('openjpeg', OPENJPEG, 'J2KDecoder');
