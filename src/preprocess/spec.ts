/**
 * Validation of a PreprocessSpec, so a bad option fails once, up front, with
 * a message naming the field, instead of on every frame in a worker.
 * preprocess() calls it too: it is a handful of comparisons.
 */
import { ConfigError } from '../errors.js';
import type { PreprocessSpec } from './types.js';
import { checkPercentiles, checkWindow, presetWindow } from './voi.js';

const fail = (field: string, message: string) => new ConfigError(`${field} ${message}`, { stage: 'config', field });
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * Throws ConfigError for the first invalid field. Field names are relative
 * to the spec (`voi.width`, `target.height`).
 *
 * @example
 *   validateSpec({ ...spec, output: 'uint8', voi: { mode: 'none' } })
 *   // ConfigError: output 'uint8' needs a voi that maps to [0, 1] (got voi.mode "none")
 */
export function validateSpec(spec: PreprocessSpec): void {
  if (spec.target !== null) {
    for (const side of ['height', 'width'] as const) {
      const v = spec.target[side];
      if (!Number.isInteger(v) || v < 1) throw fail(`target.${side}`, `must be a positive integer (got ${show(v)})`);
    }
  }
  if (spec.resize !== 'stretch' && spec.resize !== 'pad') throw fail('resize', `must be "stretch" or "pad" (got ${show(spec.resize)})`);
  if (!Number.isFinite(spec.padValue)) throw fail('padValue', `must be a finite number (got ${show(spec.padValue)})`);
  if (spec.channels !== 1 && spec.channels !== 3) throw fail('channels', `must be 1 or 3 (got ${show(spec.channels)})`);
  if (spec.output !== 'float32' && spec.output !== 'uint8') throw fail('output', `must be "float32" or "uint8" (got ${show(spec.output)})`);

  const voi = spec.voi;
  switch (voi.mode) {
    case 'window':
      checkWindow(voi);
      break;
    case 'preset':
      presetWindow(voi.name);
      break;
    case 'percentile':
      checkPercentiles(voi.low, voi.high);
      break;
    case 'file':
      if (voi.fallback !== undefined && voi.fallback !== 'minmax' && voi.fallback !== 'percentile') {
        throw fail('voi.fallback', `must be "minmax" or "percentile" (got ${show(voi.fallback)})`);
      }
      break;
    case 'minmax':
    case 'none':
      break;
    default:
      throw fail('voi.mode', `must be one of window, preset, file, percentile, minmax, none (got ${show((voi as { mode: unknown }).mode)})`);
  }
  // Presets are HU and file windows are defined on modality values (PS3.3 C.11.2.1.2); applied to
  // raw stored values they would silently window the wrong range (CT stored 0 is -1024 HU).
  if ((voi.mode === 'preset' || voi.mode === 'file') && !spec.modalityLut) {
    throw fail('modalityLut', `must be true with voi.mode ${show(voi.mode)}: its window is in modality units (HU for CT)`);
  }
  if (spec.output === 'uint8' && voi.mode === 'none') {
    throw fail('output', `"uint8" needs a voi that maps to [0, 1] (got voi.mode "none")`);
  }
}
