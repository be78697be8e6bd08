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
 * That convolution is what NCHW gets. NHWC (what the models use) takes
 * train_kernels.c's conv2d_filter_grad when O % 4 == 0 (simdGradient below),
 * else im2colGradient: X_col^T written in one JavaScript pass over the heap
 * and one BatchMatMul. The sample model's three filter gradients (8 images)
 * took 59.7 ms as a convolution and 35.2 ms with im2col; XNNPACK's
 * convolution with an OH x OW "filter" of N channels per tap runs at about
 * 6 GMAC/s, wasm's BatchMatMul of [1, K, M] x [1, M, O] at 17-20 once its
 * second operand is packed, but it packs dy anew each call (its cache is
 * keyed by tensor id): 24 ms for the first layer's [1, 9, 262144] x
 * [1, 262144, 16] at 16 images, of which 20 packing. With the fill of
 * X_col^T, the three took 90 ms a step at 16 images (tf.profile);
 * conv2d_filter_grad takes 2.4, 13 and 13.5 (about 22 GMAC/s on the
 * 16- and 32-channel layers).
 *
 * 3x3 filters at stride 1 with C % 4 == 0 and O % 8 == 0 (the sample
 * model's second and third layers) take conv2d_filter_grad_winograd_3x3
 * instead: Winograd's F(3x3, 2x2), 16 products per 2x2 block of dy and
 * channel pair instead of 36.
 *
 * (An earlier attempt with wasm's Slice per tap and a BatchMatMul each took
 * 1040 ms a step against 396 for the convolution: Slice copies its whole
 * input through JavaScript for every tap, and BatchMatMul with transposeA
 * runs at 1.6 GMAC/s. Writing X_col^T directly avoids both.)
 */
import { Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { composeKernels } from './compose.js';
import { assertShape, convGeometry } from './geometry.js';
import { convolutionCounts, winogradApplies } from './conv2d-forward.js';
import { offset, simdKernels, withScratch, type SimdExports, type WasmHeapBackend } from './simd.js';
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
  if (dataFormat !== 'NCHW' && x.dtype === 'float32' && dy.dtype === 'float32') {
    const simd = info.outChannels % 4 === 0 ? simdKernels(backend as KernelBackend) : undefined;
    if (simd) return simdGradient(simd, backend as KernelBackend, x, dy, info);
    return im2colGradient(backend as unknown as WasmHeapBackend, x, dy, info);
  }
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

/**
 * NHWC: dW = X_col^T dY, with X_col^T ([FH*FW*C, N*OH*OW], zero where a tap
 * falls in the padding) written straight into the wasm heap in one pass, and
 * one BatchMatMul of [1, K, M] x [1, M, O]. wasm's BatchMatMul with its
 * first operand laid out this way ran at 17-20 GMAC/s on the sample model's
 * shapes, against about 6 for the convolution above (and 1.6 with
 * transposeA). The sums are the same products in another order
 * (test/train/wasm-kernels/conv2d-backprop-filter.test.ts holds it to the
 * cpu backend on seeded cases of every stride, padding and size).
 */
function im2colGradient(backend: WasmHeapBackend, x: TensorInfo, dy: TensorInfo, info: ReturnType<typeof convGeometry>['info']): TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: O } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const K = FH * FW * C;
  const M = N * OH * OW;
  return composeKernels(backend, (call) => {
    const cols = backend.makeOutput([1, K, M], 'float32');
    // Views after allocating: the heap may have grown and moved.
    const xs = backend.typedArrayFromHeap(x) as Float32Array;
    const out = backend.typedArrayFromHeap(cols) as Float32Array;
    // Row by row of the output (n, oh): the input row each kh reads stays in cache while every
    // (kw, c) row of X_col^T gets its run of OW values.
    const lo: number[] = [];
    const hi: number[] = [];
    for (let kw = 0; kw < FW; kw++) {
      // Output columns whose tap kw lands inside the input row: iw = ow*sw - left + kw*dw in [0, W).
      const off = kw * dw - left;
      lo.push(Math.min(OW, Math.max(0, Math.ceil(-off / sw))));
      hi.push(Math.min(OW, Math.max(0, Math.floor((W - 1 - off) / sw) + 1)));
    }
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < OH; oh++) {
        const m0 = (n * OH + oh) * OW;
        for (let kh = 0; kh < FH; kh++) {
          const ih = oh * sh - top + kh * dh;
          const inside = ih >= 0 && ih < H;
          const rowBase = (n * H + ih) * W;
          for (let kw = 0; kw < FW; kw++) {
            const off = kw * dw - left;
            const a = inside ? lo[kw]! : OW;
            const b = inside ? hi[kw]! : OW;
            for (let c = 0; c < C; c++) {
              const base = ((kh * FW + kw) * C + c) * M + m0;
              if (a > 0) out.fill(0, base, base + a);
              for (let ow = a, xi = (rowBase + ow * sw + off) * C + c; ow < b; ow++, xi += sw * C) out[base + ow] = xs[xi]!;
              if (b < OW) out.fill(0, base + Math.max(a, b), base + OW);
            }
          }
        }
      }
    }
    try {
      const dyFlat = call('Reshape', { x: dy }, { shape: [1, M, O] });
      const g = call('BatchMatMul', { a: cols, b: dyFlat }, { transposeA: false, transposeB: false });
      return call('Reshape', { x: g }, { shape: [FH, FW, C, O] });
    } finally {
      backend.disposeData(cols.dataId);
    }
  });
}

/**
 * NHWC with O % 4 == 0: train_kernels.c's conv2d_filter_grad, the same sums
 * as im2colGradient without writing X_col^T: it reads x in place and keeps
 * 4 rows of dW by 8 output channels in SIMD registers over each output row.
 */
function simdGradient(simd: SimdExports, backend: KernelBackend, x: TensorInfo, dy: TensorInfo, info: ReturnType<typeof convGeometry>['info']): TensorInfo {
  const heap = backend as WasmHeapBackend;
  const dW = heap.makeOutput([info.filterHeight, info.filterWidth, info.inChannels, info.outChannels], 'float32');
  if (info.outHeight > 0 && info.outWidth > 0 && winogradApplies(info)) {
    const C = info.inChannels;
    const O = info.outChannels;
    const tiles = Math.ceil(info.outWidth / 2);
    withScratch(backend, 16 * (C * tiles + tiles * O + C * O), (ws) =>
      simd.conv2d_filter_grad_winograd_3x3(
        offset(backend, x), offset(backend, dy), offset(backend, dW), ws,
        info.batchSize, info.inHeight, info.inWidth, C, info.outHeight, info.outWidth, O, info.padInfo.top, info.padInfo.left,
      ),
    );
    convolutionCounts.winogradFilterGradient++;
    return dW;
  }
  convolutionCounts.directFilterGradient++;
  simd.conv2d_filter_grad(
    offset(backend, x), offset(backend, dy), offset(backend, dW),
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left,
  );
  return dW;
}

/** The wasm kernel registration for Conv2DBackpropFilter. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
