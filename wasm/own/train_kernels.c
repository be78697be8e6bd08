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

/*
 * Conv2D with a 3x3 filter, stride 1, dilation 1, NHWC, C % 4 == 0 and
 * O % 8 == 0, by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2016): each 2x2 block
 * of output pixels comes from a 4x4 input tile d as
 *   Y = A^T [ sum over c of (G g_c G^T) .* (B^T d_c B) ] A,
 * 16 products per channel pair for 4 outputs instead of 36. The sums over c
 * are 16 matrix products (one per tile position xi) of the transformed tiles
 * [tiles x C] by the transformed filter [C x O], done with conv_block8; the
 * transforms are additions (and halvings for the filter). Same result as
 * conv2d_forward up to float32 rounding (the terms are summed in another
 * order, through the transforms).
 *
 * ws is scratch in the backend's heap, 16 * (C*O + TW*C + TW*O) floats with
 * TW = ceil(OW / 2): the transformed filter U[xi][c][o], and one row of
 * tiles at a time, transformed V[xi][tile][c] and multiplied M[xi][tile][o].
 * Taps outside x are zeros (any top/left padding); outputs past OH/OW of the
 * last tiles are not written.
 */
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul

/* Loads 4 channels of input pixel (ih, iw), or zeros outside the image. */
static inline __attribute__((always_inline)) f4 tap(const float* img, int H, int W, int C, int ih, int iw) {
  return (unsigned)ih < (unsigned)H && (unsigned)iw < (unsigned)W ? LD(img + (ih * W + iw) * C) : wasm_f32x4_splat(0.0f);
}

/*
 * The input transform of one 4x4 tile, 4 channels: V = B^T d B with
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], d read from input pixel
 * (ih, iw) on (zeros outside the image); STORE(xi, v) receives each of the
 * 16 transformed values, xi = 4 * row + column. A macro, not a function, so
 * each caller stores in its own layout and nothing goes through memory.
 */
#define INPUT_TILE(p, H, W, C, ih, iw, STORE)                                                                                                 \
  {                                                                                                                                          \
    f4 d00 = tap(p, H, W, C, ih, iw), d01 = tap(p, H, W, C, ih, iw + 1), d02 = tap(p, H, W, C, ih, iw + 2), d03 = tap(p, H, W, C, ih, iw + 3); \
    f4 d10 = tap(p, H, W, C, ih + 1, iw), d11 = tap(p, H, W, C, ih + 1, iw + 1);                                                            \
    f4 d12 = tap(p, H, W, C, ih + 1, iw + 2), d13 = tap(p, H, W, C, ih + 1, iw + 3);                                                        \
    f4 d20 = tap(p, H, W, C, ih + 2, iw), d21 = tap(p, H, W, C, ih + 2, iw + 1);                                                            \
    f4 d22 = tap(p, H, W, C, ih + 2, iw + 2), d23 = tap(p, H, W, C, ih + 2, iw + 3);                                                        \
    f4 d30 = tap(p, H, W, C, ih + 3, iw), d31 = tap(p, H, W, C, ih + 3, iw + 1);                                                            \
    f4 d32 = tap(p, H, W, C, ih + 3, iw + 2), d33 = tap(p, H, W, C, ih + 3, iw + 3);                                                        \
    /* Rows of B^T d, then B along each row. */                                                                                              \
    f4 r00 = SUB(d00, d20), r01 = SUB(d01, d21), r02 = SUB(d02, d22), r03 = SUB(d03, d23);                                                  \
    f4 r10 = ADD(d10, d20), r11 = ADD(d11, d21), r12 = ADD(d12, d22), r13 = ADD(d13, d23);                                                  \
    f4 r20 = SUB(d20, d10), r21 = SUB(d21, d11), r22 = SUB(d22, d12), r23 = SUB(d23, d13);                                                  \
    f4 r30 = SUB(d10, d30), r31 = SUB(d11, d31), r32 = SUB(d12, d32), r33 = SUB(d13, d33);                                                  \
    STORE(0, SUB(r00, r02)) STORE(1, ADD(r01, r02)) STORE(2, SUB(r02, r01)) STORE(3, SUB(r01, r03))                                         \
    STORE(4, SUB(r10, r12)) STORE(5, ADD(r11, r12)) STORE(6, SUB(r12, r11)) STORE(7, SUB(r11, r13))                                         \
    STORE(8, SUB(r20, r22)) STORE(9, ADD(r21, r22)) STORE(10, SUB(r22, r21)) STORE(11, SUB(r21, r23))                                       \
    STORE(12, SUB(r30, r32)) STORE(13, ADD(r31, r32)) STORE(14, SUB(r32, r31)) STORE(15, SUB(r31, r33))                                     \
  }

EXPORT(conv2d_winograd_3x3)
void conv2d_winograd_3x3(const float* x, const float* w, const float* bias, float* out, float* ws,
                         int N, int H, int W, int C, int OH, int OW, int O, int top, int left, int relu) {
  const int TW = (OW + 1) / 2, TH = (OH + 1) / 2;
  float* U = ws;
  float* V = U + 16 * C * O;
  float* M = V + 16 * TW * C;
  const f4 half = wasm_f32x4_splat(0.5f), zero = wasm_f32x4_splat(0.0f);

  /* U = G g G^T, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], 4 output channels at a time. */
  const int s = C * O; /* from one filter tap (kh, kw) to the next */
  for (int c = 0; c < C; c++) {
    for (int o = 0; o < O; o += 4) {
      const float* g = w + c * O + o;
      f4 g00 = LD(g), g01 = LD(g + s), g02 = LD(g + 2 * s);
      f4 g10 = LD(g + 3 * s), g11 = LD(g + 4 * s), g12 = LD(g + 5 * s);
      f4 g20 = LD(g + 6 * s), g21 = LD(g + 7 * s), g22 = LD(g + 8 * s);
      /* Rows of G g. */
      f4 t10 = MUL(half, ADD(ADD(g00, g10), g20)), t11 = MUL(half, ADD(ADD(g01, g11), g21)), t12 = MUL(half, ADD(ADD(g02, g12), g22));
      f4 t20 = MUL(half, ADD(SUB(g00, g10), g20)), t21 = MUL(half, ADD(SUB(g01, g11), g21)), t22 = MUL(half, ADD(SUB(g02, g12), g22));
      float* u = U + c * O + o;
#define FILTER_ROW(i, a, b, cc)                                  \
  ST(u + (4 * (i) + 0) * s, (a));                               \
  ST(u + (4 * (i) + 1) * s, MUL(half, ADD(ADD((a), (b)), (cc)))); \
  ST(u + (4 * (i) + 2) * s, MUL(half, ADD(SUB((a), (b)), (cc)))); \
  ST(u + (4 * (i) + 3) * s, (cc));
      FILTER_ROW(0, g00, g01, g02)
      FILTER_ROW(1, t10, t11, t12)
      FILTER_ROW(2, t20, t21, t22)
      FILTER_ROW(3, g20, g21, g22)
#undef FILTER_ROW
    }
  }

  for (int n = 0; n < N; n++) {
    const float* img = x + n * H * W * C;
    for (int th = 0; th < TH; th++) {
      const int ih = 2 * th - top;
      /* V = B^T d B (INPUT_TILE) for the row of tiles. */
      for (int tw = 0; tw < TW; tw++) {
        const int iw = 2 * tw - left;
        for (int c = 0; c < C; c += 4) {
          float* v = V + tw * C + c;
          const int vs = TW * C; /* from one tile position xi to the next */
#define STORE_V(xi, val) ST(v + (xi) * vs, (val));
          INPUT_TILE(img + c, H, W, C, ih, iw, STORE_V)
#undef STORE_V
        }
      }
      /* M[xi] = V[xi] U[xi]: [TW x C] by [C x O], 4 tiles by 8 channels at a time. */
      for (int xi = 0; xi < 16; xi++) {
        const float* vx = V + xi * TW * C;
        const float* ux = U + xi * C * O;
        float* mx = M + xi * TW * O;
        for (int o = 0; o < O; o += 8) {
          for (int tw = 0; tw < TW; tw += 4) {
            int P = TW - tw < 4 ? TW - tw : 4;
            f4 a0 = zero, b0 = zero, a1 = zero, b1 = zero, a2 = zero, b2 = zero, a3 = zero, b3 = zero;
            const float* vp = vx + tw * C;
            const float* up = ux + o;
            switch (P) {
              case 4: conv_block8(4, vp, C, up, C, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3); break;
              case 3: conv_block8(3, vp, C, up, C, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3); break;
              case 2: conv_block8(2, vp, C, up, C, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3); break;
              default: conv_block8(1, vp, C, up, C, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3); break;
            }
            float* q = mx + tw * O + o;
            ST(q, a0), ST(q + 4, b0);
            if (P > 1) ST(q + O, a1), ST(q + O + 4, b1);
            if (P > 2) ST(q + 2 * O, a2), ST(q + 2 * O + 4, b2);
            if (P > 3) ST(q + 3 * O, a3), ST(q + 3 * O + 4, b3);
          }
        }
      }
      /* Y = A^T M A, A^T = [1 1 1 0; 0 1 -1 -1], plus bias, ReLU; rows 2th, 2th+1. */
      const int ms = TW * O;
      const int oh = 2 * th;
      float* orow0 = out + ((n * OH + oh) * OW) * O;
      float* orow1 = orow0 + OW * O;
      const int second_row = oh + 1 < OH;
      for (int tw = 0; tw < TW; tw++) {
        const int ow = 2 * tw;
        const int second_col = ow + 1 < OW;
        for (int o = 0; o < O; o += 4) {
          const float* m = M + tw * O + o;
          f4 m00 = LD(m), m01 = LD(m + ms), m02 = LD(m + 2 * ms), m03 = LD(m + 3 * ms);
          f4 m10 = LD(m + 4 * ms), m11 = LD(m + 5 * ms), m12 = LD(m + 6 * ms), m13 = LD(m + 7 * ms);
          f4 m20 = LD(m + 8 * ms), m21 = LD(m + 9 * ms), m22 = LD(m + 10 * ms), m23 = LD(m + 11 * ms);
          f4 m30 = LD(m + 12 * ms), m31 = LD(m + 13 * ms), m32 = LD(m + 14 * ms), m33 = LD(m + 15 * ms);
          /* Rows of A^T M. */
          f4 q00 = ADD(ADD(m00, m10), m20), q01 = ADD(ADD(m01, m11), m21), q02 = ADD(ADD(m02, m12), m22), q03 = ADD(ADD(m03, m13), m23);
          f4 q10 = SUB(SUB(m10, m20), m30), q11 = SUB(SUB(m11, m21), m31), q12 = SUB(SUB(m12, m22), m32), q13 = SUB(SUB(m13, m23), m33);
          f4 b = bias ? LD(bias + o) : zero;
          f4 y00 = ADD(b, ADD(ADD(q00, q01), q02)), y01 = ADD(b, SUB(SUB(q01, q02), q03));
          f4 y10 = ADD(b, ADD(ADD(q10, q11), q12)), y11 = ADD(b, SUB(SUB(q11, q12), q13));
          if (relu) y00 = wasm_f32x4_max(y00, zero), y01 = wasm_f32x4_max(y01, zero), y10 = wasm_f32x4_max(y10, zero), y11 = wasm_f32x4_max(y11, zero);
          ST(orow0 + ow * O + o, y00);
          if (second_col) ST(orow0 + (ow + 1) * O + o, y01);
          if (second_row) {
            ST(orow1 + ow * O + o, y10);
            if (second_col) ST(orow1 + (ow + 1) * O + o, y11);
          }
        }
      }
    }
  }
}

/*
 * Conv2DBackpropFilter for a 3x3 filter, stride 1, dilation 1, NHWC,
 * C % 4 == 0 and O % 8 == 0, by Winograd's F(3x3, 2x2): the same identity
 * as conv2d_winograd_3x3 read the other way round. With the 2x2 block of dy
 * at each tile as the "filter" and the tile's 4x4 input d,
 *   dW = G^T [ sum over tiles of (A dy A^T) .* (B^T d B) ] G
 * (A, B, G the matrices of F(2x2, 3x3) above): 16 products per tile and
 * channel pair instead of 36. The sum over tiles is, per tile position xi,
 * a matrix product [C x tiles] by [tiles x O] into M[xi][c][o], kept over
 * every tile of every image (conv_block8 with the tiles as its long inner
 * loop); the 3x3 output transform runs once at the end.
 *
 * ws is scratch, 16 * (C*TW + TW*O + C*O) floats, TW = ceil(OW / 2): one row
 * of tiles transformed, x as V[xi][c][tile] and dy as Z[xi][tile][o], and
 * the sums M. Taps outside x, and dy past OH/OW in the last tiles, are zeros.
 */
EXPORT(conv2d_filter_grad_winograd_3x3)
void conv2d_filter_grad_winograd_3x3(const float* x, const float* dy, float* dw, float* ws,
                                     int N, int H, int W, int C, int OH, int OW, int O, int top, int left) {
  const int TW = (OW + 1) / 2, TH = (OH + 1) / 2;
  float* VT = ws;
  float* Z = VT + 16 * C * TW;
  float* M = Z + 16 * TW * O;
  const f4 half = wasm_f32x4_splat(0.5f), zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < 16 * C * O; i++) M[i] = 0.0f;
  const int vs = C * TW; /* VT: from one tile position xi to the next */
  const int zs = TW * O; /* Z: likewise */

  for (int n = 0; n < N; n++) {
    const float* img = x + n * H * W * C;
    const float* g = dy + n * OH * OW * O;
    for (int th = 0; th < TH; th++) {
      const int ih = 2 * th - top;
      const int oh = 2 * th;
      const int second_row = oh + 1 < OH;
      for (int tw = 0; tw < TW; tw++) {
        /* V = B^T d B, stored transposed: one row of VT per (xi, channel). */
        const int iw = 2 * tw - left;
        for (int c = 0; c < C; c += 4) {
          float* v = VT + c * TW + tw;
          /* Lane l of each transformed value goes to row c + l of VT[xi]. */
#define STORE_VT(xi, val)                                   \
  {                                                         \
    f4 t_ = (val);                                          \
    float* row_ = v + (xi) * vs;                            \
    row_[0] = wasm_f32x4_extract_lane(t_, 0);               \
    row_[TW] = wasm_f32x4_extract_lane(t_, 1);              \
    row_[2 * TW] = wasm_f32x4_extract_lane(t_, 2);          \
    row_[3 * TW] = wasm_f32x4_extract_lane(t_, 3);          \
  }
          INPUT_TILE(img + c, H, W, C, ih, iw, STORE_VT)
#undef STORE_VT
        }
        /* Z = A y A^T for the 2x2 block y of dy, A = [1 0; 1 1; 1 -1; 0 -1]. */
        const int ow = 2 * tw;
        const int second_col = ow + 1 < OW;
        const float* g0 = g + (oh * OW + ow) * O;
        const float* g1 = g0 + OW * O;
        for (int o = 0; o < O; o += 4) {
          f4 y00 = LD(g0 + o);
          f4 y01 = second_col ? LD(g0 + O + o) : zero;
          f4 y10 = second_row ? LD(g1 + o) : zero;
          f4 y11 = second_row && second_col ? LD(g1 + O + o) : zero;
          /* Rows of A y: y0, y0 + y1, y0 - y1, -y1 (each a pair of columns). */
          f4 p10 = ADD(y00, y10), p11 = ADD(y01, y11);
          f4 p20 = SUB(y00, y10), p21 = SUB(y01, y11);
          f4 p30 = SUB(zero, y10), p31 = SUB(zero, y11);
          float* z = Z + tw * O + o;
#define DY_ROW(i, a, b)                            \
  ST(z + (4 * (i) + 0) * zs, (a));                 \
  ST(z + (4 * (i) + 1) * zs, ADD((a), (b)));       \
  ST(z + (4 * (i) + 2) * zs, SUB((a), (b)));       \
  ST(z + (4 * (i) + 3) * zs, SUB(zero, (b)));
          DY_ROW(0, y00, y01)
          DY_ROW(1, p10, p11)
          DY_ROW(2, p20, p21)
          DY_ROW(3, p30, p31)
#undef DY_ROW
        }
      }
      /* M[xi] += VT[xi] Z[xi]: 4 channels by 8 output channels at a time, over the row's tiles. */
      for (int xi = 0; xi < 16; xi++) {
        const float* vx = VT + xi * vs;
        const float* zx = Z + xi * zs;
        float* mx = M + xi * C * O;
        for (int c = 0; c < C; c += 4) {
          for (int o = 0; o < O; o += 8) {
            float* q = mx + c * O + o;
            f4 a0 = LD(q), b0 = LD(q + 4), a1 = LD(q + O), b1 = LD(q + O + 4);
            f4 a2 = LD(q + 2 * O), b2 = LD(q + 2 * O + 4), a3 = LD(q + 3 * O), b3 = LD(q + 3 * O + 4);
            conv_block8(4, vx + c * TW, TW, zx + o, TW, O, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3);
            ST(q, a0), ST(q + 4, b0), ST(q + O, a1), ST(q + O + 4, b1);
            ST(q + 2 * O, a2), ST(q + 2 * O + 4, b2), ST(q + 3 * O, a3), ST(q + 3 * O + 4, b3);
          }
        }
      }
    }
  }

  /* dW = G^T M G: rows (m0 + (m1+m2)/2, (m1-m2)/2, (m1+m2)/2 + m3), then the same along columns. */
  const int s = C * O;
  for (int c = 0; c < C; c++) {
    for (int o = 0; o < O; o += 4) {
      const float* m = M + c * O + o;
      f4 r[3][4];
#define COLUMN(j)                                                               \
  {                                                                             \
    f4 m0 = LD(m + (0 + (j)) * s), m1 = LD(m + (4 + (j)) * s);                 \
    f4 m2 = LD(m + (8 + (j)) * s), m3 = LD(m + (12 + (j)) * s);                \
    f4 h = MUL(half, ADD(m1, m2));                                              \
    r[0][j] = ADD(m0, h), r[1][j] = MUL(half, SUB(m1, m2)), r[2][j] = ADD(h, m3); \
  }
      COLUMN(0) COLUMN(1) COLUMN(2) COLUMN(3)
#undef COLUMN
      float* out = dw + c * O + o;
      for (int k = 0; k < 3; k++) {
        f4 h = MUL(half, ADD(r[k][1], r[k][2]));
        ST(out + (3 * k + 0) * s, ADD(r[k][0], h));
        ST(out + (3 * k + 1) * s, MUL(half, SUB(r[k][1], r[k][2])));
        ST(out + (3 * k + 2) * s, ADD(h, r[k][3]));
      }
    }
  }
}
