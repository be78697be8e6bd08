/**
 * The encoder side of the @cornerstonejs codec modules, as this build
 * exposes it to JavaScript (Embind). The decoders live in src/codecs/; the
 * module specs are theirs, so both sides load the same binaries.
 *
 * Embind objects live in the WASM heap: every `new` needs a `delete()`, and
 * the typed arrays the getters return are views into that heap, valid only
 * until the next call that may allocate.
 */
export { OPENJPEG as OPENJPEG_SPEC } from '../codecs/openjpeg.js';
export { OPENJPH as OPENJPH_SPEC } from '../codecs/openjph.js';
export { CHARLS as CHARLS_SPEC } from '../codecs/charls.js';

/** The frame description the encoders take (Embind value object). */
export interface CodecFrameInfo {
  width: number;
  height: number;
  /** Bits per sample; 9..16 are read as 2 bytes per sample, little endian. */
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
  /** OpenJPH: apply the multi-component transform (OpenJPEG does for every 3-component image). */
  isUsingColorTransform: boolean;
}

export interface EmbindEncoder {
  /** Sizes the input buffer for `info` and returns it (a heap view) to be filled. */
  getDecodedBuffer(info: CodecFrameInfo): Uint8Array;
  encode(): void;
  /** The codestream of the last encode (a heap view). */
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}

/** OpenJPEG's J2KEncoder. */
export interface J2KEncoder extends EmbindEncoder {
  setDecompositions(levels: number): void;
  /** 0 LRCP, 1 RLCP, 2 RPCL, 3 PCRL, 4 CPRL. */
  setProgressionOrder(order: number): void;
  /** Reversible 5/3 wavelet when lossless, else 9/7; `layers` quality layers, each given a ratio. */
  setQuality(lossless: boolean, layers: number): void;
  /** Compression ratio of quality layer `layer`; 0 keeps everything. */
  setCompressionRatio(layer: number, ratio: number): void;
}

/** OpenJPH's HTJ2KEncoder. */
export interface HTJ2KEncoder extends EmbindEncoder {
  setDecompositions(levels: number): void;
  setProgressionOrder(order: number): void;
  /** Reversible when lossless; otherwise quantised with `quantizationStep` (a fraction of 2^bits). */
  setQuality(lossless: boolean, quantizationStep: number): void;
  /** Write a TLM (tile-part lengths) marker segment in the main header. */
  setTLMMarker(on: boolean): void;
  /** Start a new tile-part at every resolution. */
  setTilePartDivisionsAtResolutions(on: boolean): void;
}

/** CharLS's JpegLSEncoder. */
export interface JpegLSEncoder extends EmbindEncoder {
  /** NEAR: the largest absolute error allowed; 0 is lossless. */
  setNearLossless(near: number): void;
  /** 0 none (planar input), 1 line, 2 sample (pixel-interleaved input). */
  setInterleaveMode(mode: number): void;
}

export interface OpenJpegEncoders {
  J2KEncoder: new () => J2KEncoder;
}
export interface OpenJphEncoders {
  HTJ2KEncoder: new () => HTJ2KEncoder;
}
export interface CharlsEncoders {
  JpegLSEncoder: new () => JpegLSEncoder;
}
