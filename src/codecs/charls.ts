/** JPEG-LS (lossless and near-lossless) with CharLS in WebAssembly. */
import { simpleCodec } from './emscripten.js';
import { SOF, guardJpeg } from './jpeg-header.js';

export const CHARLS = { glue: '@cornerstonejs/codec-charls/wasmjs', binary: '@cornerstonejs/codec-charls/wasm', wasmFile: 'charlswasm.wasm' };
export const charls = simpleCodec('charls', CHARLS, 'JpegLSDecoder', {
  // SOF55 (ITU T.87 C.2.2) has the frame header layout of T.81's SOF.
  guard: (h, d) => guardJpeg(h, d, { codec: 'charls', maxPrecision: 16, sofs: [SOF.jpegLs] }),
  // CharLS returns samples in the stream's interleave mode: mode 0 ("none") is one plane per component.
  planar: (dec) => (dec.getInterleaveMode?.() === 0 ? 1 : 0),
  // JPEG-LS has no colour transform of its own (the HP extension is not used in DICOM).
  decodesPartial: false,
  photometric: (d) => ({ photometric: d.photometricInterpretation }),
});
