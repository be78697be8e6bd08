/**
 * JPEG 2000 (lossless and lossy, Part 1) with OpenJPEG in WebAssembly: by
 * default dicomflow's own SIMD build (wasm/own/, see openjpeg-own.ts), with
 * the cornerstone package's build as the fallback when the own one cannot be
 * loaded (an engine without WebAssembly SIMD). DICOMFLOW_OPENJPEG=cornerstone
 * or =own chooses one; "own" then fails instead of falling back (own-build.ts).
 */
import { adaptOwnOpenJpeg, OPENJPEG_OWN, type OwnOpenJpegRaw } from './openjpeg-own.js';
import { adaptedLoader, chooseBuild, type CodecBuild } from './own-build.js';
import type { Codec } from './types.js';
import { loadCodecModule, freshCodecModule } from './wasm.js';
import { waveletCodec } from './wavelet.js';

export const OPENJPEG = { glue: '@cornerstonejs/codec-openjpeg/wasmjs', binary: '@cornerstonejs/codec-openjpeg/wasm', wasmFile: 'openjpegwasm.wasm' };
export { OPENJPEG_OWN };

/** Which OpenJPEG build decodes J2K in this thread: 'own' (wasm/own/) or 'cornerstone'. */
export type OpenJpegBuild = CodecBuild;

export const openjpegCornerstone: Codec = waveletCodec('openjpeg', OPENJPEG, 'J2KDecoder');
export const openjpegOwn: Codec = waveletCodec('openjpeg', OPENJPEG_OWN, 'J2KDecoder', adaptedLoader<OwnOpenJpegRaw>(loadCodecModule, adaptOwnOpenJpeg), () => waveletCodec('openjpeg', OPENJPEG_OWN, 'J2KDecoder', adaptedLoader<OwnOpenJpegRaw>(freshCodecModule, adaptOwnOpenJpeg)));

const choice = chooseBuild('DICOMFLOW_OPENJPEG', OPENJPEG_OWN.wasmFile, openjpegOwn, openjpegCornerstone);

/** The build in use and, when the own one could not load, why (null otherwise). */
export function openjpegBuild(): { build: OpenJpegBuild; fallback: string | null } {
  return choice.build();
}

export const openjpeg: Codec = choice.codec;
