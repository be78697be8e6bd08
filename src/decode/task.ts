/** What crosses between the main thread and a decode worker. */
import type { PixelDescription } from '../dicom/description.js';
import type { SerializedError } from '../errors.js';
import type { DecodeWarning, PreprocessSpec } from '../preprocess/types.js';
import type { PartialPolicy } from '../codecs/errors.js';
import type { FrameMask } from '../preprocess/mask.js';

export interface DecodeTask {
  /** The encoded frame; its buffer is transferred to the worker, not copied. */
  bytes: Uint8Array;
  description: PixelDescription;
  spec: PreprocessSpec;
  frameIndex: number;
  /** For error messages. */
  file: string;
  /** Let J2K/HTJ2K decode straight to a resolution near the target. */
  subResolution: boolean;
  /**
   * The frame's bytes are a codestream prefix read for this resolution level
   * (EncodedFrame.prefix): the decode must reduce by exactly this many levels.
   */
  prefixLevel?: number;
  /** The frame read in part is cut short or damaged past the prefix (FramePrefix.damage): reported per decode.partial. */
  prefixDamage?: string;
  /** Regions to blank before preprocessing (preprocess.mask resolved for this file). */
  mask?: FrameMask;
  /** A frame decoded only in part: an error (default) or kept with a warning (decode.partial). */
  partial?: PartialPolicy;
  /**
   * Set by the pool: the worker writes the time it starts the task here, so
   * the decode time limit counts from the start of the decode, not from the
   * time the task waited in the queue.
   */
  started?: Float64Array;
}

export interface DecodeTiming {
  decodeMs: number;
  preprocessMs: number;
  /** Size the codec produced (smaller than the frame when sub-resolution decoding was used). */
  decodedWidth: number;
  decodedHeight: number;
  /** What the codec noticed without failing (serialised with the outcome; the pipeline reports them). */
  warnings?: DecodeWarning[];
}

export type DecodeOutcome =
  | ({ ok: true; data: Float32Array | Uint8Array; shape: [number, number, number] } & DecodeTiming)
  | { ok: false; error: SerializedError };
