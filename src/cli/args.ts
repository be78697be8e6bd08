/** Command-line parsing shared by the commands: flags that override config values. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

/** Flags that set a config option, with the option's dotted path. */
export const CONFIG_FLAGS: Record<string, { path: string; kind: 'int' | 'path' | 'string' }> = {
  'chunk-bytes': { path: 'parse.chunkBytes', kind: 'int' },
  'max-frame-bytes': { path: 'parse.maxFrameBytes', kind: 'int' },
  'max-element-bytes': { path: 'parse.maxElementBytes', kind: 'int' },
  manifest: { path: 'sources.manifest', kind: 'path' },
  workers: { path: 'decode.workers', kind: 'int' },
  partial: { path: 'decode.partial', kind: 'string' },
  'timeout-ms': { path: 'decode.timeoutMs', kind: 'int' },
  target: { path: 'preprocess.target', kind: 'string' },
  voi: { path: 'preprocess.voi', kind: 'string' },
  limit: { path: 'pipeline.limit', kind: 'int' },
  'batch-size': { path: 'pipeline.batchSize', kind: 'int' },
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
