/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (missing from
 * tfjs-backend-wasm 4.22).
 *
 * With channel multiplier M (output channel c*M + m reads input channel c):
 *
 * dW[kh, kw, c, m] = sum over n, i, j of
 *     xPad[n, kh*dh + i*sh, kw*dw + j*sw, c] * dy[n, i, j, c*M + m]
 *
 * As for the dense case this is a convolution with dy as the filter, but
 * channel c of x only meets the M outputs of channel c: a depthwise one.
 * Folding the batch into the channels ([1, Hp, Wp, C*N], filter
 * [OH, OW, C*N, M]) makes it one depthwise convolution with stride = the
 * forward dilation and dilation = the forward stride, giving
 * [1, FH, FW, C*N*M]; summing the N axis leaves dW.
 */
import {
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { composeKernels } from './compose.js';
import { assertShape, convGeometry } from './geometry.js';
import { padOrCrop } from './spatial-pad.js';

const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const { info, exactBottom, exactRight } = convGeometry({
    kernelName: DepthwiseConv2dNativeBackpropFilter,
    xShape: x.shape,
    filterShape,
    strides,
    dilations: dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise: true,
  });
  assertShape(DepthwiseConv2dNativeBackpropFilter, 'dy', dy.shape, info.outShape);
  const [n, , , c] = x.shape as [number, number, number, number];
  const m = info.outChannels / info.inChannels;
  const { outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = info;
  return composeKernels(backend as KernelBackend, (call) => {
    const xPad = padOrCrop(call, x, {
      top: info.padInfo.top,
      bottom: Math.max(0, exactBottom),
      left: info.padInfo.left,
      right: Math.max(0, exactRight),
    });
    const [, hp, wp] = xPad.shape as [number, number, number, number];
    // Channel index c*N + n, so that summing the batch later is over a contiguous axis.
    const xT = call('Transpose', { x: xPad }, { perm: [1, 2, 3, 0] }); // [Hp, Wp, C, N]
    const xFolded = call('Reshape', { x: xT }, { shape: [1, hp, wp, c * n] });
    const dy5 = call('Reshape', { x: dy }, { shape: [n, oh, ow, c, m] });
    const dyT = call('Transpose', { x: dy5 }, { perm: [1, 2, 3, 0, 4] }); // [OH, OW, C, N, M]
    const dyFilter = call('Reshape', { x: dyT }, { shape: [oh, ow, c * n, m] });
    const g = call(
      'DepthwiseConv2dNative',
      { x: xFolded, filter: dyFilter },
      { strides: [info.dilationHeight, info.dilationWidth], dilations: [info.strideHeight, info.strideWidth], pad: 'valid' },
    ); // [1, GH, GW, C*N*M]
    const [, gh, gw] = g.shape as [number, number, number, number];
    const gCrop = padOrCrop(call, g, { top: 0, bottom: fh - gh, left: 0, right: fw - gw });
    const g5 = call('Reshape', { x: gCrop }, { shape: [fh, fw, c, n, m] });
    const summed = n === 1 ? g5 : call('Sum', { x: g5 }, { axis: [3], keepDims: false });
    return call('Reshape', { x: summed }, { shape: [fh, fw, c, m] });
  });
};

/** The wasm kernel registration for DepthwiseConv2dNativeBackpropFilter. */
export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
