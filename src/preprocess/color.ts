/**
 * Color frames to interleaved RGB float images. Which conversion runs is
 * decided by the DECODED frame's photometric interpretation, not the file's:
 * a JPEG codec that converts YCbCr while decoding reports 'RGB'.
 */
import { InvalidPixelDescriptionError, UnsupportedPixelFormatError, type Where } from '../errors.js';
import type { DecodedFrame, FloatImage, StoredArray } from './types.js';

/**
 * An RGB image with values in the stored range [0, 2^bits - 1], interleaved
 * (R G B R G B ...). `bits` is BitsStored: it sets the chroma offset
 * 2^(bits-1) of YBR_FULL and the clamp range.
 *
 * - RGB, planar or interleaved: values unchanged, reordered to interleaved.
 * - YBR_FULL: full-range BT.601 (PS3.3 C.7.6.3.1.2), clamped to [0, 2^bits - 1].
 * - YBR_FULL_422 with 2 samples per pixel (native, uncompressed): Y1 Y2 Cb Cr
 *   per horizontal pixel pair; chroma is replicated to both pixels, then
 *   converted as YBR_FULL. With 3 samples per pixel (a codec that upsampled
 *   chroma but did not convert) it is YBR_FULL.
 * - PALETTE COLOR and anything else: UnsupportedPixelFormatError.
 *
 * @example
 *   toRgb({ pixels: Uint8Array.of(100, 128, 128), width: 1, height: 1, samplesPerPixel: 3, planarConfiguration: 0, photometricInterpretation: 'YBR_FULL' }, 8).data
 *   // Float32Array [100, 100, 100]
 */
export function toRgb(frame: DecodedFrame, bits: number, frameIndex?: number): FloatImage {
  const where: Where = frameIndex === undefined ? {} : { frame: frameIndex };
  const { width, height, pixels } = frame;
  const n = width * height;
  const pi = frame.photometricInterpretation;
  const out = (data: Float32Array): FloatImage => ({ data, width, height, channels: 3 });

  if (pi === 'PALETTE COLOR') {
    throw new UnsupportedPixelFormatError('PALETTE COLOR images are not supported (the palette lookup tables are not applied)', where);
  }
  if (pi === 'YBR_FULL_422' && pixels.length === n * 2) {
    if (width % 2 !== 0) throw new UnsupportedPixelFormatError(`native YBR_FULL_422 needs an even number of columns (got ${width})`, where);
    return out(ybr422ToRgb(pixels, n, bits));
  }
  if (pi !== 'RGB' && pi !== 'YBR_FULL' && pi !== 'YBR_FULL_422') {
    throw new UnsupportedPixelFormatError(`photometric interpretation ${pi} is not supported for color frames (expected RGB, YBR_FULL or YBR_FULL_422)`, where);
  }
  if (frame.samplesPerPixel !== 3 || pixels.length !== n * 3) {
    throw new InvalidPixelDescriptionError(
      `${pi} frame of ${width}x${height} has ${pixels.length} samples and samplesPerPixel ${frame.samplesPerPixel}, expected ${n * 3} and 3`,
      where,
    );
  }
  // Planar stores all R, then all G, then all B; one index function covers both layouts.
  const planar = frame.planarConfiguration === 1;
  const s1 = planar ? n : 1;
  const s2 = planar ? 2 * n : 2;
  const step = planar ? 1 : 3;
  const data = new Float32Array(n * 3);
  if (pi === 'RGB') {
    for (let i = 0, j = 0, o = 0; i < n; i++, j += step, o += 3) {
      data[o] = pixels[j]!;
      data[o + 1] = pixels[j + s1]!;
      data[o + 2] = pixels[j + s2]!;
    }
    return out(data);
  }
  // YBR_FULL, or YBR_FULL_422 already upsampled by the codec.
  const half = 2 ** (bits - 1);
  const max = 2 ** bits - 1;
  for (let i = 0, j = 0, o = 0; i < n; i++, j += step, o += 3) {
    ybrPixel(pixels[j]!, pixels[j + s1]! - half, pixels[j + s2]! - half, max, data, o);
  }
  return out(data);
}

function ybr422ToRgb(pixels: StoredArray, n: number, bits: number): Float32Array {
  const half = 2 ** (bits - 1);
  const max = 2 ** bits - 1;
  const data = new Float32Array(n * 3);
  // Each pair of pixels is 4 samples Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2); pairs never span rows because width is even.
  for (let q = 0, j = 0, o = 0; q < n / 2; q++, j += 4, o += 6) {
    const cb = pixels[j + 2]! - half;
    const cr = pixels[j + 3]! - half;
    ybrPixel(pixels[j]!, cb, cr, max, data, o);
    ybrPixel(pixels[j + 1]!, cb, cr, max, data, o + 3);
  }
  return data;
}

/** Full-range BT.601 inverse (PS3.3 C.7.6.3.1.2); cb and cr are already centred on 0. */
function ybrPixel(y: number, cb: number, cr: number, max: number, data: Float32Array, o: number): void {
  data[o] = clamp(y + 1.402 * cr, max);
  data[o + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr, max);
  data[o + 2] = clamp(y + 1.772 * cb, max);
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}
