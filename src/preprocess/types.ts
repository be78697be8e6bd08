/**
 * Contracts between decoding and preprocessing.
 *
 * A codec gives a DecodedFrame: the frame's stored values, exactly as the
 * DICOM standard defines them (sign-extended from BitsStored when
 * PixelRepresentation is 1, masked to BitsStored when it is 0), in the
 * narrowest typed array that holds BitsAllocated. 1-bit pixels come as a
 * Uint8Array of 0/1; Float and Double Float Pixel Data as a Float32Array of
 * the file's values (double floats narrowed), which may hold NaN or ±Infinity.
 * Preprocessing turns it into a model-ready sample following a PreprocessSpec.
 */
import type { MaskConfig } from './mask.js';

export type StoredArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

export interface DecodedFrame {
  /** Stored values. Color: interleaved (planarConfiguration 0) or planar (1) as `planarConfiguration` says. */
  pixels: StoredArray;
  width: number;
  height: number;
  samplesPerPixel: 1 | 3;
  planarConfiguration: 0 | 1;
  /**
   * Photometric interpretation of `pixels`, which can differ from the file's:
   * a JPEG codec that converts YCbCr to RGB while decoding reports 'RGB'.
   */
  photometricInterpretation: string;
  /**
   * What the codec noticed without failing: a frame decoded only in part (allowed by
   * decode.partial), a stream whose colour model disagrees with the DICOM label. The
   * pipeline reports each as a warning record.
   */
  warnings?: DecodeWarning[];
}

/** A problem with a frame that did not stop its decode. `code` is a stable DF_WARN_* string. */
export interface DecodeWarning {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type VoiSpec =
  | { mode: 'window'; center: number; width: number }
  | { mode: 'preset'; name: string }
  | { mode: 'file'; fallback?: 'minmax' | 'percentile' }
  | { mode: 'percentile'; low: number; high: number }
  | { mode: 'minmax' }
  | { mode: 'none' };

export interface PreprocessSpec {
  /** Output height and width; null keeps the frame's own size. */
  target: { height: number; width: number } | null;
  /** 'stretch' fills the target; 'pad' keeps the aspect ratio and pads with padValue. */
  resize: 'stretch' | 'pad';
  padValue: number;
  /** 1 = grayscale (color is converted to luminance), 3 = RGB (grayscale is replicated). */
  channels: 1 | 3;
  /** Apply RescaleSlope/Intercept (modality LUT) before VOI. */
  modalityLut: boolean;
  voi: VoiSpec;
  /** Invert MONOCHROME1 so that high values always mean dense. */
  invertMonochrome1: boolean;
  /** float32, or uint8 (VOI output in [0,1] scaled to 0..255 and rounded). */
  output: 'float32' | 'uint8';
  /** preprocess.mask, checked; resolved per file into the decode task's FrameMask. */
  mask?: MaskConfig | null;
}

/** A preprocessed sample, shape [height, width, channels], row-major, channels last. */
export interface Sample {
  data: Float32Array | Uint8Array;
  shape: [number, number, number];
}

/** A float image inside the preprocessing chain: interleaved, channels last. */
export interface FloatImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * `img` with other pixels: a literal of one fixed shape. An object spread
 * (`{ ...img, data }`) here made V8 deoptimise applyWindow at its return on
 * every frame in the decode workers ("wrong map"; --trace-deopt counted 573
 * bailouts in 576 frames of J2K 2048² -> 256²; with the literal, 1). The
 * bailout comes after the loop, so no change in throughput was measurable.
 *
 * @example withData(img, new Float32Array(img.data.length))
 */
export function withData(img: FloatImage, data: Float32Array): FloatImage {
  return { data, width: img.width, height: img.height, channels: img.channels };
}
