/**
 * Lays dy out so that the gradient of a convolution with respect to its
 * input becomes a plain stride-1 'valid' correlation with the filter turned
 * by 180 degrees.
 *
 * In the forward pass output pixel i read padded input row i*s + k*d for
 * tap k. So padded input row p receives dy[i] * w[k] for every i, k with
 * i*s + k*d = p. Spreading dy by the stride (dy[i] at row i*s, zeros
 * between) turns that into a correlation of the spread dy with the flipped
 * filter at dilation d; shifting by (FH-1)*d - padTop and cutting to
 * H + (FH-1)*d rows makes its 'valid' output exactly the H input rows.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import type { KernelCall } from './compose.js';
import { padOrCrop } from './spatial-pad.js';

/**
 * Returns dy spread by the forward strides and padded (or cut) so that a
 * stride-1 'valid' convolution of it with the flipped filter at the forward
 * dilations has the forward input's height and width.
 *
 * @example
 *   // forward: 5x5 input, 3x3 filter, stride 2, 'valid' -> dy is 2x2
 *   const aligned = dyForInputGradient(call, dy, info); // 2x2 -> 7x7 (5 + 3 - 1)
 */
export function dyForInputGradient(call: KernelCall, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const spread = spreadByStride(call, dy, info.strideHeight, info.strideWidth);
  const [, hs, ws] = spread.shape as [number, number, number, number];
  const top = (info.filterHeight - 1) * info.dilationHeight - info.padInfo.top;
  const left = (info.filterWidth - 1) * info.dilationWidth - info.padInfo.left;
  return padOrCrop(call, spread, {
    top,
    bottom: info.inHeight + (info.filterHeight - 1) * info.dilationHeight - top - hs,
    left,
    right: info.inWidth + (info.filterWidth - 1) * info.dilationWidth - left - ws,
  });
}

/**
 * Puts stride-1 zero rows after each row of dy and stride-1 zero columns
 * after each column by padding a 6-D view ([N, OH, 1, OW, 1, K] to
 * [N, OH, sh, OW, sw, K]): the zeros are written by XNNPACK's pad, not by a
 * loop here. Zeros past the last row are cut again by the alignment.
 */
function spreadByStride(call: KernelCall, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, k] = dy.shape as [number, number, number, number];
  const view = call('Reshape', { x: dy }, { shape: [n, oh, 1, ow, 1, k] });
  const padded = call('PadV2', { x: view }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
  return call('Reshape', { x: padded }, { shape: [n, oh * sh, ow * sw, k] });
}
