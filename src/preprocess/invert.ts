/**
 * MONOCHROME1 inversion: in MONOCHROME1 the minimum value is displayed white
 * (PS3.3 C.7.6.3.1.2). Inverting makes high values mean dense for every
 * grayscale image, so a model sees one convention.
 */
import { withData, type FloatImage } from './types.js';

/**
 * x -> (lo + hi) - x: reflects values inside [lo, hi] onto the same range.
 * After a VOI the range is [0, 1] and this is 1 - x. Without a VOI the
 * pipeline passes the range the modality LUT can produce from the stored
 * range (not the image's own min/max), so the same stored value inverts to
 * the same number in every image of a series. `out` may be `img.data`.
 *
 * @example
 *   invert({ data: Float32Array.of(0, 0.25, 1), width: 3, height: 1, channels: 1 }, 0, 1).data // [1, 0.75, 0]
 */
export function invert(img: FloatImage, lo: number, hi: number, out: Float32Array = new Float32Array(img.data.length)): FloatImage {
  if (out.length !== img.data.length) throw new RangeError(`out has ${out.length} elements, expected ${img.data.length}`);
  const src = img.data;
  const sum = lo + hi;
  for (let i = 0; i < src.length; i++) out[i] = sum - src[i]!;
  return withData(img, out);
}
