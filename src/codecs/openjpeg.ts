/**
 * JPEG 2000 (lossless and lossy, Part 1) with OpenJPEG in WebAssembly: by
 * default dicomflow's own SIMD build (wasm/own/, see openjpeg-own.ts), with
 * the cornerstone package's build as the fallback when the own one cannot be
 * loaded (an engine without WebAssembly SIMD). DICOMFLOW_OPENJPEG=cornerstone
 * or =own chooses one; "own" then fails instead of falling back.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeError } from '../errors.js';
import { adaptOwnOpenJpeg, OPENJPEG_OWN, type OwnOpenJpegRaw } from './openjpeg-own.js';
import type { Codec } from './types.js';
import { configuredWasmDir, loadCodecModule, freshCodecModule, type CodecModuleSpec, type ModuleLoader } from './wasm.js';
import { waveletCodec } from './wavelet.js';

export const OPENJPEG = { glue: '@cornerstonejs/codec-openjpeg/wasmjs', binary: '@cornerstonejs/codec-openjpeg/wasm', wasmFile: 'openjpegwasm.wasm' };
export { OPENJPEG_OWN };

/** Which OpenJPEG build decodes J2K in this thread: 'own' (wasm/own/) or 'cornerstone'. */
export type OpenJpegBuild = 'own' | 'cornerstone';

function ownLoader(base: ModuleLoader): ModuleLoader {
  return (async (spec: CodecModuleSpec) => adaptOwnOpenJpeg(await base<OwnOpenJpegRaw>(spec))) as ModuleLoader;
}

export const openjpegCornerstone: Codec = waveletCodec('openjpeg', OPENJPEG, 'J2KDecoder');
export const openjpegOwn: Codec = waveletCodec('openjpeg', OPENJPEG_OWN, 'J2KDecoder', ownLoader(loadCodecModule), () => waveletCodec('openjpeg', OPENJPEG_OWN, 'J2KDecoder', ownLoader(freshCodecModule)));

function wanted(): OpenJpegBuild | 'auto' {
  const v = process.env.DICOMFLOW_OPENJPEG;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'own' || v === 'cornerstone') return v;
  throw new DecodeError(`DICOMFLOW_OPENJPEG is ${JSON.stringify(v)}: expected own, cornerstone or auto`, { stage: 'decode' });
}

let fallbackReason: string | null = null;

/** The build in use and, when the own one could not load, why (null otherwise). */
export function openjpegBuild(): { build: OpenJpegBuild; fallback: string | null } {
  const w = wanted();
  return { build: cornerstoneChosen(w) || (w === 'auto' && fallbackReason !== null) ? 'cornerstone' : 'own', fallback: fallbackReason };
}

/**
 * decode.wasmDir names a folder of binaries the user chose: J2K then uses the
 * own build if the folder holds openjpeg-simd.wasm, else the cornerstone
 * build's openjpegwasm.wasm from it (missing there: DF_ERR_CODEC_MISSING).
 */
function dirChoosesCornerstone(): boolean {
  const dir = configuredWasmDir();
  return dir !== null && !existsSync(join(dir, OPENJPEG_OWN.wasmFile));
}

/** The cornerstone build, before trying to load the own one: asked for, or what the wasm folder holds. */
function cornerstoneChosen(w: OpenJpegBuild | 'auto'): boolean {
  return w === 'cornerstone' || (w === 'auto' && dirChoosesCornerstone());
}

function selecting(own: Codec, cornerstone: Codec): Codec {
  let chosen: Codec | undefined;
  let chosenFor = '';
  const pick = async (): Promise<Codec> => {
    const w = wanted();
    const key = `${w} ${configuredWasmDir() ?? ''}`;
    if (chosen && chosenFor === key) return chosen;
    chosenFor = key;
    if (cornerstoneChosen(w)) return (chosen = cornerstone);
    try {
      await own.init();
      chosen = own;
    } catch (err) {
      if (w === 'own') throw err;
      fallbackReason = (err as Error).message;
      chosen = cornerstone;
    }
    return chosen;
  };
  return {
    name: 'openjpeg',
    fresh: () => selecting(own.fresh!(), cornerstone.fresh!()),
    async init() {
      await (await pick()).init();
    },
    async decode(bytes, d, options) {
      return (await pick()).decode(bytes, d, options);
    },
  };
}

export const openjpeg: Codec = selecting(openjpegOwn, openjpegCornerstone);
