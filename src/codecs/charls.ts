/**
 * JPEG-LS (lossless and near-lossless) with CharLS in WebAssembly: by default
 * the cornerstone package's build (CharLS 2.4.4); DICOMFLOW_CHARLS=own
 * chooses dicomflow's own build (wasm/own/, CharLS 2.0.0 from Debian's gdcm
 * source, see charls-own.ts).
 *
 * Why not the own build by default: it is not faster (the peer bench's
 * codec-only rate on 2048x2048 lossless radiographs: 12.5-14.0 frames/s
 * against 12.2-13.9 for the cornerstone build, one thread, the same runs),
 * and it is an older CharLS; JPEG-LS decoding is serial, so the SIMD that
 * made the own OpenJPEG worth having gives CharLS nothing. Both builds give
 * the same samples on every test file (test/codecs/charls-own.test.ts).
 */
import { adaptOwnCharls, CHARLS_OWN, type OwnCharlsRaw } from './charls-own.js';
import { simpleCodec, type SimpleCodecOptions } from './emscripten.js';
import { SOF, guardJpeg } from './jpeg-header.js';
import { adaptedLoader, chooseBuild, type CodecBuild } from './own-build.js';
import type { Codec } from './types.js';
import { freshCodecModule, loadCodecModule } from './wasm.js';

export const CHARLS = { glue: '@cornerstonejs/codec-charls/wasmjs', binary: '@cornerstonejs/codec-charls/wasm', wasmFile: 'charlswasm.wasm' };
export { CHARLS_OWN };

const options: SimpleCodecOptions = {
  // SOF55 (ITU T.87 C.2.2) has the frame header layout of T.81's SOF.
  guard: (h, d) => guardJpeg(h, d, { codec: 'charls', maxPrecision: 16, sofs: [SOF.jpegLs] }),
  // CharLS returns samples in the stream's interleave mode: mode 0 ("none") is one plane per component.
  planar: (dec) => (dec.getInterleaveMode?.() === 0 ? 1 : 0),
  // JPEG-LS has no colour transform of its own (the HP extension is not used in DICOM).
  decodesPartial: false,
  photometric: (d) => ({ photometric: d.photometricInterpretation }),
};

export const charlsCornerstone: Codec = simpleCodec('charls', CHARLS, 'JpegLSDecoder', options);
export const charlsOwn: Codec = simpleCodec('charls', CHARLS_OWN, 'JpegLSDecoder', options, adaptedLoader<OwnCharlsRaw>(loadCodecModule, adaptOwnCharls), adaptedLoader<OwnCharlsRaw>(freshCodecModule, adaptOwnCharls));

const choice = chooseBuild('DICOMFLOW_CHARLS', CHARLS_OWN.wasmFile, charlsOwn, charlsCornerstone, 'cornerstone');

/** The CharLS build in use and, when the own one could not load, why (null otherwise). */
export function charlsBuild(): { build: CodecBuild; fallback: string | null } {
  return choice.build();
}

export const charls: Codec = choice.codec;
