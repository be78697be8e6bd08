/**
 * Convolution geometry for the gradient kernels: tfjs's own conv info (so
 * output sizes and 'same' padding match the forward kernel exactly), checked
 * against the tensors actually passed in.
 */
import { backend_util } from '@tensorflow/tfjs';
import { TrainingBackendError } from '../../errors.js';

type Shape4 = [number, number, number, number];

export interface ConvGeometry {
  /** tfjs's description of the forward convolution these gradients belong to. */
  info: backend_util.Conv2DInfo;
  /**
   * Padding after the input that makes the padded height exactly
   * `(outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight + 1`,
   * the rows the last window reaches. It differs from tfjs's `padInfo.bottom`
   * when the stride leaves rows no window reads (then it is smaller, possibly
   * negative) or when 'ceil' rounding makes a window hang past the padding.
   */
  exactBottom: number;
  /** The same for the right edge. */
  exactRight: number;
}

export interface ConvParams {
  kernelName: string;
  xShape: number[];
  filterShape: number[];
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil' | undefined;
  depthwise: boolean;
  dataFormat?: 'NHWC' | 'NCHW' | undefined;
}

/**
 * Describes the forward convolution of a gradient kernel call.
 *
 * @example
 *   const { info, exactBottom } = convGeometry({ kernelName: 'Conv2DBackpropFilter',
 *     xShape: [1, 5, 5, 1], filterShape: [3, 3, 1, 1], strides: 2, dilations: 1,
 *     pad: 'valid', depthwise: false });
 *   // info.outShape = [1, 2, 2, 1]; exactBottom = 0: the 5th row is the last one read
 */
export function convGeometry(p: ConvParams): ConvGeometry {
  if (p.dataFormat === 'NCHW') {
    // The wasm Conv2D and DepthwiseConv2dNative these kernels are built from are NHWC only.
    throw new TrainingBackendError(`${p.kernelName} on the wasm backend supports dataFormat 'NHWC' only (got 'NCHW')`, { stage: 'train' });
  }
  assertRank4(p.kernelName, 'x', p.xShape);
  assertRank4(p.kernelName, 'filter', p.filterShape);
  const info = backend_util.computeConv2DInfo(
    p.xShape as Shape4,
    p.filterShape as Shape4,
    p.strides,
    p.dilations,
    p.pad,
    p.dimRoundingMode,
    p.depthwise,
    'channelsLast',
  );
  const reachH = (info.outHeight - 1) * info.strideHeight + (info.filterHeight - 1) * info.dilationHeight + 1;
  const reachW = (info.outWidth - 1) * info.strideWidth + (info.filterWidth - 1) * info.dilationWidth + 1;
  return {
    info,
    exactBottom: reachH - info.inHeight - info.padInfo.top,
    exactRight: reachW - info.inWidth - info.padInfo.left,
  };
}

/**
 * Throws unless `actual` equals `expected`. The wasm kernels index their
 * buffers from the shapes they are told, so a mismatch here would read past
 * the end of a tensor instead of failing.
 */
export function assertShape(kernelName: string, what: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new TrainingBackendError(`${kernelName}: ${what} has shape [${actual.join(', ')}], expected [${expected.join(', ')}]`, { stage: 'train' });
  }
}

function assertRank4(kernelName: string, what: string, shape: readonly number[]): void {
  if (shape.length !== 4) {
    throw new TrainingBackendError(`${kernelName}: ${what} must be rank 4 (got shape [${shape.join(', ')}])`, { stage: 'train' });
  }
}
