/** JPEG baseline 8-bit with libjpeg-turbo in WebAssembly. */
import type { PixelDescription } from '../dicom/description.js';
import type { DecodeWarning } from '../preprocess/types.js';
import { simpleCodec } from './emscripten.js';
import { SOF, guardJpeg, jpegColorModel, labelledColorModel, type JpegHeader } from './jpeg-header.js';

export const LIBJPEG_TURBO = { glue: '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs', binary: '@cornerstonejs/codec-libjpeg-turbo-8bit/wasm', wasmFile: 'libjpegturbowasm.wasm' };

/**
 * The colour of a decoded three-component JPEG frame. The stream decides,
 * not the DICOM label: libjpeg reads the JFIF/Adobe markers and component
 * ids (see jpegColorModel), converts YCbCr to RGB and leaves RGB as it is,
 * so the output is RGB either way. A label that says otherwise (YBR_* over
 * an RGB stream, RGB over a YCbCr one) is reported as a warning.
 */
export function jpegColor(codec: string, d: PixelDescription, h: JpegHeader): { photometric: string; warning?: DecodeWarning } {
  const stream = jpegColorModel(h);
  const label = labelledColorModel(d.photometricInterpretation);
  if (label === null || label === stream.model) return { photometric: 'RGB' };
  return {
    photometric: 'RGB',
    warning: {
      code: 'DF_WARN_COLOR_MODEL',
      message: `the JPEG stream holds ${stream.model} (${stream.reason}) but PhotometricInterpretation is ${d.photometricInterpretation}: decoded as the stream says`,
      details: { codec, stream: stream.model, reason: stream.reason, label: d.photometricInterpretation },
    },
  };
}

export const libjpegTurbo = simpleCodec('libjpeg-turbo', LIBJPEG_TURBO, 'JPEGDecoder', {
  // Process 1 is baseline; files labelled 4.50 that hold 8-bit extended or progressive frames decode the same way.
  guard: (h, d) => guardJpeg(h, d, { codec: 'libjpeg-turbo', maxPrecision: 8, sofs: [SOF.baseline, SOF.extended, SOF.progressive] }),
  planar: () => 0,
  decodesPartial: true,
  photometric: (d, h) => jpegColor('libjpeg-turbo', d, h),
  // libjpeg's JWRN_JPEG_EOF and JWRN_HIT_MARKER / JWRN_EXTRANEOUS_DATA: the rest of the frame is made up.
  partialLine: /Premature end of JPEG|Corrupt JPEG data/i,
});
