/**
 * The modality LUT (PS3.3 C.11.1): stored values to modality values (HU for
 * CT) by a linear rescale, and the range of values that can come out of it.
 */
import type { PixelDataKind, PixelDescription, Rescale } from '../dicom/description.js';
import { InvalidPixelDescriptionError, UnsupportedPixelFormatError } from '../errors.js';
import type { DecodedFrame, FloatImage, StoredArray } from './types.js';

export const IDENTITY_RESCALE: Readonly<Rescale> = Object.freeze({ slope: 1, intercept: 0 });

/**
 * The rescale that applies to one frame: the frame's own (enhanced
 * multi-frame functional groups) wins over the file-level one; a missing
 * slope or intercept is the identity's. Float pixel data usually has neither
 * (a Parametric Map's values are already the quantity), so it passes through
 * unchanged unless the file defines them.
 *
 * @example
 *   rescaleFor({ rescaleSlope: null, rescaleIntercept: -1024, frameRescale: null }, 0) // { slope: 1, intercept: -1024 }
 */
export function rescaleFor(d: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept' | 'frameRescale'>, frameIndex: number): Rescale {
  if (d.frameRescale !== null) {
    const r = d.frameRescale[frameIndex];
    // A per-frame table that does not cover this frame is a broken file; the
    // file-level value would be a guess that silently shifts HU.
    if (r === undefined) {
      throw new InvalidPixelDescriptionError(`per-frame rescale has ${d.frameRescale.length} entries, none for frame ${frameIndex}`, { frame: frameIndex });
    }
    return r;
  }
  return { slope: d.rescaleSlope ?? 1, intercept: d.rescaleIntercept ?? 0 };
}

/**
 * out[i] = stored[i] * slope + intercept, as float32. `out` may be passed to
 * reuse a buffer of the same length.
 *
 * @example
 *   applyModalityLut(Int16Array.of(0, 1000), { slope: 1, intercept: -1024 }) // Float32Array [-1024, -24]
 */
export function applyModalityLut(stored: StoredArray, rescale: Rescale, out: Float32Array = new Float32Array(stored.length)): Float32Array {
  const n = stored.length;
  if (out.length !== n) throw new RangeError(`out has ${out.length} elements, expected ${n}`);
  const { slope, intercept } = rescale;
  if (slope === 1 && intercept === 0) {
    for (let i = 0; i < n; i++) out[i] = stored[i]!;
  } else {
    for (let i = 0; i < n; i++) out[i] = stored[i]! * slope + intercept;
  }
  return out;
}

/**
 * A grayscale frame as a FloatImage of modality values, using the rescale of
 * `frameIndex` (see rescaleFor).
 *
 * @example
 *   modalityLut(frame, description, 0).data // HU for CT
 */
export function modalityLut(frame: DecodedFrame, d: Pick<PixelDescription, 'rescaleSlope' | 'rescaleIntercept' | 'frameRescale'>, frameIndex: number): FloatImage {
  return grayToFloat(frame, rescaleFor(d, frameIndex), frameIndex);
}

/**
 * A grayscale frame through `rescale` (the identity keeps stored values).
 *
 * @example
 *   grayToFloat(frame, IDENTITY_RESCALE).data // stored values as float32
 */
export function grayToFloat(frame: DecodedFrame, rescale: Rescale, frameIndex?: number): FloatImage {
  const n = frame.width * frame.height;
  if (frame.samplesPerPixel !== 1 || frame.pixels.length !== n) {
    throw new InvalidPixelDescriptionError(
      `grayscale frame of ${frame.width}x${frame.height} has ${frame.pixels.length} samples and samplesPerPixel ${frame.samplesPerPixel}, expected ${n} and 1`,
      frameIndex === undefined ? {} : { frame: frameIndex },
    );
  }
  return { data: applyModalityLut(frame.pixels, rescale), width: frame.width, height: frame.height, channels: 1 };
}

export interface ValueRange {
  min: number;
  max: number;
}

type RangeDesc = Pick<PixelDescription, 'bitsStored' | 'pixelRepresentation'> & { pixelData?: PixelDataKind };

/**
 * The smallest and largest stored value BitsStored and PixelRepresentation
 * allow (PS3.5 8.1.1): unsigned 0..2^b-1, two's complement -2^(b-1)..2^(b-1)-1;
 * 1-bit masks 0..1.
 *
 * Float pixel data has no such range (any IEEE value may occur), and this
 * refuses it with UnsupportedPixelFormatError rather than guess. The frame's
 * own min/max would be a guess that differs per frame: the one caller,
 * MONOCHROME1 inversion with voi 'none', reflects within this range precisely
 * so that one stored value inverts to the same number in every frame of a
 * series, which a per-frame range would silently break. With any VOI the
 * inversion works on [0, 1] and float MONOCHROME1 needs no stored range.
 *
 * @example
 *   storedRange({ bitsStored: 12, pixelRepresentation: 1 }) // { min: -2048, max: 2047 }
 */
export function storedRange(d: RangeDesc): ValueRange {
  if (d.pixelData === 'float32' || d.pixelData === 'float64') {
    throw new UnsupportedPixelFormatError(
      `${d.pixelData} pixel data has no stored range to invert MONOCHROME1 within when voi is 'none'; set preprocess.voi (for example minmax) or preprocess.invertMonochrome1 false`,
      { stage: 'decode' },
      { details: { pixelData: d.pixelData } },
    );
  }
  const b = d.bitsStored;
  return d.pixelRepresentation === 1 ? { min: -(2 ** (b - 1)), max: 2 ** (b - 1) - 1 } : { min: 0, max: 2 ** b - 1 };
}

/**
 * The stored range through a rescale; min/max swap when the slope is negative.
 * Refuses float pixel data, as storedRange does.
 *
 * @example
 *   modalityRange({ bitsStored: 12, pixelRepresentation: 0 }, { slope: 1, intercept: -1024 }) // { min: -1024, max: 3071 }
 */
export function modalityRange(d: RangeDesc, rescale: Rescale): ValueRange {
  const s = storedRange(d);
  const a = s.min * rescale.slope + rescale.intercept;
  const b = s.max * rescale.slope + rescale.intercept;
  return { min: Math.min(a, b), max: Math.max(a, b) };
}
