/** JPEG baseline 8-bit with libjpeg-turbo in WebAssembly. */
import { simpleCodec } from './emscripten.js';

export const LIBJPEG_TURBO = { glue: '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs', wasmFile: 'libjpegturbowasm.wasm' };
export const libjpegTurbo = simpleCodec('libjpeg-turbo', LIBJPEG_TURBO, 'JPEGDecoder', {
  planar: () => 0,
  // libjpeg converts YCbCr to RGB while decoding three-component frames (it decides
  // from the JFIF/Adobe markers and component ids, not from the DICOM label), so
  // colour output is RGB whether the file says YBR_FULL_422, YBR_FULL or RGB.
  photometric: (d) => (d.samplesPerPixel === 3 ? 'RGB' : d.photometricInterpretation),
});
