/**
 * Pads or crops the two spatial axes of an NHWC tensor with wasm kernels.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { KernelCall } from './compose.js';

export interface SpatialPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Adds zero rows/columns for positive amounts and removes them for negative
 * ones (a gradient's geometry can need either at each edge). Returns `x`
 * itself when nothing changes.
 *
 * @example
 *   // [1, 4, 4, 1] -> [1, 5, 3, 1]: one zero row on top, one column cut on the right
 *   padOrCrop(call, x, { top: 1, bottom: 0, left: 0, right: -1 });
 */
export function padOrCrop(call: KernelCall, x: TensorInfo, p: SpatialPadding): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  let out = x;
  const cropTop = Math.max(0, -p.top);
  const cropBottom = Math.max(0, -p.bottom);
  const cropLeft = Math.max(0, -p.left);
  const cropRight = Math.max(0, -p.right);
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    // wasm's Slice copies through JavaScript (readSync of the whole input),
    // so it is only used for this rare case, never per filter tap.
    out = call('Slice', { x: out }, { begin: [0, cropTop, cropLeft, 0], size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c] });
  }
  const padTop = Math.max(0, p.top);
  const padBottom = Math.max(0, p.bottom);
  const padLeft = Math.max(0, p.left);
  const padRight = Math.max(0, p.right);
  if (padTop + padBottom + padLeft + padRight > 0) {
    out = call('PadV2', { x: out }, { paddings: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]], constantValue: 0 });
  }
  return out;
}
