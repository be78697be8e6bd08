/**
 * Conv2D and FusedConv2D (bias, ReLU) for the wasm backend with
 * train_kernels.c's conv2d_forward, for NHWC float32, dilation 1 and a
 * multiple of 8 output channels; every other case goes to wasm's own
 * (XNNPACK) kernel.
 *
 * On the sample model's shapes (16 images) XNNPACK's convolution ran at
 * 19-20 GMAC/s for the 16- and 32-channel inputs and 5-8 for the
 * one-channel first layer; conv2d_forward at 24-27 and 12. The three
 * forward convolutions of a training step took 38 ms with XNNPACK and 27
 * with this (tf.profile, one thread).
 * Conv2DBackpropInput composes a Conv2D, so it runs on this one too.
 *
 * The products are summed from the bias in (kh, kw, c) order, as XNNPACK
 * does; test/train/wasm-kernels/conv2d-forward.test.ts holds both kernels to
 * the cpu backend on seeded cases of every stride, padding and size.
 */
import { backend_util, type Conv2DAttrs, type FusedConv2DAttrs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { replacing } from './compose.js';
import { offset, simdKernels, type WasmHeapBackend } from './simd.js';

/** The convolution's geometry, or undefined when conv2d_forward does not take the case. */
function geometry(x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): backend_util.Conv2DInfo | undefined {
  if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  const d = attrs.dilations;
  if (!(d === 1 || d === undefined || (Array.isArray(d) && d.every((v) => v === 1)))) return undefined;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.outChannels % 8 !== 0 || info.inChannels !== x.shape[3]) return undefined;
  return info;
}

function run(backend: object, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, relu: boolean, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  const simd = simdKernels(backend);
  if (!simd) return undefined;
  const out = (backend as WasmHeapBackend).makeOutput(info.outShape, 'float32');
  if (info.outHeight * info.outWidth * info.batchSize === 0) return out;
  simd.conv2d_forward(
    offset(backend, x), offset(backend, filter), bias ? offset(backend, bias) : 0, offset(backend, out),
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, relu ? 1 : 0,
  );
  return out;
}

/** Conv2D on conv2d_forward where it applies, else on `native`. */
export function conv2dConfig(native: KernelConfig): KernelConfig {
  return replacing(native, (args) => {
    const x = args.inputs.x as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const info = geometry(x, filter, args.attrs as unknown as Conv2DAttrs);
    return (info && run(args.backend, x, filter, undefined, false, info)) ?? native.kernelFunc(args);
  });
}

/**
 * FusedConv2D with no activation or ReLU and a bias of shape [O] (or none) on
 * conv2d_forward, else on `native`. (tfjs fuses conv, bias and ReLU only
 * when no gradient is being recorded, or with a linear activation; in a
 * training step the ReLU layers run Conv2D, Add and Relu instead.)
 */
export function fusedConv2dConfig(native: KernelConfig): KernelConfig {
  return replacing(native, (args) => {
    const x = args.inputs.x as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const bias = args.inputs.bias as TensorInfo | undefined;
    const attrs = args.attrs as unknown as FusedConv2DAttrs;
    const activation = attrs.activation ?? 'linear';
    if ((activation !== 'linear' && activation !== 'relu') || args.inputs.preluActivationWeights) return native.kernelFunc(args);
    const info = geometry(x, filter, attrs);
    if (!info || (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== info.outChannels))) return native.kernelFunc(args);
    return run(args.backend, x, filter, bias, activation === 'relu', info) ?? native.kernelFunc(args);
  });
}
