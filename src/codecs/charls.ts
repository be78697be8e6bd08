/**
 * JPEG-LS (lossless and near-lossless) with CharLS in WebAssembly: by default
 * dicomflow's own build (wasm/own/, CharLS 2.0.0 from Debian's gdcm source
 * with wasm/own/charls-decoder.patch, see charls-own.ts), with the cornerstone
 * package's build (CharLS 2.4.4) as the fallback; DICOMFLOW_CHARLS=cornerstone
 * chooses that one.
 *
 * Why the own build: with the patch it decodes a 2048x2048 16-bit lossless
 * radiograph in 10-14% less time than either unpatched CharLS: the patch
 * turns two bit-counting loops of the per-sample path into WebAssembly's
 * i32.clz (and stops a table read past its array on damaged streams). Both
 * builds give the same samples on every test file
 * (test/codecs/charls-own.test.ts).
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

const choice = chooseBuild('DICOMFLOW_CHARLS', CHARLS_OWN.wasmFile, charlsOwn, charlsCornerstone);

/** The CharLS build in use and, when the own one could not load, why (null otherwise). */
export function charlsBuild(): { build: CodecBuild; fallback: string | null } {
  return choice.build();
}

export const charls: Codec = choice.codec;
