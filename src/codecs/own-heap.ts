/**
 * What dicomflow's own codec builds (wasm/own/) share around their C entry
 * points: the codestream copied into the module's heap, a frame struct the C
 * side fills, and the decoded pixels it allocates; all of it freed by
 * delete() (or by the next getEncodedBuffer), so nothing of one frame is
 * left for the next.
 */
import { fileURLToPath } from 'node:url';
import type { FrameInfo } from './types.js';
import type { CodecModuleSpec } from './wasm.js';

/**
 * Where an own build's glue and binary are: wasm/own/<name>.cjs and .wasm,
 * found by path (they ship in the package, not in a dependency).
 *
 * @example ownBuildSpec('charls-own').wasmFile // 'charls-own.wasm'
 */
export function ownBuildSpec(name: string): CodecModuleSpec {
  return {
    glue: fileURLToPath(new URL(`../../wasm/own/${name}.cjs`, import.meta.url)),
    binary: fileURLToPath(new URL(`../../wasm/own/${name}.wasm`, import.meta.url)),
    wasmFile: `${name}.wasm`,
    fixedPath: true,
  };
}

/** The part of an own build's Emscripten module every decoder uses. */
export interface OwnHeapModule {
  _df_malloc(n: number): number;
  _df_free(p: number): void;
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
}

/**
 * The buffers of one frame's decode. A subclass calls `startDecode()`, runs
 * its C entry point on `input`/`inputLength` and `frame`, and then
 * `finishDecode(info, pixels, bytes)`.
 */
export abstract class OwnHeapDecoder {
  protected input = 0;
  protected inputLength = 0;
  protected frame = 0;
  private pixels = 0;
  private pixelBytes = 0;
  private info: FrameInfo = { width: 0, height: 0, bitsPerSample: 0, componentCount: 0, isSigned: false };

  constructor(
    protected readonly m: OwnHeapModule,
    private readonly frameBytes: number,
  ) {}

  getEncodedBuffer(length: number): Uint8Array {
    this.release();
    this.input = this.m._df_malloc(length);
    if (this.input === 0) throw new Error(`out of memory for a ${length}-byte codestream`);
    this.inputLength = length;
    return this.m.HEAPU8.subarray(this.input, this.input + length);
  }

  /** Frees the last decode's output and allocates the frame struct. */
  protected startDecode(): void {
    if (this.input === 0) throw new Error('no codestream: call getEncodedBuffer first');
    this.freeOutput();
    this.frame = this.m._df_malloc(this.frameBytes);
    if (this.frame === 0) throw new Error('out of memory');
  }

  /** The frame struct's first `n` int32 fields (a fresh view: the heap may have grown). */
  protected frameFields(n: number): Int32Array {
    return this.m.HEAP32.subarray(this.frame >> 2, (this.frame >> 2) + n);
  }

  protected finishDecode(info: FrameInfo, pixels: number, bytes: number): void {
    this.info = info;
    this.pixels = pixels;
    this.pixelBytes = bytes;
  }

  getFrameInfo(): FrameInfo {
    return this.info;
  }

  getDecodedBuffer(): Uint8Array {
    return this.pixels === 0 ? new Uint8Array(0) : this.m.HEAPU8.subarray(this.pixels, this.pixels + this.pixelBytes);
  }

  delete(): void {
    this.release();
  }

  private freeOutput(): void {
    if (this.pixels !== 0) this.m._df_free(this.pixels);
    if (this.frame !== 0) this.m._df_free(this.frame);
    this.pixels = this.frame = this.pixelBytes = 0;
  }

  private release(): void {
    this.freeOutput();
    if (this.input !== 0) this.m._df_free(this.input);
    this.input = this.inputLength = 0;
  }
}
