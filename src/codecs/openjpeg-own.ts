/**
 * dicomflow's own WebAssembly build of OpenJPEG (wasm/own/: built by
 * wasm/own/build.sh from Debian's openjpeg2 source, -O3 with SIMD128), behind
 * the same decoder interface as the cornerstone build's embind class, so the
 * wavelet codec drives either one.
 *
 * What it adds: OpenJPEG 2.5's non-strict mode. A codestream cut after the
 * packets of the resolution levels wanted (a prefix read) decodes at that
 * level to the same pixels as the whole codestream; the cornerstone build
 * refuses such a codestream.
 *
 * The C entry point (wasm/own/openjpeg_df.c) makes a codec, stream and image
 * per call and frees them before it returns: nothing of one frame is left
 * for the next but buffers this class frees in delete().
 */
import { OwnHeapDecoder, ownBuildSpec, type OwnHeapModule } from './own-heap.js';
import type { CodecModuleSpec } from './wasm.js';

/** The build in wasm/own/, found by path (it ships in the package, not in a dependency). */
export const OPENJPEG_OWN: CodecModuleSpec = ownBuildSpec('openjpeg-simd');

/** The raw Emscripten module: C functions and the heap. */
export interface OwnOpenJpegRaw extends OwnHeapModule {
  _df_decode(data: number, length: number, reduce: number, layers: number, strict: number, frame: number): number;
  _df_version(): number;
  UTF8ToString(p: number): string;
}

const STEPS: Record<number, string> = { [-1]: 'setting up the decoder', [-2]: 'reading the main header', [-3]: 'setting the resolution level', [-5]: 'decoding', [-6]: 'components of different sizes or precisions', [-7]: 'out of memory' };
/** sizeof(df_frame): eight 32-bit fields. */
const FRAME_BYTES = 32;

/**
 * One frame's decoder: the embind-like interface the wavelet codec uses.
 * `strict = false` lets a codestream that stops early decode what it holds.
 */
export class OwnJ2kDecoder extends OwnHeapDecoder {
  strict = true;

  constructor(private readonly raw: OwnOpenJpegRaw) {
    super(raw, FRAME_BYTES);
  }

  decode(): void {
    this.run(0, 0);
  }

  decodeSubResolution(level: number, layer: number): void {
    this.run(level, layer);
  }

  private run(reduce: number, layers: number): void {
    this.startDecode();
    const rc = this.raw._df_decode(this.input, this.inputLength, reduce, layers, this.strict ? 1 : 0, this.frame);
    const f = this.frameFields(FRAME_BYTES / 4);
    if (rc !== 0) throw new Error(`OpenJPEG failed ${STEPS[rc] ?? `with status ${rc}`}`);
    this.finishDecode({ width: f[0]!, height: f[1]!, componentCount: f[2]!, bitsPerSample: f[3]!, isSigned: f[4] === 1 }, f[6]! >>> 0, f[7]!);
  }
}

/** The module as the wavelet codec sees it: a decoder class under a name. */
export function adaptOwnOpenJpeg(m: OwnOpenJpegRaw): { J2KDecoder: new () => OwnJ2kDecoder; version: string } {
  return {
    J2KDecoder: class extends OwnJ2kDecoder {
      constructor() {
        super(m);
      }
    },
    version: m.UTF8ToString(m._df_version()),
  };
}
