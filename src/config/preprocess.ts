/**
 * The preprocess section of the config, as the PreprocessSpec the workers
 * apply. VOI is one string so that it fits on a command line:
 * `file`, `minmax`, `none`, `percentile` or `percentile:1,99`,
 * `window:-600,1500`, or a preset name such as `lung`.
 */
import { parseMask } from '../preprocess/mask.js';
import { ConfigError } from '../errors.js';
import { validateSpec } from '../preprocess/spec.js';
import type { PreprocessSpec, VoiSpec } from '../preprocess/types.js';
import { DEFAULT_PERCENTILES, WINDOW_PRESETS } from '../preprocess/voi.js';
import type { PipelineConfig } from './schema.js';

function bad(value: string, why: string): ConfigError {
  return new ConfigError(`preprocess.voi ${why} (got ${JSON.stringify(value)})`, { stage: 'config', field: 'preprocess.voi' });
}

function numbers(value: string, text: string, n: number): number[] {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length !== n || v.some((x) => !Number.isFinite(x) || text.trim() === '')) throw bad(value, `needs ${n} comma-separated numbers after the colon`);
  return v;
}

/** @example parseVoi('window:40,400') // { mode: 'window', center: 40, width: 400 } */
export function parseVoi(value: string): VoiSpec {
  const [mode, args] = value.includes(':') ? [value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1)] : [value, undefined];
  switch (mode) {
    case 'file':
    case 'minmax':
    case 'none':
      if (args !== undefined) throw bad(value, `takes no arguments after ${mode}`);
      return mode === 'file' ? { mode: 'file' } : { mode };
    case 'percentile': {
      const [low, high] = args === undefined ? [DEFAULT_PERCENTILES.low, DEFAULT_PERCENTILES.high] : numbers(value, args, 2);
      return { mode: 'percentile', low: low!, high: high! };
    }
    case 'window': {
      if (args === undefined) throw bad(value, 'needs center,width: window:40,400');
      const [center, width] = numbers(value, args, 2);
      return { mode: 'window', center: center!, width: width! };
    }
    default:
      if (args === undefined && Object.hasOwn(WINDOW_PRESETS, mode!)) return { mode: 'preset', name: mode! };
      throw bad(value, `must be file, minmax, none, percentile[:low,high], window:center,width or a preset (${Object.keys(WINDOW_PRESETS).join(', ')})`);
  }
}

/** The checked spec; errors name the config field (`preprocess.voi`, `preprocess.output`, ...). */
export function preprocessSpec(p: PipelineConfig['preprocess']): PreprocessSpec {
  const target = p.target === null ? null : { height: Number(p.target.split('x')[0]), width: Number(p.target.split('x')[1]) };
  const spec: PreprocessSpec = {
    target,
    resize: p.resize,
    padValue: p.padValue,
    channels: p.channels,
    modalityLut: p.modalityLut,
    voi: parseVoi(p.voi),
    invertMonochrome1: p.invertMonochrome1,
    output: p.output,
    mask: parseMask(p.mask),
  };
  try {
    validateSpec(spec);
  } catch (err) {
    if (err instanceof ConfigError) {
      const field = `preprocess.${(err.where.field ?? '').split('.')[0]}`;
      throw new ConfigError(`preprocess.${err.message}`, { stage: 'config', field }, { cause: err });
    }
    throw err;
  }
  return spec;
}
