/**
 * The choice between dicomflow's own WebAssembly build of a codec (wasm/own/,
 * made by wasm/own/build.sh from Debian's sources) and the cornerstone
 * package's build of it, shared by OpenJPEG, CharLS and libjpeg-turbo.
 *
 * By default the own build decodes, with the cornerstone build as the
 * fallback when the own one cannot be loaded (an engine without WebAssembly
 * SIMD or exceptions). An environment variable (DICOMFLOW_OPENJPEG,
 * DICOMFLOW_CHARLS, DICOMFLOW_LIBJPEG_TURBO) set to `own` or `cornerstone` chooses one; `own` then
 * fails instead of falling back. A fallback comes with one DF_WARN_CODEC_FALLBACK
 * warning per thread, on the first frame it decodes. decode.wasmDir names a folder of binaries
 * the user chose: the own build is used if the folder holds its binary, else
 * the cornerstone build's binary from that folder (missing there:
 * DF_ERR_CODEC_MISSING).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { DecodedFrame } from '../preprocess/types.js';
import type { Codec } from './types.js';
import { configuredWasmDir, type CodecModuleSpec, type ModuleLoader } from './wasm.js';

/** Which build decodes in this thread: 'own' (wasm/own/) or 'cornerstone'. */
export type CodecBuild = 'own' | 'cornerstone';

export interface BuildChoice {
  /** The codec that picks a build per call (same name as the two it chooses between). */
  codec: Codec;
  /** The build in use and, when the own one could not load, why (null otherwise). */
  build(): { build: CodecBuild; fallback: string | null };
}

/**
 * @example
 *   const { codec, build } = chooseBuild('DICOMFLOW_CHARLS', 'charls-simd.wasm', charlsOwn, charlsCornerstone);
 *   await codec.init(); build(); // -> { build: 'own', fallback: null }
 */
export function chooseBuild(envVar: string, ownWasmFile: string, own: Codec, cornerstone: Codec): BuildChoice {
  const wanted = (): CodecBuild | 'auto' => {
    const v = process.env[envVar];
    if (v === undefined || v === '' || v === 'auto') return 'auto';
    if (v === 'own' || v === 'cornerstone') return v;
    throw new ConfigError(`${envVar} is ${JSON.stringify(v)}: expected own, cornerstone or auto`, { stage: 'config', field: envVar });
  };
  /** The cornerstone build, before trying to load the own one: asked for, or what the wasm folder holds. */
  const cornerstoneChosen = (w: CodecBuild | 'auto'): boolean => {
    if (w !== 'auto') return w === 'cornerstone';
    const dir = configuredWasmDir();
    return dir !== null && !existsSync(join(dir, ownWasmFile));
  };
  let fallbackReason: string | null = null;

  const selecting = (ownCodec: Codec, cornerstoneCodec: Codec): Codec => {
    let chosen: Codec | undefined;
    let chosenFor = '';
    let warned = false;
    // A fallback the user did not ask for is said once per thread, with the first frame it decoded.
    const said = (codec: Codec, frame: DecodedFrame): DecodedFrame => {
      if (codec === cornerstoneCodec && fallbackReason !== null && !warned) {
        warned = true;
        const warning = {
          code: 'DF_WARN_CODEC_FALLBACK',
          message: `${ownCodec.name}: dicomflow's own build could not be loaded (${fallbackReason}); decoding with the cornerstone build (${envVar}=cornerstone makes that the choice)`,
          details: { codec: ownCodec.name },
        };
        frame.warnings = [...(frame.warnings ?? []), warning];
      }
      return frame;
    };
    const pick = async (): Promise<Codec> => {
      const w = wanted();
      const key = `${w} ${configuredWasmDir() ?? ''}`;
      if (chosen && chosenFor === key) return chosen;
      chosenFor = key;
      if (cornerstoneChosen(w)) return (chosen = cornerstoneCodec);
      try {
        await ownCodec.init();
        chosen = ownCodec;
      } catch (err) {
        if (w === 'own') throw err;
        fallbackReason = (err as Error).message;
        chosen = cornerstoneCodec;
      }
      return chosen;
    };
    return {
      name: ownCodec.name,
      fresh: () => selecting(ownCodec.fresh!(), cornerstoneCodec.fresh!()),
      async init() {
        await (await pick()).init();
      },
      async decode(bytes, d, options) {
        const codec = await pick();
        return said(codec, await codec.decode(bytes, d, options));
      },
      async decodeWith(bytes, d, options, use) {
        const codec = await pick();
        if (!codec.decodeWith) return use(said(codec, await codec.decode(bytes, d, options)));
        return codec.decodeWith(bytes, d, options, (frame) => use(said(codec, frame)));
      },
    };
  };

  return {
    codec: selecting(own, cornerstone),
    build() {
      const w = wanted();
      return { build: cornerstoneChosen(w) || (w === 'auto' && fallbackReason !== null) ? 'cornerstone' : 'own', fallback: fallbackReason };
    },
  };
}

/**
 * A loader that hands an own build's raw Emscripten module to `adapt`, which
 * gives it the cornerstone build's decoder-class interface.
 *
 * @example const load = adaptedLoader(loadCodecModule, adaptOwnCharls);
 */
export function adaptedLoader<R>(base: ModuleLoader, adapt: (raw: R) => unknown): ModuleLoader {
  return (async (spec: CodecModuleSpec) => adapt(await base<R>(spec))) as ModuleLoader;
}
