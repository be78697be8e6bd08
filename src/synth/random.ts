/**
 * Seeded randomness for synthetic images. Every phantom, UID and corpus file
 * is a pure function of its seed, so a benchmark run can be repeated byte for
 * byte. Math.random is never used: it cannot be seeded.
 *
 * The generator is mulberry32 (32-bit state, passes PractRand to 2^32 outputs,
 * a few nanoseconds per call), ample for image noise and shape jitter. It
 * uses only 32-bit integer arithmetic, and V8's Math.log/cos/sqrt are its own
 * fdlibm port rather than the platform libm, so the same seed gives the same
 * numbers on every machine.
 */

/** A seeded stream of pseudo-random numbers. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (mean 0, standard deviation 1). */
  gaussian(): number;
}

/**
 * Creates a generator. Equal seeds give equal streams; the seed is taken
 * modulo 2^32.
 *
 * @example
 *   const rng = createRandom(42);
 *   rng.next();     // 0.6011037519...
 *   rng.gaussian(); // a standard normal sample, the same on every run
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  // Normals come in pairs; keep the second for the next call.
  let spare = 0;
  let hasSpare = false;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  return {
    next,
    uint32,
    range: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    gaussian() {
      if (hasSpare) {
        hasSpare = false;
        return spare;
      }
      // Marsaglia's polar method: no trigonometry, so about twice as fast as
      // Box-Muller, which matters for millions of noise samples per image.
      let u: number;
      let v: number;
      let s: number;
      do {
        u = 2 * next() - 1;
        v = 2 * next() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      spare = v * f;
      hasSpare = true;
      return u * f;
    },
  };
}

/**
 * An approximately normal sample (mean 0, standard deviation 1): the sum of
 * four 16-bit uniforms, rescaled (Irwin-Hall). Its tails stop at 3.46 sigma.
 * Three times cheaper than `gaussian()`; phantoms use it for pixel noise,
 * where millions of samples are drawn and the far tails do not matter.
 *
 * @example
 *   const n = fastNormal(createRandom(5)); // in [-3.46, 3.46]
 */
export function fastNormal(rng: Random): number {
  const a = rng.uint32();
  const b = rng.uint32();
  // Each 16-bit half is uniform on [0, 65535]; four of them sum to mean 131070, variance 4 * (65536^2 - 1) / 12.
  const sum = (a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16);
  return (sum - 131070) * NORMAL_SCALE;
}
const NORMAL_SCALE = 1 / Math.sqrt((4 * (65536 * 65536 - 1)) / 12);

/**
 * A seed for an independent sub-stream, named by `label`. Each structure of a
 * phantom draws from its own sub-stream, so adding a draw to one structure
 * (one more vessel) does not move every structure drawn after it.
 *
 * @example
 *   const ribs = createRandom(deriveSeed(seed, 'ribs'));
 */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, then a murmur3 finaliser mixing in the seed.
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  h ^= seed >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
