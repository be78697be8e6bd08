/**
 * Grayscale stored values -> modality LUT -> area shrink in one pass over the
 * decoded buffer, straight to the target size: the same numbers as
 * grayToFloat followed by resize, without the full-size Float32Array between
 * them (16 MiB for a 2048x2048 radiograph, written once and read once).
 *
 * Bit-identical to the composed path by construction, not by tolerance:
 * - each stored value goes through the modality LUT with the same expression
 *   and branch as applyModalityLut and is rounded with Math.fround, which is
 *   the ToFloat32 rounding a Float32Array store does, so every value is the
 *   float32 grayToFloat would have stored (a value a boundary tap shares
 *   between two outputs is simply converted twice; converting in the tap loop
 *   instead of into a row buffer halved the time);
 * - the taps and weights are resize.ts's (area coverage in units of 1/dst,
 *   divided by src, in float64);
 * - per output pixel the float64 sums run in resampleInto's order: for each
 *   y tap in order, row = sum over x taps in order of wx * v, then
 *   acc += wy * row, and acc is rounded to float32 once at the end. Only the
 *   order *between* output pixels changes (row by row instead of pixel by
 *   pixel), and each output's arithmetic is independent of the others.
 *   The row sum of a source row does not depend on the output row, so a
 *   boundary row shared by two output rows is summed once and reused.
 *
 * Only shrinking (or keeping) each axis is fused: growing uses bilinear taps
 * and saves little (the source is the smaller image), so it stays composed.
 */
import type { Rescale } from '../dicom/description.js';
import { axisTaps, fitInside } from './resize.js';
import type { DecodedFrame, FloatImage, PreprocessSpec } from './types.js';

/**
 * The size the fused pass would produce for this frame and spec (the fitted
 * size with 'pad'), or null when the composed path must run: not grayscale,
 * a frame whose sample count disagrees with its size (grayToFloat reports
 * that), no target, an axis that grows, or no resize at all.
 *
 * @example
 *   fusedSize(frame2048, { ...spec, target: { height: 256, width: 256 } }) // { height: 256, width: 256 }
 */
export function fusedSize(frame: DecodedFrame, spec: Pick<PreprocessSpec, 'target' | 'resize'>): { height: number; width: number } | null {
  const pi = frame.photometricInterpretation;
  if (pi !== 'MONOCHROME1' && pi !== 'MONOCHROME2') return null;
  if (frame.samplesPerPixel !== 1 || frame.pixels.length !== frame.width * frame.height) return null;
  if (spec.target === null) return null;
  const t = spec.target;
  const fitted = spec.resize === 'pad' ? fitInside(frame.height, frame.width, t.height, t.width) : t;
  if (fitted.height > frame.height || fitted.width > frame.width) return null;
  if (fitted.height === frame.height && fitted.width === frame.width) return null;
  return { height: fitted.height, width: fitted.width };
}

/**
 * Whether preprocess() takes the fused pass for this frame and spec.
 *
 * @example
 *   canFuse(ctFrame512, { ...spec, target: { height: 128, width: 128 } }) // true
 */
export function canFuse(frame: DecodedFrame, spec: Pick<PreprocessSpec, 'target' | 'resize'>): boolean {
  return fusedSize(frame, spec) !== null;
}

/**
 * grayToFloat(frame, rescale) resized to height x width (each no larger than
 * the frame's), in one pass. Throws RangeError for a size fusedSize refuses.
 *
 * @example
 *   grayShrink(frame, { slope: 1, intercept: -1024 }, 256, 256).data // HU, area means
 */
export function grayShrink(frame: DecodedFrame, rescale: Rescale, height: number, width: number): FloatImage {
  const srcW = frame.width;
  const srcH = frame.height;
  if (!(height >= 1 && height <= srcH && width >= 1 && width <= srcW) || !Number.isInteger(height) || !Number.isInteger(width)) {
    throw new RangeError(`grayShrink needs a size within ${srcH}x${srcW} (got ${height}x${width})`);
  }
  if (frame.pixels.length !== srcW * srcH) throw new RangeError(`frame of ${srcW}x${srcH} has ${frame.pixels.length} samples`);
  const ty = axisTaps(srcH, height);
  const tx = axisTaps(srcW, width);
  const stored = frame.pixels;
  const { first: xFirst, count: xCount, weight: xWeight } = tx;
  const { slope, intercept } = rescale;
  const identity = slope === 1 && intercept === 0;
  // Stored values of at most 16 bits are exact in float32: Math.fround would return them unchanged.
  const small = stored instanceof Uint8Array || stored instanceof Int8Array || stored instanceof Uint16Array || stored instanceof Int16Array;
  const exactShift = identity ? 0 : slope === 1 && Number.isInteger(intercept) && Math.abs(intercept) <= MAX_EXACT_INTERCEPT ? intercept : null;
  if (small && exactShift !== null && isPowerOfTwo(srcW / width) && isPowerOfTwo(srcH / height)) {
    return blockMeans(stored, srcW, srcH, height, width, exactShift);
  }
  // An integer factor across: every output takes the same number of taps with the same weight (dst/src, exact).
  const factor = srcW % width === 0 ? srcW / width : 0;
  const w = factor > 0 ? xWeight[0]! : 0;
  const rowSum = new Float64Array(width); // horizontal sums of source row `loaded`
  const acc = new Float64Array(width);
  const out = new Float32Array(height * width);
  let loaded = -1;
  for (let oy = 0; oy < height; oy++) {
    const yFirst = ty.first[oy]!;
    const yCount = ty.count[oy]!;
    const yOff = ty.offset[oy]!;
    acc.fill(0);
    for (let j = 0; j < yCount; j++) {
      const sy = yFirst + j;
      // Output rows move down monotonically, so a source row is only ever shared with the previous output row.
      if (sy !== loaded) {
        const base = sy * srcW;
        // Shrinking taps are contiguous in tx.weight, output after output, so one running index walks them.
        if (identity && small && factor > 0) {
          // The loop below with its per-output counts and weights made constants: the same products and sums in the same order.
          for (let ox = 0, x = base; ox < width; ox++) {
            let r = 0;
            for (const end = x + factor; x < end; x++) r += w * stored[x]!;
            rowSum[ox] = r;
          }
        } else if (identity) {
          for (let ox = 0, k = 0; ox < width; ox++) {
            let x = base + xFirst[ox]!;
            let r = 0;
            for (const end = k + xCount[ox]!; k < end; k++, x++) r += xWeight[k]! * Math.fround(stored[x]!);
            rowSum[ox] = r;
          }
        } else {
          for (let ox = 0, k = 0; ox < width; ox++) {
            let x = base + xFirst[ox]!;
            let r = 0;
            for (const end = k + xCount[ox]!; k < end; k++, x++) r += xWeight[k]! * Math.fround(stored[x]! * slope + intercept);
            rowSum[ox] = r;
          }
        }
        loaded = sy;
      }
      const wy = ty.weight[yOff + j]!;
      for (let ox = 0; ox < width; ox++) acc[ox]! += wy * rowSum[ox]!;
    }
    out.set(acc, oy * width); // float64 -> float32, the same rounding as the composed store
  }
  return { data: out, width, height, channels: 1 };
}


/** The largest |intercept| for which stored (16-bit) + intercept is still an integer float32 holds exactly (below 2^24). */
const MAX_EXACT_INTERCEPT = 2 ** 24 - 2 ** 16;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/**
 * grayShrink's numbers, by integer sums, for a power-of-two factor on each
 * axis, stored values of at most 16 bits and a rescale of slope 1 with an
 * integer intercept (the identity included): the case of a 2048x2048
 * radiograph to 256x256. There, the tap loops compute nothing inexact:
 * every weight is 2^-k, every tap value v + intercept an integer float32
 * holds exactly, so every product w * v, every partial sum (multiples of
 * 2^-k far below 2^53) and acc are exact, and acc is the block's integer sum
 * times 2^-(kx + ky). Summing the integers first and scaling once gives the
 * same float64, and the same float32 after the one rounding of the store:
 * bit-identical, about three times faster (no float multiply per sample).
 */
function blockMeans(stored: Uint8Array | Int8Array | Uint16Array | Int16Array, srcW: number, srcH: number, height: number, width: number, intercept: number): FloatImage {
  const fx = srcW / width;
  const fy = srcH / height;
  // Exact: 1 / (fx * fy) is a power of two.
  const scale = 1 / (fx * fy);
  const shift = fx * fy * intercept;
  // Block sums of at most 2^15 * 2^16 in magnitude stay int32 in the inner loop; acc holds any sum exactly.
  const acc = new Float64Array(width);
  const out = new Float32Array(height * width);
  for (let oy = 0; oy < height; oy++) {
    acc.fill(0);
    for (let sy = oy * fy, end = sy + fy; sy < end; sy++) {
      for (let ox = 0, x = sy * srcW; ox < width; ox++) {
        let s = 0;
        for (const stop = x + fx; x < stop; x++) s += stored[x]!;
        acc[ox]! += s;
      }
    }
    const row = oy * width;
    for (let ox = 0; ox < width; ox++) out[row + ox] = (acc[ox]! + shift) * scale;
  }
  return { data: out, width, height, channels: 1 };
}
