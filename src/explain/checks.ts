/**
 * Measured checks that saliency maps mean something:
 * - pointing game: is the map's peak on the finding (within its radius plus
 *   a tolerance)? Beside a centre-point and a uniform-random-point baseline
 *   (the random point's hit rate is its exact expectation: the share of the
 *   frame's pixels that would hit);
 * - model-weight randomisation (Adebayo et al. 2018): Spearman's rank
 *   correlation between the trained model's map and the same map from the
 *   model with its weights re-initialised, top layer down; a map that
 *   survives randomisation does not explain the model;
 * - deletion and insertion (Petsiuk et al. 2018): the score as the most
 *   salient pixels are removed (set to the baseline), or inserted into a
 *   blurred copy, 1/steps of the pixels at a time; the area under each
 *   curve (deletion: lower is better; insertion: higher is better), beside
 *   the same for a random pixel order.
 */
import * as tf from '@tensorflow/tfjs';
import { createRandom } from '../synth/random.js';

export interface Finding {
  /** Centre in the frame's pixel indices. */
  row: number;
  col: number;
  radius: number;
}

/** Spearman's rank correlation (average ranks for ties). NaN when either side is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`spearman: ${a.length} against ${b.length} values`);
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i]! - mean;
    const y = rb[i]! - mean;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa === 0 || sbb === 0 ? Number.NaN : sab / Math.sqrt(saa * sbb);
}

function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i]! - v[j]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]!] = avg;
    i = j + 1;
  }
  return r;
}

/** The map's peak [row, col] in its own pixels (the first of equal maxima, row-major). */
export function peakOf(map: ArrayLike<number>, width: number): [number, number] {
  let best = 0;
  for (let i = 1; i < map.length; i++) if (map[i]! > map[best]!) best = i;
  return [Math.floor(best / width), best % width];
}

export function hits(p: readonly [number, number], findings: readonly Finding[], tolerance: number): boolean {
  return findings.some((f) => Math.hypot(p[0] - f.row, p[1] - f.col) <= f.radius + tolerance);
}

/** The hit rate a uniformly random pixel of a rows x cols frame has: the share of pixels that hit. */
export function randomPointHitRate(rows: number, cols: number, findings: readonly Finding[], tolerance: number): number {
  let n = 0;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (hits([r, c], findings, tolerance)) n++;
  return n / (rows * cols);
}

/**
 * A copy of the model whose `layers` topmost weighted layers (all by
 * default) are re-initialised: kernels Glorot-uniform from `seed`, biases 0,
 * batch-norm to its initial state (gamma 1, beta 0, mean 0, variance 1).
 * The caller disposes it.
 */
export async function randomizedCopy(model: tf.LayersModel, seed: number, layers = Number.POSITIVE_INFINITY): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const copy = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  const weighted = copy.layers.filter((l) => l.getWeights().length > 0).reverse();
  for (const [i, layer] of weighted.slice(0, layers).entries()) {
    const fresh = layer.weights.map((w, k) => {
      const name = w.originalName;
      const shape = w.shape as number[];
      if (/kernel$/.test(name)) return tf.initializers.glorotUniform({ seed: seed * 7919 + i * 31 + k }).apply(shape);
      if (/(gamma|moving_variance)$/.test(name)) return tf.ones(shape);
      return tf.zeros(shape);
    });
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
  return copy;
}

export interface CurveResult {
  deletion: number;
  insertion: number;
}

/** A separable box blur of radius r (edges clamped), per channel. */
export function boxBlur(img: Float32Array, h: number, w: number, c: number, r: number): Float32Array {
  const tmp = new Float32Array(img.length);
  const out = new Float32Array(img.length);
  const n = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let d = -r; d <= r; d++) s += img[(y * w + Math.min(w - 1, Math.max(0, x + d))) * c + ch]!;
        tmp[(y * w + x) * c + ch] = s / n;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let d = -r; d <= r; d++) s += tmp[(Math.min(h - 1, Math.max(0, y + d)) * w + x) * c + ch]!;
        out[(y * w + x) * c + ch] = s / n;
      }
    }
  }
  return out;
}

/** The blurred copy deletion and insertion use: a box blur of radius max(1, h / 16). */
export function blurImage(img: Float32Array, shape: readonly [number, number, number]): Float32Array {
  return boxBlur(img, shape[0], shape[1], shape[2], Math.max(1, Math.round(shape[0] / 16)));
}

function trapezoid(ys: ArrayLike<number>): number {
  let s = 0;
  for (let i = 1; i < ys.length; i++) s += (ys[i - 1]! + ys[i]!) / 2;
  return s / (ys.length - 1);
}

/**
 * Deletion and insertion AUC for one image [h, w, c] and its map [h, w]:
 * `steps` + 1 images scored in one batch per curve. Deleted pixels take
 * `baseline`; insertion starts from a box blur of radius max(1, h / 16)
 * (`blurImage`; pass it as `o.blurred` when one image is scored for several maps).
 */
export function deletionInsertion(
  model: tf.LayersModel,
  img: Float32Array,
  shape: readonly [number, number, number],
  map: ArrayLike<number>,
  o: { steps: number; baseline: number | 'blur'; blurred?: Float32Array },
): CurveResult {
  const [h, w, c] = shape;
  const order = Array.from({ length: h * w }, (_, i) => i).sort((i, j) => map[j]! - map[i]! || i - j);
  const blurred = o.blurred ?? blurImage(img, shape);
  const per = h * w * c;
  const del = new Float32Array(per * (o.steps + 1));
  const ins = new Float32Array(per * (o.steps + 1));
  for (let s = 0; s <= o.steps; s++) {
    const d = del.subarray(s * per, (s + 1) * per);
    const g = ins.subarray(s * per, (s + 1) * per);
    d.set(img);
    g.set(blurred);
    const k = Math.round((s / o.steps) * h * w);
    for (let i = 0; i < k; i++) {
      const p = order[i]! * c;
      for (let ch = 0; ch < c; ch++) {
        d[p + ch] = o.baseline === 'blur' ? blurred[p + ch]! : o.baseline;
        g[p + ch] = img[p + ch]!;
      }
    }
  }
  const score = (xs: Float32Array) =>
    tf.tidy(() => (model.predict(tf.tensor4d(xs, [o.steps + 1, h, w, c])) as tf.Tensor).dataSync() as Float32Array);
  return { deletion: trapezoid(score(del)), insertion: trapezoid(score(ins)) };
}

/** A seeded uniform random map, for the random-order baseline of deletion and insertion. */
export function randomMap(n: number, seed: number): Float32Array {
  const rng = createRandom(seed);
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.next();
  return m;
}
