/**
 * Two kernels of the pooling gradients, in JavaScript over the wasm heap,
 * replacing wasm's own for the cases training hits:
 *
 * - Equal with broadcasting. The gradient of a max reduction (the sample
 *   model's global max pool) is dy * (x == max(x)), an Equal of [N, H, W, C]
 *   against [N, 1, 1, C]. wasm's binary kernel computes every element's
 *   broadcast index in C++ one by one: 43-46 ms of a 200 ms training step
 *   (tf.profile, worker 0, 8 images). A loop with strides does it in one
 *   pass.
 * - MaxPoolGrad: 40-44 ms a step in wasm's kernel. For each output window
 *   we find its argmax once and add dy there: the first maximum in row-major
 *   window order, by a strict '>' from -Infinity, NaN never a maximum (the
 *   rule of tfjs-backend-cpu's maxPoolPositions, and TensorFlow's). wasm's
 *   own kernel (tfjs-backend-wasm 4.22) is wrong where this matters: it
 *   starts its search from FLT_MIN with '>=', so a window of negative values
 *   sends its gradient to the first pixel, not to the maximum, and ties go to
 *   the last one (measured; test/train/wasm-kernels/pool-gradients.test.ts).
 *   After a ReLU, which the built-in models pool, inputs are >= 0 and only
 *   ties of equal positive values differ.
 *
 * Equal gives the native kernel's numbers exactly, MaxPoolGrad the cpu
 * backend's (test/train/wasm-kernels/pool-gradients.test.ts); shapes and
 * types outside their loops go to the native kernel.
 */
import { backend_util, type KernelConfig, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs';
import { replacing } from './compose.js';
import { offset, simdKernels, type WasmHeapBackend } from './simd.js';

/** Strides of `shape` padded on the left to rank 4, 0 where the axis is broadcast to `out`. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const s = [...Array(4 - shape.length).fill(1), ...shape];
  const strides = [0, 0, 0, 0];
  let step = 1;
  for (let i = 3; i >= 0; i--) {
    strides[i] = s[i] === 1 && out[i] !== 1 ? 0 : step;
    step *= s[i]!;
  }
  return strides;
}

/**
 * [P, R, I] when `part` equals `full` (the output's shape) except
 * for a run of axes, all 1 in `part`, between its leading and trailing ones
 * (a global pool's [N, H, W, C] against [N, 1, 1, C] is [N, H*W, C]);
 * otherwise undefined.
 */
function broadcastInMiddle(full: readonly number[], part: readonly number[]): [number, number, number] | undefined {
  if (part.length > full.length) return undefined;
  const p = [...Array(full.length - part.length).fill(1), ...part] as number[];
  let stage = 0; // 0: leading equal axes, 1: broadcast axes, 2: trailing equal axes
  const size = [1, 1, 1];
  for (let i = 0; i < full.length; i++) {
    const f = full[i]!;
    if (f === 1) continue; // fits in any group
    const kind = p[i] === f ? (stage === 0 ? 0 : 2) : p[i] === 1 ? 1 : -1;
    if (kind < stage) return undefined;
    stage = kind;
    size[kind] = size[kind]! * f;
  }
  return size[1] === 1 ? undefined : (size as [number, number, number]);
}

/** Equal with broadcasting for float32 / int32 inputs of rank <= 4; the rest goes to `native`. */
export function equalConfig(native: KernelConfig): KernelConfig {
  return replacing(native, (args) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const same = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    if (same || a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'int32') || a.shape.length > 4 || b.shape.length > 4) return native.kernelFunc(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.makeOutput(shape, 'bool');
    const o4 = [...Array(4 - shape.length).fill(1), ...shape] as [number, number, number, number];
    if (o4.includes(0)) return out;
    const simd = a.dtype === 'float32' ? simdKernels(args.backend) : undefined;
    if (simd) {
      // Equal is symmetric: whichever input is broadcast goes second.
      const isOut = (s: readonly number[]) => s.length === shape.length && s.every((d, i) => d === shape[i]);
      const bMiddle = isOut(a.shape) ? broadcastInMiddle(a.shape, b.shape) : undefined;
      const aMiddle = bMiddle || !isOut(b.shape) ? undefined : broadcastInMiddle(b.shape, a.shape);
      const m = bMiddle ?? aMiddle;
      if (m) {
        const [full, part] = bMiddle ? [a, b] : [b, a];
        simd.equal_broadcast_middle(offset(backend, full), offset(backend, part), offset(backend, out), m[0], m[1], m[2]);
        return out;
      }
    }
    const [sa0, sa1, sa2, sa3] = broadcastStrides(a.shape, o4) as [number, number, number, number];
    const [sb0, sb1, sb2, sb3] = broadcastStrides(b.shape, o4) as [number, number, number, number];
    // Views after makeOutput: allocating may grow (and move) the heap.
    const av = backend.typedArrayFromHeap(a);
    const bv = backend.typedArrayFromHeap(b);
    const ov = backend.typedArrayFromHeap(out) as Uint8Array;
    let k = 0;
    for (let i0 = 0; i0 < o4[0]; i0++) {
      for (let i1 = 0; i1 < o4[1]; i1++) {
        for (let i2 = 0; i2 < o4[2]; i2++) {
          let ia = i0 * sa0 + i1 * sa1 + i2 * sa2;
          let ib = i0 * sb0 + i1 * sb1 + i2 * sb2;
          for (let i3 = 0; i3 < o4[3]; i3++, ia += sa3, ib += sb3) ov[k++] = av[ia] === bv[ib] ? 1 : 0;
        }
      }
    }
    return out;
  });
}

/** MaxPoolGrad (NHWC, float32) by scatter from each window's argmax; other cases go to `native`. */
export function maxPoolGradConfig(native: KernelConfig): KernelConfig {
  return replacing(native, (args) => {
    const dy = args.inputs.dy as TensorInfo;
    const input = args.inputs.input as TensorInfo;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) return native.kernelFunc(args);
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
    const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const backend = args.backend as unknown as WasmHeapBackend;
    const dx = backend.makeOutput(input.shape, 'float32');
    const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = info;
    const { dilationHeight: dh, dilationWidth: dw, effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const twoByTwo = FH === 2 && FW === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && 2 * OH <= H && 2 * OW <= W;
    const simd = twoByTwo && C % 4 === 0 ? simdKernels(args.backend) : undefined;
    if (simd) {
      simd.max_pool_grad_2x2(offset(args.backend, input), offset(args.backend, dy), offset(args.backend, dx), N, H, W, C, OH, OW);
      return dx;
    }
    const x = backend.typedArrayFromHeap(input) as Float32Array;
    const g = backend.typedArrayFromHeap(dy) as Float32Array;
    const d = backend.typedArrayFromHeap(dx) as Float32Array;
    d.fill(0);
    if (twoByTwo) {
      maxPoolGrad2x2(x, g, d, N, H, W, C, OH, OW);
      return dx;
    }
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < OH; oh++) {
        const r0 = oh * sh - top;
        for (let ow = 0; ow < OW; ow++) {
          const c0 = ow * sw - left;
          const gBase = ((n * OH + oh) * OW + ow) * C;
          for (let c = 0; c < C; c++) {
            let best = Number.NEGATIVE_INFINITY;
            let at = -1;
            for (let wr = 0; wr < FH; wr += dh) {
              const r = r0 + wr;
              if (r < 0 || r >= H) continue;
              for (let wc = 0; wc < FW; wc += dw) {
                const col = c0 + wc;
                if (col < 0 || col >= W) continue;
                const i = ((n * H + r) * W + col) * C + c;
                const v = x[i]!;
                if (v > best) {
                  best = v;
                  at = i;
                }
              }
            }
            if (at >= 0) d[at] = d[at]! + g[gBase + c]!;
          }
        }
      }
    }
    return dx;
  });
}

/**
 * The 2x2 / stride 2 pool with every window inside the image (the built-in
 * models' pools): the general loop unrolled, same order and comparisons.
 */
function maxPoolGrad2x2(x: Float32Array, g: Float32Array, d: Float32Array, N: number, H: number, W: number, C: number, OH: number, OW: number): void {
  const row = W * C;
  let gi = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const base = (n * H + 2 * oh) * row;
      for (let ow = 0; ow < OW; ow++) {
        const i0 = base + 2 * ow * C;
        for (let c = 0; c < C; c++, gi++) {
          const a = i0 + c;
          let at = -1;
          let best = Number.NEGATIVE_INFINITY;
          let v = x[a]!;
          if (v > best) {
            best = v;
            at = a;
          }
          v = x[a + C]!;
          if (v > best) {
            best = v;
            at = a + C;
          }
          v = x[a + row]!;
          if (v > best) {
            best = v;
            at = a + row;
          }
          v = x[a + row + C]!;
          if (v > best) at = a + row + C;
          if (at >= 0) d[at] = d[at]! + g[gi]!;
        }
      }
    }
  }
}
