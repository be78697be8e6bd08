/*
 * dicomflow's training kernels in WebAssembly SIMD, run on the tfjs wasm
 * backend's own heap: the module imports that backend's memory, so every
 * pointer below is a tensor's memoryOffset there and nothing is copied.
 *
 * Built by wasm/own/build-train-kernels.sh with clang (wasm32, -O3,
 * -msimd128, no libc). The module must use no memory of its own: no static
 * data and no shadow stack (the build checks that __stack_pointer is never
 * read), since that memory belongs to tfjs's allocator.
 *
 * Shapes are NHWC float32; the TypeScript callers
 * (src/train/wasm-kernels/simd.ts) check every precondition stated here.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef v128_t f4;
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store((p), (v))
#define SPLAT(x) wasm_f32x4_splat(x)
#define MADD(acc, a, b) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))

/*
 * One block of Q <= 4 rows of dW against 8 output channels, over the output
 * pixels ow0..ow1 of one output row:
 *   dw[q*O + o] += sum over ow of xp[ow*xs + offq] * dy[ow*O + o], o < 8.
 * xs is the input step from one output pixel to the next (stride * C).
 * Kept in registers: 2*Q accumulators, two dy vectors and one splat (at most
 * 11 of the 16 SIMD registers V8 has on x64). The offsets are scalars, not an
 * array, so nothing lives on the shadow stack (which this module must not use).
 */
static inline __attribute__((always_inline)) void block8(int Q, const float* xp, int xs, int f0, int f1, int f2, int f3,
                                                         const float* dy, int O, float* dw, int ow0, int ow1) {
  f4 a0 = LD(dw), b0 = LD(dw + 4);
  f4 a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
  if (Q > 1) a1 = LD(dw + O), b1 = LD(dw + O + 4);
  if (Q > 2) a2 = LD(dw + 2 * O), b2 = LD(dw + 2 * O + 4);
  if (Q > 3) a3 = LD(dw + 3 * O), b3 = LD(dw + 3 * O + 4);
  for (int ow = ow0; ow < ow1; ow++) {
    const float* x = xp + ow * xs;
    f4 d0 = LD(dy + ow * O), d1 = LD(dy + ow * O + 4);
    f4 s = SPLAT(x[f0]);
    a0 = MADD(a0, s, d0), b0 = MADD(b0, s, d1);
    if (Q > 1) s = SPLAT(x[f1]), a1 = MADD(a1, s, d0), b1 = MADD(b1, s, d1);
    if (Q > 2) s = SPLAT(x[f2]), a2 = MADD(a2, s, d0), b2 = MADD(b2, s, d1);
    if (Q > 3) s = SPLAT(x[f3]), a3 = MADD(a3, s, d0), b3 = MADD(b3, s, d1);
  }
  ST(dw, a0), ST(dw + 4, b0);
  if (Q > 1) ST(dw + O, a1), ST(dw + O + 4, b1);
  if (Q > 2) ST(dw + 2 * O, a2), ST(dw + 2 * O + 4, b2);
  if (Q > 3) ST(dw + 3 * O, a3), ST(dw + 3 * O + 4, b3);
}

/* The same for the last 4 output channels when O % 8 == 4. */
static inline __attribute__((always_inline)) void block4(int Q, const float* xp, int xs, int f0, int f1, int f2, int f3,
                                                         const float* dy, int O, float* dw, int ow0, int ow1) {
  f4 a0 = LD(dw), a1 = a0, a2 = a0, a3 = a0;
  if (Q > 1) a1 = LD(dw + O);
  if (Q > 2) a2 = LD(dw + 2 * O);
  if (Q > 3) a3 = LD(dw + 3 * O);
  for (int ow = ow0; ow < ow1; ow++) {
    const float* x = xp + ow * xs;
    f4 d0 = LD(dy + ow * O);
    a0 = MADD(a0, SPLAT(x[f0]), d0);
    if (Q > 1) a1 = MADD(a1, SPLAT(x[f1]), d0);
    if (Q > 2) a2 = MADD(a2, SPLAT(x[f2]), d0);
    if (Q > 3) a3 = MADD(a3, SPLAT(x[f3]), d0);
  }
  ST(dw, a0);
  if (Q > 1) ST(dw + O, a1);
  if (Q > 2) ST(dw + 2 * O, a2);
  if (Q > 3) ST(dw + 3 * O, a3);
}

/* block8/block4 with Q a constant in each call, so each is compiled for its Q. */
#define BLOCKS(fn, xp, xs, f0, f1, f2, f3, dy, O, dw, lo, hi, Q)  \
  switch (Q) {                                                    \
    case 4: fn(4, xp, xs, f0, f1, f2, f3, dy, O, dw, lo, hi); break; \
    case 3: fn(3, xp, xs, f0, f1, f2, f3, dy, O, dw, lo, hi); break; \
    case 2: fn(2, xp, xs, f0, f1, f2, f3, dy, O, dw, lo, hi); break; \
    default: fn(1, xp, xs, f0, f1, f2, f3, dy, O, dw, lo, hi); break; \
  }

/* Where dW row k = (kw, c) of a filter row reads, relative to (kw 0, c 0). */
#define TAP(k) (((k) / C) * dwl * C + (k) % C)

/*
 * Conv2DBackpropFilter, NHWC:
 *   dW[kh, kw, c, o] = sum over n, oh, ow of x[n, oh*sh - top + kh*dh, ow*sw - left + kw*dwl, c] * dy[n, oh, ow, o]
 * with taps outside x contributing nothing. dW is [FH, FW, C, O], O % 4 == 0.
 *
 * For one output row and one kh, the (kw, c) pairs are the J = FW*C rows of
 * dW that read input row ih; they are taken Q <= 4 at a time against 8 (or 4)
 * output channels, over the output pixels whose every tap is inside the row
 * (the interior). The few edge pixels, where some kw falls in the padding,
 * go through the scalar loop below. One output row of dy (OW*O floats) and
 * FH input rows stay in cache while every block is done.
 */
EXPORT(conv2d_filter_grad)
void conv2d_filter_grad(const float* x, const float* dy, float* dw,
                        int N, int H, int W, int C, int OH, int OW, int O,
                        int FH, int FW, int sh, int sw, int dh, int dwl, int top, int left) {
  const int J = FW * C;
  for (int i = 0; i < FH * J * O; i++) dw[i] = 0.0f;
  /* Interior: ow*sw - left >= 0 and ow*sw - left + (FW-1)*dwl <= W-1. */
  int lo = left <= 0 ? 0 : (left + sw - 1) / sw;
  int last = W - 1 - (FW - 1) * dwl + left; /* ow*sw <= last */
  int hi = last < 0 ? 0 : last / sw + 1;
  if (hi > OW) hi = OW;
  if (lo > hi) lo = hi;
  const int xs = sw * C;
  for (int n = 0; n < N; n++) {
    for (int oh = 0; oh < OH; oh++) {
      const float* dyr = dy + ((n * OH + oh) * OW) * O;
      for (int kh = 0; kh < FH; kh++) {
        int ih = oh * sh - top + kh * dh;
        if (ih < 0 || ih >= H) continue;
        const float* xr = x + ((n * H + ih) * W) * C;
        float* dwk = dw + kh * J * O;
        if (lo < hi) {
          /* xp: where output pixel 0 would read tap (kw 0, c 0); interior pixels only ever read inside the row. */
          const float* xp = xr - left * C;
          for (int j = 0; j < J; j += 4) {
            int Q = J - j < 4 ? J - j : 4;
            /* Offset of dW row j+q ((kw, c) = divmod(j+q, C)) from where its input row is read. */
            int f0 = TAP(j), f1 = TAP(j + 1), f2 = TAP(j + 2), f3 = TAP(j + 3);
            float* dwj = dwk + j * O;
            int o = 0;
            for (; o + 8 <= O; o += 8) BLOCKS(block8, xp, xs, f0, f1, f2, f3, dyr + o, O, dwj + o, lo, hi, Q)
            if (o < O) BLOCKS(block4, xp, xs, f0, f1, f2, f3, dyr + o, O, dwj + o, lo, hi, Q)
          }
        }
        /* Edge pixels: each tap checked. */
        for (int ow = 0; ow < OW; ow++) {
          if (ow == lo && lo < hi) ow = hi;
          if (ow >= OW) break;
          const float* d = dyr + ow * O;
          for (int kw = 0; kw < FW; kw++) {
            int iw = ow * sw - left + kw * dwl;
            if (iw < 0 || iw >= W) continue;
            for (int c = 0; c < C; c++) {
              f4 s = SPLAT(xr[iw * C + c]);
              float* g = dwk + (kw * C + c) * O;
              for (int o = 0; o < O; o += 4) ST(g + o, MADD(LD(g + o), s, LD(d + o)));
            }
          }
        }
      }
    }
  }
}

/*
 * MaxPoolGrad for a 2x2 window, stride 2, no padding, every window inside
 * x (2*OH <= H, 2*OW <= W), C % 4 == 0. Each window sends its dy to the
 * first maximum in row-major order by a strict '>' from -Infinity (NaN is
 * never a maximum; a window of NaN and -Infinity sends nothing): the rule of
 * tfjs's cpu backend. Windows do not overlap, so each dx value is either its
 * window's dy or 0, and a row or column no window covers is 0.
 */
EXPORT(max_pool_grad_2x2)
void max_pool_grad_2x2(const float* x, const float* dy, float* dx, int N, int H, int W, int C, int OH, int OW) {
  const int row = W * C;
  const f4 ninf = SPLAT(-__builtin_inff());
  const f4 zero = wasm_f32x4_splat(0.0f);
  for (int n = 0; n < N; n++) {
    for (int h = 2 * OH; h < H; h++)
      for (int i = 0; i < row; i++) dx[(n * H + h) * row + i] = 0.0f;
    for (int oh = 0; oh < OH; oh++) {
      const int base = (n * H + 2 * oh) * row;
      for (int i = 2 * OW * C; i < row; i++) {
        dx[base + i] = 0.0f;
        dx[base + row + i] = 0.0f;
      }
      const float* g = dy + ((n * OH + oh) * OW) * C;
      for (int ow = 0; ow < OW; ow++) {
        for (int c = 0; c < C; c += 4) {
          const int a = base + 2 * ow * C + c;
          f4 v0 = LD(x + a), v1 = LD(x + a + C), v2 = LD(x + a + row), v3 = LD(x + a + row + C);
          /* Whether each value beats the best so far (comparisons with NaN are false). */
          f4 m0 = wasm_f32x4_gt(v0, ninf);
          f4 best = wasm_v128_bitselect(v0, ninf, m0);
          f4 m1 = wasm_f32x4_gt(v1, best);
          best = wasm_v128_bitselect(v1, best, m1);
          f4 m2 = wasm_f32x4_gt(v2, best);
          best = wasm_v128_bitselect(v2, best, m2);
          f4 m3 = wasm_f32x4_gt(v3, best);
          /* The argmax is the last value that beat the best. */
          f4 t2 = wasm_v128_andnot(m2, m3);
          f4 t1 = wasm_v128_andnot(wasm_v128_andnot(m1, m2), m3);
          f4 t0 = wasm_v128_andnot(wasm_v128_andnot(wasm_v128_andnot(m0, m1), m2), m3);
          f4 d = LD(g + ow * C + c);
          ST(dx + a, wasm_v128_bitselect(d, zero, t0));
          ST(dx + a + C, wasm_v128_bitselect(d, zero, t1));
          ST(dx + a + row, wasm_v128_bitselect(d, zero, t2));
          ST(dx + a + row + C, wasm_v128_bitselect(d, zero, m3));
        }
      }
    }
  }
}

/*
 * out[i] = sum over r < R of x[r*I + i], for I % 4 == 0: a Sum over the
 * leading axes (a bias gradient sums dy over N, H, W). Rows are added in
 * blocks of 256 into registers and the block sums into out, so no float
 * accumulates more than 256 terms plus R/256 block sums.
 */
EXPORT(sum_leading)
void sum_leading(const float* x, float* out, int R, int I) {
  for (int i = 0; i < I; i++) out[i] = 0.0f;
  for (int i = 0; i < I; i += 16) {
    int w = I - i < 16 ? I - i : 16;
    for (int r0 = 0; r0 < R; r0 += 256) {
      int r1 = R - r0 < 256 ? R : r0 + 256;
      f4 s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
      const float* p = x + r0 * I + i;
      if (w == 16) {
        for (int r = r0; r < r1; r++, p += I) {
          s0 = wasm_f32x4_add(s0, LD(p));
          s1 = wasm_f32x4_add(s1, LD(p + 4));
          s2 = wasm_f32x4_add(s2, LD(p + 8));
          s3 = wasm_f32x4_add(s3, LD(p + 12));
        }
        ST(out + i + 4, wasm_f32x4_add(LD(out + i + 4), s1));
        ST(out + i + 8, wasm_f32x4_add(LD(out + i + 8), s2));
        ST(out + i + 12, wasm_f32x4_add(LD(out + i + 12), s3));
      } else {
        for (int r = r0; r < r1; r++, p += I) s0 = wasm_f32x4_add(s0, LD(p));
        for (int k = 4; k < w; k += 4) {
          f4 s = wasm_f32x4_splat(0.0f);
          const float* q = x + r0 * I + i + k;
          for (int r = r0; r < r1; r++, q += I) s = wasm_f32x4_add(s, LD(q));
          ST(out + i + k, wasm_f32x4_add(LD(out + i + k), s));
        }
      }
      ST(out + i, wasm_f32x4_add(LD(out + i), s0));
    }
  }
}

/* out[r*C + c] = x[r*C + c] + b[c] for r < R, C % 4 == 0 (a bias add). */
EXPORT(bias_add)
void bias_add(const float* x, const float* b, float* out, int R, int C) {
  for (int r = 0; r < R; r++) {
    const float* p = x + r * C;
    float* q = out + r * C;
    for (int c = 0; c < C; c += 4) ST(q + c, wasm_f32x4_add(LD(p + c), LD(b + c)));
  }
}

/*
 * Equal of a [P, R, I] and b [P, 1, I] (b broadcast along the middle axis),
 * float32, I % 4 == 0: out[(p*R + r)*I + i] = a[...] == b[p*I + i] as bytes
 * 1/0. The mask of a global max pool's gradient (x == max(x)) is this with
 * P = N, R = H*W, I = C.
 */
EXPORT(equal_broadcast_middle)
void equal_broadcast_middle(const float* a, const float* b, unsigned char* out, int P, int R, int I) {
  const v128_t one = wasm_i8x16_splat(1);
  for (int p = 0; p < P; p++) {
    const float* bp = b + p * I;
    for (int r = 0; r < R; r++) {
      const float* ap = a + (p * R + r) * I;
      unsigned char* o = out + (p * R + r) * I;
      int i = 0;
      for (; i + 16 <= I; i += 16) {
        v128_t m0 = wasm_f32x4_eq(LD(ap + i), LD(bp + i));
        v128_t m1 = wasm_f32x4_eq(LD(ap + i + 4), LD(bp + i + 4));
        v128_t m2 = wasm_f32x4_eq(LD(ap + i + 8), LD(bp + i + 8));
        v128_t m3 = wasm_f32x4_eq(LD(ap + i + 12), LD(bp + i + 12));
        /* Lanes are 0 or -1; narrowing keeps them 0 or -1, one byte each. */
        v128_t m = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(m0, m1), wasm_i16x8_narrow_i32x4(m2, m3));
        wasm_v128_store(o + i, wasm_v128_and(m, one));
      }
      for (; i < I; i++) o[i] = ap[i] == bp[i];
    }
  }
}

/*
 * Four output pixels (P <= 4, input step xs apart) by 8 output channels of a
 * convolution, over the K inputs of one filter row: K = FW*C consecutive
 * floats of the input row and of the filter (xp and wp advance together).
 */
static inline __attribute__((always_inline)) void conv_block8(int P, const float* xp, int xs, const float* wp, int K, int O,
                                                              f4* a0, f4* b0, f4* a1, f4* b1, f4* a2, f4* b2, f4* a3, f4* b3) {
  f4 A0 = *a0, B0 = *b0, A1 = *a1, B1 = *b1, A2 = *a2, B2 = *b2, A3 = *a3, B3 = *b3;
  for (int k = 0; k < K; k++) {
    f4 w0 = LD(wp + k * O), w1 = LD(wp + k * O + 4);
    f4 s = SPLAT(xp[k]);
    A0 = MADD(A0, s, w0), B0 = MADD(B0, s, w1);
    if (P > 1) s = SPLAT(xp[xs + k]), A1 = MADD(A1, s, w0), B1 = MADD(B1, s, w1);
    if (P > 2) s = SPLAT(xp[2 * xs + k]), A2 = MADD(A2, s, w0), B2 = MADD(B2, s, w1);
    if (P > 3) s = SPLAT(xp[3 * xs + k]), A3 = MADD(A3, s, w0), B3 = MADD(B3, s, w1);
  }
  *a0 = A0, *b0 = B0, *a1 = A1, *b1 = B1, *a2 = A2, *b2 = B2, *a3 = A3, *b3 = B3;
}

/*
 * Conv2D, NHWC, dilation 1, O % 8 == 0, with an optional bias (0 for none)
 * and ReLU:
 *   out[n, oh, ow, o] = act(bias[o] + sum of x[n, oh*sh - top + kh, ow*sw - left + kw, c] * w[kh, kw, c, o])
 * with taps outside x contributing nothing. For each kh the FW*C inputs of a
 * pixel are one run of the input row (NHWC), matched by one run of filter
 * rows, so the interior pixels go 4 at a time by 8 channels with 8 SIMD
 * accumulators; pixels where a kw falls outside the row go one at a time.
 */
EXPORT(conv2d_forward)
void conv2d_forward(const float* x, const float* w, const float* bias, float* out,
                    int N, int H, int W, int C, int OH, int OW, int O,
                    int FH, int FW, int sh, int sw, int top, int left, int relu) {
  const int K = FW * C;
  int lo = left <= 0 ? 0 : (left + sw - 1) / sw;
  int last = W - FW + left;
  int hi = last < 0 ? 0 : last / sw + 1;
  if (hi > OW) hi = OW;
  if (lo > hi) lo = hi;
  const int xs = sw * C;
  const f4 zero = wasm_f32x4_splat(0.0f);
  for (int n = 0; n < N; n++) {
    for (int oh = 0; oh < OH; oh++) {
      float* orow = out + ((n * OH + oh) * OW) * O;
      int kh0 = top - oh * sh;
      if (kh0 < 0) kh0 = 0;
      int kh1 = H + top - oh * sh;
      if (kh1 > FH) kh1 = FH;
      for (int o = 0; o < O; o += 8) {
        f4 i0 = bias ? LD(bias + o) : zero, i1 = bias ? LD(bias + o + 4) : zero;
        int ow = lo;
        for (; ow < hi; ow += 4) {
          int P = hi - ow < 4 ? hi - ow : 4;
          f4 a0 = i0, b0 = i1, a1 = i0, b1 = i1, a2 = i0, b2 = i1, a3 = i0, b3 = i1;
          for (int kh = kh0; kh < kh1; kh++) {
            const float* xp = x + ((n * H + oh * sh - top + kh) * W + ow * sw - left) * C;
            const float* wp = w + kh * K * O + o;
            switch (P) {
              case 4: conv_block8(4, xp, xs, wp, K, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3); break;
              case 3: conv_block8(3, xp, xs, wp, K, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3); break;
              case 2: conv_block8(2, xp, xs, wp, K, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3); break;
              default: conv_block8(1, xp, xs, wp, K, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3); break;
            }
          }
          if (relu) {
            a0 = wasm_f32x4_max(a0, zero), b0 = wasm_f32x4_max(b0, zero), a1 = wasm_f32x4_max(a1, zero), b1 = wasm_f32x4_max(b1, zero);
            a2 = wasm_f32x4_max(a2, zero), b2 = wasm_f32x4_max(b2, zero), a3 = wasm_f32x4_max(a3, zero), b3 = wasm_f32x4_max(b3, zero);
          }
          float* q = orow + ow * O + o;
          ST(q, a0), ST(q + 4, b0);
          if (P > 1) ST(q + O, a1), ST(q + O + 4, b1);
          if (P > 2) ST(q + 2 * O, a2), ST(q + 2 * O + 4, b2);
          if (P > 3) ST(q + 3 * O, a3), ST(q + 3 * O + 4, b3);
        }
        /* Edge pixels: each tap checked. */
        for (ow = 0; ow < OW; ow++) {
          if (ow == lo && lo < hi) ow = hi;
          if (ow >= OW) break;
          f4 a = i0, b = i1;
          for (int kh = kh0; kh < kh1; kh++) {
            const float* xr = x + ((n * H + oh * sh - top + kh) * W) * C;
            for (int kw = 0; kw < FW; kw++) {
              int iw = ow * sw - left + kw;
              if (iw < 0 || iw >= W) continue;
              const float* wp = w + (kh * K + kw * C) * O + o;
              for (int c = 0; c < C; c++) {
                f4 s = SPLAT(xr[iw * C + c]);
                a = MADD(a, s, LD(wp + c * O)), b = MADD(b, s, LD(wp + c * O + 4));
              }
            }
          }
          if (relu) a = wasm_f32x4_max(a, zero), b = wasm_f32x4_max(b, zero);
          ST(orow + ow * O + o, a), ST(orow + ow * O + o + 4, b);
        }
      }
    }
  }
}
