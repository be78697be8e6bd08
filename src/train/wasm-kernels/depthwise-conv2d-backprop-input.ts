/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (missing from
 * tfjs-backend-wasm 4.22): the gradient of a depthwise convolution with
 * respect to its input.
 *
 * With dy laid out by `dyForInputGradient`, input channel c gathers its M
 * output channels c*M..c*M+M-1 through the flipped filter: a depthwise
 * convolution of the C*M channels of dy with multiplier 1, then a sum over
 * each group of M.
 */
import {
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { composeKernels } from './compose.js';
import { assertShape, convGeometry } from './geometry.js';
import { dyForInputGradient } from './input-gradient-layout.js';

const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const { info } = convGeometry({
    kernelName: DepthwiseConv2dNativeBackpropInput,
    xShape: inputShape,
    filterShape: filter.shape,
    strides,
    dilations: dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise: true,
  });
  assertShape(DepthwiseConv2dNativeBackpropInput, 'dy', dy.shape, info.outShape);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outChannels: k, filterHeight: fh, filterWidth: fw } = info;
  const m = k / c;
  return composeKernels(backend as KernelBackend, (call) => {
    const aligned = dyForInputGradient(call, dy, info);
    const flipped = call('Reverse', { x: filter }, { dims: [0, 1] });
    const perChannel = call('Reshape', { x: flipped }, { shape: [fh, fw, k, 1] });
    const dxAll = call(
      'DepthwiseConv2dNative',
      { x: aligned, filter: perChannel },
      { strides: 1, dilations: [info.dilationHeight, info.dilationWidth], pad: 'valid' },
    ); // [N, H, W, C*M]
    if (m === 1) return dxAll;
    const grouped = call('Reshape', { x: dxAll }, { shape: [n, h, w, c, m] });
    return call('Sum', { x: grouped }, { axis: [4], keepDims: false });
  });
};

/** The wasm kernel registration for DepthwiseConv2dNativeBackpropInput. */
export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
