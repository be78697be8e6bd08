/**
 * Conv2DBackpropFilter for the wasm backend: the gradient of conv2d with
 * respect to its filter, which tfjs-backend-wasm 4.22 does not implement.
 *
 * dW[kh, kw, c, o] = sum over n, i, j of xPad[n, kh + i*sh, kw + j*sw, c] * dy[n, i, j, o]
 *
 * is itself a convolution: read x as a batch of C single-"image" inputs with
 * N channels ([C, H, W, N]) and dy as a filter of OH x OW taps, N in and O
 * out channels ([OH, OW, N, O]); slide that filter with dilation = the
 * forward stride and stride = the forward dilation. The output, [C, FH, FW, O],
 * is dW up to a transpose. So the whole gradient is one XNNPACK convolution
 * plus three transposes, all inside the wasm heap.
 *
 * Why not slices and matmuls: on the benchmark CNN (batch 16, 128x128, one
 * core) a training step took 396 ms this way, 1040 ms with one strided slice
 * of x per tap and a BatchMatMul each, and 1190 ms with those slices
 * concatenated (im2col) into one BatchMatMul. wasm's Slice (what a stride-1
 * StridedSlice becomes) copies its whole input through JavaScript for every
 * tap, and its BatchMatMul is slower than XNNPACK's convolution.
 */
import { Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { composeKernels } from './compose.js';
import { assertShape, convGeometry } from './geometry.js';
import { padOrCrop } from './spatial-pad.js';

const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  const { info, exactBottom, exactRight } = convGeometry({
    kernelName: Conv2DBackpropFilter,
    xShape: x.shape,
    filterShape,
    strides,
    dilations: 1, // the kernel has no dilations attribute (tfjs refuses dilated conv2d gradients)
    pad,
    dimRoundingMode,
    depthwise: false,
    dataFormat,
  });
  assertShape(Conv2DBackpropFilter, 'dy', dy.shape, info.outShape);
  return composeKernels(backend as KernelBackend, (call) => {
    // Rows past the last window would only add output rows to crop later;
    // cropping them from x instead would copy all of x through JavaScript.
    const xPad = padOrCrop(call, x, {
      top: info.padInfo.top,
      bottom: Math.max(0, exactBottom),
      left: info.padInfo.left,
      right: Math.max(0, exactRight),
    });
    const xT = call('Transpose', { x: xPad }, { perm: [3, 1, 2, 0] }); // [C, Hp, Wp, N]
    const dyT = call('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, N, O]
    const g = call(
      'Conv2D',
      { x: xT, filter: dyT },
      { strides: [info.dilationHeight, info.dilationWidth], dilations: [info.strideHeight, info.strideWidth], pad: 'valid', dataFormat: 'NHWC' },
    );
    const [, gh, gw] = g.shape as [number, number, number, number];
    const gCrop = padOrCrop(call, g, { top: 0, bottom: info.filterHeight - gh, left: 0, right: info.filterWidth - gw });
    return call('Transpose', { x: gCrop }, { perm: [1, 2, 0, 3] }); // [FH, FW, C, O]
  });
};

/** The wasm kernel registration for Conv2DBackpropFilter. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
