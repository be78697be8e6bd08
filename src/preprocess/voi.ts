/**
 * VOI transforms (PS3.3 C.11.2): modality values to [0, 1], the range the
 * model sees. Every mode except 'none' clips to [0, 1].
 */
import type { PixelDescription } from '../dicom/description.js';
import { ConfigError } from '../errors.js';
import { minMax, percentiles } from './stats.js';
import { withData, type FloatImage, type VoiSpec } from './types.js';

export interface Window {
  center: number;
  width: number;
}

/** CT windows in HU by name (common radiology values). */
export const WINDOW_PRESETS: Readonly<Record<string, Readonly<Window>>> = Object.freeze({
  lung: Object.freeze({ center: -600, width: 1500 }),
  mediastinum: Object.freeze({ center: 50, width: 350 }),
  abdomen: Object.freeze({ center: 40, width: 400 }),
  brain: Object.freeze({ center: 40, width: 80 }),
  bone: Object.freeze({ center: 400, width: 1800 }),
  liver: Object.freeze({ center: 60, width: 160 }),
});

/** Percentiles used by `{ mode: 'file', fallback: 'percentile' }`, which has no parameters of its own. */
export const DEFAULT_PERCENTILES = Object.freeze({ low: 1, high: 99 });

/**
 * The window of a preset; ConfigError naming the known presets otherwise.
 *
 * @example
 *   presetWindow('lung') // { center: -600, width: 1500 }
 */
export function presetWindow(name: string): Window {
  if (!Object.hasOwn(WINDOW_PRESETS, name)) {
    throw new ConfigError(`voi.name must be one of ${Object.keys(WINDOW_PRESETS).join(', ')} (got ${JSON.stringify(name)})`, {
      stage: 'config',
      field: 'voi.name',
    });
  }
  return { ...WINDOW_PRESETS[name]! };
}

/**
 * ConfigError unless the width is one the standard allows (>= 1, PS3.3 C.11.2.1.2).
 *
 * @example
 *   checkWindow({ center: 40, width: 0 }) // ConfigError: voi.width must be a number of at least 1 (got 0)
 */
export function checkWindow(w: Window): void {
  if (!(w.width >= 1) || !Number.isFinite(w.width)) {
    throw new ConfigError(`voi.width must be a number of at least 1 (got ${w.width})`, { stage: 'config', field: 'voi.width' });
  }
  if (!Number.isFinite(w.center)) throw new ConfigError(`voi.center must be a finite number (got ${w.center})`, { stage: 'config', field: 'voi.center' });
}

/**
 * The DICOM "LINEAR" VOI function (PS3.3 C.11.2.1.2.1) with output [0, 1]:
 * x <= c - 0.5 - (w-1)/2 -> 0; x > c - 0.5 + (w-1)/2 -> 1; otherwise
 * (x - (c - 0.5)) / (w - 1) + 0.5. The -0.5 and -1 make a window of integer
 * stored values hit 0 and 1 exactly at its edges. `out` may be `img.data`.
 *
 * @example
 *   applyWindow(img, { center: 40, width: 400 }) // -160 HU -> 0, 40 -> ~0.5, 239 -> 1
 */
export function applyWindow(img: FloatImage, w: Window, out: Float32Array = new Float32Array(img.data.length)): FloatImage {
  checkWindow(w);
  checkOut(img, out);
  const src = img.data;
  const mid = w.center - 0.5;
  const lo = mid - (w.width - 1) / 2;
  const hi = mid + (w.width - 1) / 2;
  // width 1 makes lo === hi, so the division below is never reached with w - 1 === 0.
  const span = w.width - 1;
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    out[i] = x <= lo ? 0 : x > hi ? 1 : (x - mid) / span + 0.5;
  }
  return withData(img, out);
}

/**
 * Maps [lo, hi] linearly to [0, 1] and clips, like MONAI's
 * ScaleIntensityRange(a_min=lo, a_max=hi, b_min=0, b_max=1, clip=True).
 * A degenerate range (hi <= lo: a constant image) maps everything to 0
 * rather than NaN. `out` may be `img.data`.
 *
 * @example
 *   scaleRange(img, 0, 200).data // 50 -> 0.25, 300 -> 1
 */
export function scaleRange(img: FloatImage, lo: number, hi: number, out: Float32Array = new Float32Array(img.data.length)): FloatImage {
  checkOut(img, out);
  const src = img.data;
  if (!(hi > lo)) {
    out.fill(0);
    return withData(img, out);
  }
  const scale = 1 / (hi - lo);
  for (let i = 0; i < src.length; i++) {
    const y = (src[i]! - lo) * scale;
    out[i] = y < 0 ? 0 : y > 1 ? 1 : y;
  }
  return withData(img, out);
}

/**
 * Applies a VoiSpec. Statistics (minmax, percentile) are taken over all
 * channels together so a color image keeps its hues. 'file' uses the file's
 * WindowCenter/WindowWidth, which are defined on modality values, and falls
 * back (default 'minmax') when they are absent or a width below 1 that the
 * standard forbids. 'none' returns the values unchanged. `out` may be `img.data`.
 *
 * @example
 *   applyVoi(hu, { mode: 'preset', name: 'lung' }, description)
 */
export function applyVoi(
  img: FloatImage,
  voi: VoiSpec,
  file: Pick<PixelDescription, 'windowCenter' | 'windowWidth'>,
  out: Float32Array = new Float32Array(img.data.length),
): FloatImage {
  switch (voi.mode) {
    case 'window':
      return applyWindow(img, { center: voi.center, width: voi.width }, out);
    case 'preset':
      return applyWindow(img, presetWindow(voi.name), out);
    case 'file': {
      const c = file.windowCenter;
      const w = file.windowWidth;
      if (c !== null && w !== null && Number.isFinite(c) && w >= 1 && Number.isFinite(w)) return applyWindow(img, { center: c, width: w }, out);
      return voi.fallback === 'percentile'
        ? applyVoi(img, { mode: 'percentile', ...DEFAULT_PERCENTILES }, file, out)
        : applyVoi(img, { mode: 'minmax' }, file, out);
    }
    case 'percentile': {
      checkPercentiles(voi.low, voi.high);
      const [lo, hi] = percentiles(img.data, [voi.low, voi.high]) as [number, number];
      return scaleRange(img, lo, hi, out);
    }
    case 'minmax': {
      const { min, max } = minMax(img.data);
      return scaleRange(img, min, max, out);
    }
    case 'none':
      checkOut(img, out);
      if (out !== img.data) out.set(img.data);
      return withData(img, out);
    default:
      throw new ConfigError(`voi.mode must be one of window, preset, file, percentile, minmax, none (got ${JSON.stringify((voi as { mode: unknown }).mode)})`, {
        stage: 'config',
        field: 'voi.mode',
      });
  }
}

/**
 * ConfigError unless 0 <= low < high <= 100.
 *
 * @example
 *   checkPercentiles(99, 1) // ConfigError: voi.low and voi.high must satisfy 0 <= low < high <= 100 (got low 99, high 1)
 */
export function checkPercentiles(low: number, high: number): void {
  if (!(low >= 0 && high <= 100 && low < high)) {
    throw new ConfigError(`voi.low and voi.high must satisfy 0 <= low < high <= 100 (got low ${low}, high ${high})`, { stage: 'config', field: 'voi.low' });
  }
}

function checkOut(img: FloatImage, out: Float32Array): void {
  if (out.length !== img.data.length) throw new RangeError(`out has ${out.length} elements, expected ${img.data.length}`);
}
