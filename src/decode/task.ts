/** What crosses between the main thread and a decode worker. */
import type { PixelDescription } from '../dicom/description.js';
import type { SerializedError } from '../errors.js';
import type { PreprocessSpec } from '../preprocess/types.js';

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
}

export interface DecodeTiming {
  decodeMs: number;
  preprocessMs: number;
  /** Size the codec produced (smaller than the frame when sub-resolution decoding was used). */
  decodedWidth: number;
  decodedHeight: number;
}

export type DecodeOutcome =
  | ({ ok: true; data: Float32Array | Uint8Array; shape: [number, number, number] } & DecodeTiming)
  | { ok: false; error: SerializedError };
