/**
 * Resampling to the model's input size, separately per axis:
 * - shrinking: exact area averaging (box filter with fractional coverage, as
 *   OpenCV INTER_AREA / PIL BOX), so every output pixel is the mean of the
 *   source area it covers and the image mean is preserved;
 * - growing: bilinear with half-pixel centres (align_corners=false);
 * - same size: copied through untouched (no blur).
 * One axis may shrink while the other grows.
 */
import type { FloatImage } from './types.js';

/** Where a fitted image sits inside the target. */
export interface Placement {
  height: number;
  width: number;
  top: number;
  left: number;
}

export interface ResizeOptions {
  /** 'stretch' (default) fills the target; 'pad' keeps the aspect ratio, centres, and fills the rest with padValue. */
  fit?: 'stretch' | 'pad';
  padValue?: number;
}

/**
 * The largest size with the source's aspect ratio that fits in the target
 * (each side rounded, at least 1), centred (extra pixel of odd padding goes
 * to the bottom/right).
 *
 * @example
 *   fitInside(100, 50, 64, 64) // { height: 64, width: 32, top: 0, left: 16 }
 */
export function fitInside(srcHeight: number, srcWidth: number, height: number, width: number): Placement {
  const scale = Math.min(height / srcHeight, width / srcWidth);
  const h = Math.min(height, Math.max(1, Math.round(srcHeight * scale)));
  const w = Math.min(width, Math.max(1, Math.round(srcWidth * scale)));
  return { height: h, width: w, top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2) };
}

/**
 * The image resampled to height x width (see the file comment for the
 * filters). Returns the input itself when nothing changes.
 *
 * @example
 *   resize({ data: Float32Array.of(1, 3, 5, 7), width: 4, height: 1, channels: 1 }, 1, 2).data // [2, 6]
 *   resize(img100x50, 64, 64, { fit: 'pad', padValue: 0 }) // 64x32 image centred, 16 columns of 0 each side
 */
export function resize(img: FloatImage, height: number, width: number, options: ResizeOptions = {}): FloatImage {
  checkSize(height, width);
  const fit = options.fit ?? 'stretch';
  const p: Placement = fit === 'pad' ? fitInside(img.height, img.width, height, width) : { height, width, top: 0, left: 0 };
  if (p.height === img.height && p.width === img.width) {
    return height === img.height && width === img.width ? img : pad(img, height, width, options.padValue ?? 0);
  }
  const data = new Float32Array(height * width * img.channels);
  if (p.height !== height || p.width !== width) data.fill(options.padValue ?? 0);
  resampleInto(img, data, width, p);
  return { data, width, height, channels: img.channels };
}

/**
 * The image centred in a height x width canvas filled with `value` (placement
 * as fitInside). Throws if the image is larger than the canvas.
 *
 * @example
 *   pad({ data: Float32Array.of(5), width: 1, height: 1, channels: 1 }, 1, 3, 0).data // [0, 5, 0]
 */
export function pad(img: FloatImage, height: number, width: number, value: number): FloatImage {
  checkSize(height, width);
  if (img.height > height || img.width > width) throw new RangeError(`cannot pad a ${img.height}x${img.width} image to ${height}x${width}`);
  if (img.height === height && img.width === width) return img;
  const c = img.channels;
  const data = new Float32Array(height * width * c).fill(value);
  const top = Math.floor((height - img.height) / 2);
  const left = Math.floor((width - img.width) / 2);
  const rowLen = img.width * c;
  for (let y = 0; y < img.height; y++) {
    data.set(img.data.subarray(y * rowLen, (y + 1) * rowLen), ((top + y) * width + left) * c);
  }
  return { data, width, height, channels: c };
}

/** Source taps of each output index along one axis: taps of o are source first[o] .. first[o]+count[o]-1 with weight[offset[o] + k]. */
export interface Taps {
  first: Int32Array;
  count: Int32Array;
  offset: Int32Array;
  weight: Float64Array;
}

/** Shared with the fused pass (fused.ts), so both use the same float64 weights. */
export function axisTaps(src: number, dst: number): Taps {
  const first = new Int32Array(dst);
  const count = new Int32Array(dst);
  const offset = new Int32Array(dst);
  // Shrinking: at most src + dst taps in all; growing or equal: at most 2 per output.
  const weight = new Float64Array(src + 2 * dst);
  let k = 0;
  for (let o = 0; o < dst; o++) {
    offset[o] = k;
    if (dst < src) {
      // Output o covers source [o*src/dst, (o+1)*src/dst). In units of 1/dst every bound is an
      // integer, so coverages are exact: pixel i covers [i*dst, (i+1)*dst), o covers [o*src, (o+1)*src).
      const a = o * src;
      const b = a + src;
      const i0 = Math.floor(a / dst);
      const i1 = Math.ceil(b / dst);
      first[o] = i0;
      count[o] = i1 - i0;
      for (let i = i0; i < i1; i++) weight[k++] = (Math.min((i + 1) * dst, b) - Math.max(i * dst, a)) / src;
    } else if (dst > src) {
      // Centre of output o in source pixels: (o + 0.5) * src/dst - 0.5 = num/den, kept as integers.
      const num = (2 * o + 1) * src - dst;
      const den = 2 * dst;
      const i0 = num <= 0 ? 0 : Math.floor(num / den);
      const rem = num <= 0 ? 0 : num - i0 * den;
      if (i0 >= src - 1 || rem === 0) {
        first[o] = Math.min(i0, src - 1);
        count[o] = 1;
        weight[k++] = 1;
      } else {
        first[o] = i0;
        count[o] = 2;
        weight[k++] = 1 - rem / den;
        weight[k++] = rem / den;
      }
    } else {
      first[o] = o;
      count[o] = 1;
      weight[k++] = 1;
    }
  }
  return { first, count, offset, weight };
}

/**
 * Resamples img to p.height x p.width and writes it at (p.top, p.left) of
 * `dst`, an image `dstWidth` pixels wide. Direct 2-D weighting rather than
 * two separable passes: no intermediate image, and the work is still about one
 * multiply-add per source sample when shrinking.
 */
function resampleInto(img: FloatImage, dst: Float32Array, dstWidth: number, p: Placement): void {
  const ty = axisTaps(img.height, p.height);
  const tx = axisTaps(img.width, p.width);
  const src = img.data;
  const c = img.channels;
  const srcRow = img.width * c;
  for (let oy = 0; oy < p.height; oy++) {
    const yFirst = ty.first[oy]!;
    const yCount = ty.count[oy]!;
    const yOff = ty.offset[oy]!;
    const outRow = ((p.top + oy) * dstWidth + p.left) * c;
    for (let ox = 0; ox < p.width; ox++) {
      const xStart = tx.first[ox]! * c;
      const xCount = tx.count[ox]!;
      const xOff = tx.offset[ox]!;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let j = 0; j < yCount; j++) {
          let s = (yFirst + j) * srcRow + xStart + ch;
          let row = 0;
          for (let i = 0; i < xCount; i++, s += c) row += tx.weight[xOff + i]! * src[s]!;
          acc += ty.weight[yOff + j]! * row;
        }
        dst[outRow + ox * c + ch] = acc;
      }
    }
  }
}

function checkSize(height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`target size must be positive integers (got ${height}x${width})`);
  }
}
