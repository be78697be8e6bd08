/**
 * JPEG baseline, extended 8-bit and progressive with libjpeg-turbo 2.1.5 in
 * WebAssembly: by default dicomflow's own build (wasm/own/, from Debian's
 * libjpeg-turbo source, see libjpeg-turbo-own.ts), with the cornerstone
 * package's build as the fallback when the own one cannot load;
 * DICOMFLOW_LIBJPEG_TURBO=cornerstone chooses the cornerstone build.
 *
 * Why the own build by default: it is faster or the same, never slower.
 * Decode only, one thread, each build warmed up with one untimed pass, seven
 * interleaved rounds, twice (bench/decode-jpeg-builds.mjs --rounds 7
 * --repeat 10, dcmcjpeg baseline at quality 90), own/cornerstone of the
 * medians: 0.88 and 0.95 on grey 512x512, 0.86 and 0.85 on RGB 512x512, 1.00
 * and 0.98 on grey 2048x2048, 0.85 and 0.93 on RGB 2048x2048. (With a warm-up
 * of one decode, grey 2048x2048 had come out 4-7% slower: the timed decodes
 * then still ran partly unoptimised.) Both builds give the same samples,
 * photometric and outcome on every test file and damaged stream
 * (test/codecs/libjpeg-turbo-own.test.ts).
 */
import type { PixelDescription } from '../dicom/description.js';
import type { DecodeWarning } from '../preprocess/types.js';
import { simpleCodec, type SimpleCodecOptions } from './emscripten.js';
import { SOF, guardJpeg, jpegColorModel, labelledColorModel, type JpegHeader } from './jpeg-header.js';
import { adaptOwnLibjpegTurbo, LIBJPEG_TURBO_OWN, type OwnLibjpegTurboRaw } from './libjpeg-turbo-own.js';
import { adaptedLoader, chooseBuild, type CodecBuild } from './own-build.js';
import type { Codec } from './types.js';
import { freshCodecModule, loadCodecModule } from './wasm.js';

export const LIBJPEG_TURBO = { glue: '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs', binary: '@cornerstonejs/codec-libjpeg-turbo-8bit/wasm', wasmFile: 'libjpegturbowasm.wasm' };
export { LIBJPEG_TURBO_OWN };

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

const options: SimpleCodecOptions = {
  // Process 1 is baseline; files labelled 4.50 that hold 8-bit extended or progressive frames decode the same way.
  guard: (h, d) => guardJpeg(h, d, { codec: 'libjpeg-turbo', maxPrecision: 8, sofs: [SOF.baseline, SOF.extended, SOF.progressive] }),
  planar: () => 0,
  decodesPartial: true,
  photometric: (d, h) => jpegColor('libjpeg-turbo', d, h),
  // libjpeg's JWRN_JPEG_EOF and JWRN_HIT_MARKER / JWRN_EXTRANEOUS_DATA: the rest of the frame is made up.
  // Neither build prints them today: TurboJPEG keeps libjpeg's messages to itself and fails the decode
  // after any warning, and the own build fails with the warning's text; both are a DF_ERR_DECODE.
  partialLine: /Premature end of JPEG|Corrupt JPEG data/i,
};

export const libjpegTurboCornerstone: Codec = simpleCodec('libjpeg-turbo', LIBJPEG_TURBO, 'JPEGDecoder', options);
export const libjpegTurboOwn: Codec = simpleCodec('libjpeg-turbo', LIBJPEG_TURBO_OWN, 'JPEGDecoder', options, adaptedLoader<OwnLibjpegTurboRaw>(loadCodecModule, adaptOwnLibjpegTurbo), adaptedLoader<OwnLibjpegTurboRaw>(freshCodecModule, adaptOwnLibjpegTurbo));

const choice = chooseBuild('DICOMFLOW_LIBJPEG_TURBO', LIBJPEG_TURBO_OWN.wasmFile, libjpegTurboOwn, libjpegTurboCornerstone);

/** The libjpeg-turbo build in use and, when the own one could not load, why (null otherwise). */
export function libjpegTurboBuild(): { build: CodecBuild; fallback: string | null } {
  return choice.build();
}

export const libjpegTurbo: Codec = choice.codec;
