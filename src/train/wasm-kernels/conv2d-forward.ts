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
 *
 * 3x3 filters at stride 1 over a multiple of 4 input channels (the sample
 * model's second and third convolutions, and every input gradient of a
 * 3x3 'same' layer, which Conv2DBackpropInput turns into such a Conv2D) go
 * to conv2d_winograd_3x3 instead: Winograd's F(2x2, 3x3), 16 products per
 * 2x2 outputs and channel pair instead of 36, with scratch for the
 * transformed filter and one row of tiles taken from the backend's heap for
 * the call. DICOMFLOW_WINOGRAD=off keeps them on conv2d_forward (read once,
 * when this module loads; for measuring one against the other).
 */
import { backend_util, type Conv2DAttrs, type FusedConv2DAttrs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { replacing } from './compose.js';
import { offset, simdKernels, withScratch, type WasmHeapBackend } from './simd.js';

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

/**
 * DICOMFLOW_WINOGRAD's meaning: unset, empty or `on` allows the Winograd
 * kernels, `off` keeps every convolution on the direct ones; anything else
 * is undefined, which selectBackend (train/backend.ts) turns into a
 * ConfigError before any backend starts.
 */
export function parseWinograd(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '' || value === 'on') return true;
  if (value === 'off') return false;
  return undefined;
}

/**
 * Whether the Winograd kernels (conv2d_winograd_3x3 here,
 * conv2d_filter_grad_winograd_3x3 for the filter gradient) may take 3x3
 * stride-1 cases: DICOMFLOW_WINOGRAD when this module loads, changeable in
 * this thread for benchmarks that time both paths in one process.
 */
export const convolutionOptions = { winograd: parseWinograd(process.env.DICOMFLOW_WINOGRAD) ?? true };

/** How many convolutions each SIMD path ran in this thread (for tests that must know the path was taken). */
export const convolutionCounts = { direct: 0, winograd: 0, directFilterGradient: 0, winogradFilterGradient: 0 };

/**
 * Whether a convolution has the shape both Winograd kernels take (and they
 * are on): a 3x3 filter, stride 1, dilation 1, C % 4 == 0 and O % 8 == 0.
 * The forward pass and the filter gradient (conv2d-backprop-filter.ts) ask
 * the same question.
 */
export function winogradApplies(info: backend_util.Conv2DInfo): boolean {
  return (
    convolutionOptions.winograd &&
    info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 && info.inChannels % 4 === 0 && info.outChannels % 8 === 0
  );
}

function run(backend: object, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, relu: boolean, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  const simd = simdKernels(backend);
  if (!simd) return undefined;
  const heap = backend as WasmHeapBackend;
  const out = heap.makeOutput(info.outShape, 'float32');
  if (info.outHeight * info.outWidth * info.batchSize === 0) return out;
  if (winogradApplies(info)) {
    const C = info.inChannels;
    const O = info.outChannels;
    const tiles = Math.ceil(info.outWidth / 2);
    withScratch(backend, 16 * (C * O + tiles * C + tiles * O), (ws) =>
      simd.conv2d_winograd_3x3(
        offset(backend, x), offset(backend, filter), bias ? offset(backend, bias) : 0, offset(backend, out), ws,
        info.batchSize, info.inHeight, info.inWidth, C, info.outHeight, info.outWidth, O, info.padInfo.top, info.padInfo.left, relu ? 1 : 0,
      ),
    );
    convolutionCounts.winograd++;
    return out;
  }
  convolutionCounts.direct++;
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
