/** The contract every codec wrapper meets. */
import type { PixelDescription } from '../dicom/description.js';
import type { DecodedFrame } from '../preprocess/types.js';
import type { PartialPolicy } from './errors.js';

export interface DecodeOptions {
  /**
   * Wavelet codecs (J2K, HTJ2K) may decode straight to a lower resolution:
   * the smallest one still at least this size. Others ignore it.
   */
  atLeast?: { width: number; height: number } | null;
  /**
   * A frame the codec could decode only in part (a cut-short or damaged
   * codestream): 'error' (the default) fails it with DF_ERR_DECODE, 'allow'
   * keeps it with a DF_WARN_PARTIAL_DECODE warning.
   */
  partial?: PartialPolicy;
  /**
   * The bytes are a prefix of the codestream holding only the resolution
   * levels a decode reducing by this many needs (a prefix read): a wavelet
   * codec refuses to decode it at any other level, which would invent the
   * missing detail.
   */
  prefixLevel?: number;
  /** With prefixLevel: the rest of the frame, never read into `bytes`, is cut short or damaged (reported per `partial`). */
  prefixDamage?: string;
}

export interface Codec {
  /** Short name for messages and benchmarks. */
  readonly name: string;
  /** Loads the codec once per thread (lazily: decode() calls it too). */
  init(): Promise<void>;
  /** One encoded frame to stored values. Throws DecodeError on a bad codestream. */
  decode(bytes: Uint8Array, d: PixelDescription, options?: DecodeOptions): Promise<DecodedFrame>;
  /**
   * Decodes like decode() and hands the frame to `use`, returning what `use`
   * returns, without copying the samples out of the codec's memory: the
   * frame's pixels may be a view of the WebAssembly heap, valid only while
   * `use` runs. `use` must be synchronous, must not keep the pixels, and may
   * read them only (the decode worker preprocesses the frame there). An error
   * `use` throws comes out as it is, not as a DecodeError.
   */
  decodeWith?<T>(bytes: Uint8Array, d: PixelDescription, options: DecodeOptions, use: (frame: DecodedFrame) => T): Promise<T>;
  /**
   * The same codec on a WebAssembly instance of its own, sharing no state
   * with this one (for differential checks). Absent for codecs that keep no
   * state between frames.
   */
  fresh?(): Codec;
}

/** What Emscripten codecs report about a decoded frame. */
export interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}
