/** Command-line parsing shared by the commands: flags that override config values. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { PipelineConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';

/** Flags that set a config option, with the option's dotted path. */
export const CONFIG_FLAGS: Record<string, { path: string; kind: 'int' | 'path' | 'string' }> = {
  'chunk-bytes': { path: 'parse.chunkBytes', kind: 'int' },
  'max-frame-bytes': { path: 'parse.maxFrameBytes', kind: 'int' },
  'max-element-bytes': { path: 'parse.maxElementBytes', kind: 'int' },
  manifest: { path: 'sources.manifest', kind: 'path' },
  dataset: { path: 'sources.dataset', kind: 'path' },
  cache: { path: 'pipeline.cache', kind: 'path' },
  workers: { path: 'decode.workers', kind: 'int' },
  partial: { path: 'decode.partial', kind: 'string' },
  'timeout-ms': { path: 'decode.timeoutMs', kind: 'int' },
  target: { path: 'preprocess.target', kind: 'string' },
  voi: { path: 'preprocess.voi', kind: 'string' },
  limit: { path: 'pipeline.limit', kind: 'int' },
  'batch-size': { path: 'pipeline.batchSize', kind: 'int' },
  'explain-every': { path: 'train.explainEvery', kind: 'int' },
  'train-workers': { path: 'train.workers', kind: 'int' },
  'split-by': { path: 'train.splitBy', kind: 'string' },
  mask: { path: 'preprocess.mask', kind: 'string' },
};

export function parseCommandLine(argv: string[], options: NonNullable<ParseArgsConfig['options']>) {
  const all: NonNullable<ParseArgsConfig['options']> = { ...options, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
  for (const name of Object.keys(CONFIG_FLAGS)) all[name] = { type: 'string' };
  try {
    return parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, { stage: 'cli' }, { cause: err });
  }
}

/**
 * Config overrides from flags. Numbers are checked by the config validator,
 * which names the option: `--max-frame-bytes -1` reports
 * `parse.maxFrameBytes must be a positive integer (got -1)`.
 */
export function configOverrides(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, { path, kind }] of Object.entries(CONFIG_FLAGS)) {
    const v = values[flag];
    if (typeof v !== 'string') continue;
    out[path] = kind === 'int' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : kind === 'path' ? resolvePath(v) : v;
  }
  return out;
}

function resolvePath(p: string): string {
  return p.startsWith('/') ? p : `${process.cwd()}/${p}`;
}

/**
 * Sources named on the command line (positional paths, globs and URLs, and
 * --manifest) replace the configuration's sources, the built-in sample
 * included: what a user names is what is read, never that plus something
 * else. Empty when the command line names no source.
 *
 * @example sourceOverrides(['scans/', 'https://pacs/x.dcm'], {}) // { 'sources.paths': ['/cwd/scans/'], 'sources.urls': ['https://pacs/x.dcm'], 'sources.sample': false, ... }
 */
export function sourceOverrides(positionals: string[], values: Record<string, unknown>): Record<string, unknown> {
  const manifest = typeof values.manifest === 'string' ? values.manifest : null;
  const dataset = typeof values.dataset === 'string' ? values.dataset : null;
  if (positionals.length === 0 && manifest === null && dataset === null) return {};
  const urls = positionals.filter((p) => /^https?:\/\//i.test(p));
  return {
    'sources.paths': positionals.filter((p) => !urls.includes(p)).map(resolvePath),
    'sources.urls': urls,
    'sources.manifest': manifest === null ? null : resolvePath(manifest),
    'sources.sample': false,
    'sources.dicomweb.url': null,
    'sources.dataset': dataset === null ? null : resolvePath(dataset),
  };
}

/** What a run reads, in one line for its summary. */
export function describeSources(sources: PipelineConfig['sources'], fromCommandLine: boolean): string {
  const parts: string[] = [];
  if (sources.paths.length > 0) parts.push(sources.paths.length <= 3 ? sources.paths.join(', ') : `${sources.paths.slice(0, 3).join(', ')} and ${sources.paths.length - 3} more path(s)`);
  if (sources.urls.length > 0) parts.push(`${sources.urls.length} URL(s)`);
  if (sources.manifest !== null) parts.push(`manifest ${sources.manifest}`);
  if (sources.dicomweb.url !== null) parts.push(`DICOMweb ${sources.dicomweb.url}`);
  if (sources.sample) parts.push('the built-in sample task');
  if (sources.dataset !== null) parts.push(`dataset ${sources.dataset}`);
  return `${parts.length > 0 ? parts.join('; ') : 'nothing'} (${fromCommandLine ? 'command line' : 'configuration'})`;
}

/** Throws the usage error for positional arguments a command does not take. */
export function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`${command} takes no arguments (got ${positionals.map((p) => JSON.stringify(p)).join(' ')})`, { stage: 'cli' });
}

/**
 * A numeric flag's value (undefined when not given), checked: a usage error
 * names the flag and the range.
 *
 * @example numberFlag(values, 'samples', { int: true, min: 1 }) // --samples 25 -> 25; --samples x -> DF_ERR_USAGE
 */
export function numberFlag(values: Record<string, unknown>, name: string, o: { min?: number; max?: number; int?: boolean } = {}): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const lo = o.min ?? Number.NEGATIVE_INFINITY;
  const hi = o.max ?? Number.POSITIVE_INFINITY;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi || (o.int && !Number.isInteger(n))) {
    const range = Number.isFinite(lo) && Number.isFinite(hi) ? ` from ${lo} to ${hi}` : Number.isFinite(lo) ? ` >= ${lo}` : Number.isFinite(hi) ? ` <= ${hi}` : '';
    throw new UsageError(`--${name} must be ${o.int ? 'an integer' : 'a number'}${range} (got ${JSON.stringify(v)})`, { stage: 'cli', field: name });
  }
  return n;
}

/**
 * The preprocessing fields the command line set (out of all its config
 * overrides), with their checked values: what overrides a checkpoint's
 * recorded preprocessing in predict and explain.
 */
export function preprocessFlags(overrides: Record<string, unknown>, config: PipelineConfig): Partial<PipelineConfig['preprocess']> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(overrides)) {
    if (key.startsWith('preprocess.')) out[key.slice('preprocess.'.length)] = (config.preprocess as Record<string, unknown>)[key.slice('preprocess.'.length)];
  }
  return out as Partial<PipelineConfig['preprocess']>;
}
