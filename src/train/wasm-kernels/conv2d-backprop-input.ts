/**
 * A faster Conv2DBackpropInput for the wasm backend. wasm 4.22 has this
 * kernel, but as a scalar C++ loop: on the benchmark CNN (batch 16,
 * 128x128) it took ~830 ms of a ~1350 ms training step, ten times the
 * forward convolutions. Written as one XNNPACK convolution of the spread
 * dy (`dyForInputGradient`) with the filter turned by 180 degrees and its
 * in/out channels swapped, it costs about as much as the forward pass.
 *
 * NCHW, which the native kernel supports and XNNPACK does not, is passed on
 * to the native kernel.
 */
import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { composeKernels, replacing } from './compose.js';
import { assertShape, convGeometry } from './geometry.js';
import { dyForInputGradient } from './input-gradient-layout.js';

/**
 * At stride 1 dy needs no spreading, only the zero border that
 * dyForInputGradient would add with a pad (a copy of dy): this returns that
 * border as the Conv2D's explicit padding instead, when every side is >= 0
 * and the Conv2D lands on dicomflow's own kernel (C % 8 == 0 output
 * channels: conv2d-forward.ts), whose explicit padding is exact; wasm's own
 * Conv2D is wrong for some explicit paddings, so other cases keep the pad.
 */
function stride1Padding(info: ReturnType<typeof convGeometry>['info']): [[number, number], [number, number], [number, number], [number, number]] | undefined {
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.inChannels % 8 !== 0) return undefined;
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.filterHeight - 1 - top - info.outHeight;
  const right = info.inWidth + info.filterWidth - 1 - left - info.outWidth;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return undefined;
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/**
 * Builds the replacement for `native`, wasm's own registration, which it
 * keeps for NCHW. Its setup and dispose hooks are carried over: the backend
 * runs them for whatever config is registered when it starts, and the native
 * kernel cannot run without its setup.
 *
 * @example
 *   const native = getKernel('Conv2DBackpropInput', 'wasm');
 *   unregisterKernel('Conv2DBackpropInput', 'wasm');
 *   registerKernel(conv2dBackpropInputConfig(native));
 */
export function conv2dBackpropInputConfig(native: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (attrs.dataFormat === 'NCHW') return native.kernelFunc(args);
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const { info } = convGeometry({
      kernelName: Conv2DBackpropInput,
      xShape: attrs.inputShape,
      filterShape: filter.shape,
      strides: attrs.strides,
      dilations: 1, // no dilations attribute: tfjs refuses dilated conv2d gradients
      pad: attrs.pad,
      dimRoundingMode: attrs.dimRoundingMode,
      depthwise: false,
    });
    assertShape(Conv2DBackpropInput, 'dy', dy.shape, info.outShape);
    return composeKernels(args.backend as KernelBackend, (call) => {
      const flipped = call('Reverse', { x: filter }, { dims: [0, 1] });
      const swapped = call('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [FH, FW, O, C]
      const padding = stride1Padding(info);
      if (padding) return call('Conv2D', { x: dy, filter: swapped }, { strides: 1, dilations: 1, pad: padding, dataFormat: 'NHWC' });
      const aligned = dyForInputGradient(call, dy, info);
      return call('Conv2D', { x: aligned, filter: swapped }, { strides: 1, dilations: 1, pad: 'valid', dataFormat: 'NHWC' });
    });
  };
  return replacing(native, kernelFunc);
}
