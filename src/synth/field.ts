/**
 * Smooth random fields ("value noise"): random values on a coarse grid,
 * interpolated with a smoothstep so the field has no visible creases. Used
 * for the low-frequency variation real images have (exposure and thickness
 * gradients, lung texture), which a codec's wavelet or predictor sees very
 * differently from white noise.
 */
import type { Random } from './random.js';

/** Writes row y of a field into `out` (length = width). */
export type FieldRows = (y: number, out: Float32Array) => void;

/**
 * A width x height field with values in about [-1, 1], varying over `cells`
 * grid cells along the longer side, produced one row at a time so a large
 * image needs no full-size buffer for it. Rows may be asked for in any order.
 *
 * Cost is one multiply-add per pixel: the grid rows are interpolated along x
 * once, then each image row blends two of them.
 *
 * @example
 *   const drift = smoothFieldRows(2048, 2048, 4, createRandom(7));
 *   const row = new Float32Array(2048);
 *   drift(100, row); // row 100, values in about [-1, 1]
 */
export function smoothFieldRows(width: number, height: number, cells: number, rng: Random): FieldRows {
  const cell = Math.max(width, height) / cells;
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
  // Every grid row interpolated along x (gh rows of `width` values).
  const rows = new Float32Array(gh * width);
  for (let x = 0; x < width; x++) {
    const g = x / cell;
    const ix = Math.floor(g);
    const w = smoothstep(g - ix);
    for (let gy = 0; gy < gh; gy++) {
      const a = grid[gy * gw + ix]!;
      rows[gy * width + x] = a + (grid[gy * gw + ix + 1]! - a) * w;
    }
  }
  return (y, out) => {
    const g = y / cell;
    const gy = Math.floor(g);
    const w = smoothstep(g - gy);
    const r0 = gy * width;
    const r1 = r0 + width;
    for (let x = 0; x < width; x++) {
      const a = rows[r0 + x]!;
      out[x] = a + (rows[r1 + x]! - a) * w;
    }
  };
}

/**
 * The whole field as one array (row-major).
 *
 * @example
 *   const texture = smoothField(512, 512, 24, createRandom(3)); // Float32Array(262144)
 */
export function smoothField(width: number, height: number, cells: number, rng: Random): Float32Array {
  const rows = smoothFieldRows(width, height, cells, rng);
  const field = new Float32Array(width * height);
  for (let y = 0; y < height; y++) rows(y, field.subarray(y * width, (y + 1) * width));
  return field;
}

function smoothstep(t: number): number {
  return t * t * (3 - 2 * t);
}
