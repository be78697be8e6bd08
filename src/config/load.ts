/**
 * Loading, merging and checking configuration. Messages read like piscina's
 * option errors: `parse.maxFrameBytes must be a positive integer (got -1)`.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type FastestValidator from 'fastest-validator';
import { ConfigError } from '../errors.js';
import { OPTIONS, defaults, getPath, setPath, validatorSchema, type PipelineConfig } from './schema.js';

// fastest-validator's types declare an ES default export, but the package is CommonJS
// (module.exports = class): load it the way it really is.
const Validator = createRequire(import.meta.url)('fastest-validator') as typeof FastestValidator.default;
const check = new Validator({ useNewCustomCheckerFunction: true }).compile(validatorSchema());

export interface LoadedConfig {
  config: PipelineConfig;
  /** The file it came from, or null when only defaults were used. */
  file: string | null;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

function suggestion(path: string): string {
  let best: string | null = null;
  let bestD = Infinity;
  for (const known of Object.keys(OPTIONS)) {
    const d = editDistance(path.toLowerCase(), known.toLowerCase());
    if (d < bestD) [best, bestD] = [known, d];
  }
  return best !== null && bestD <= 3 ? ` (did you mean ${best}?)` : '';
}

interface FvError {
  type: string;
  field?: string;
  actual?: unknown;
}

/** Checks a whole config object; throws one ConfigError listing every problem. */
export function validate(candidate: unknown, source: string): PipelineConfig {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    throw new ConfigError(`${source} must hold a JSON object (got ${show(candidate)})`, { stage: 'config' });
  }
  const result = check(candidate);
  if (result === true) return candidate as PipelineConfig;
  const messages: string[] = [];
  const fields: string[] = [];
  for (const e of result as FvError[]) {
    if (e.type === 'objectStrict') {
      for (const key of String(e.actual).split(', ')) {
        const path = e.field ? `${e.field}.${key}` : key;
        fields.push(path);
        messages.push(`${path} is not a known option${suggestion(path)}`);
      }
      continue;
    }
    const field = e.field ?? '';
    const top = field.replace(/\[\d+\]$/, '');
    const opt = OPTIONS[top] ?? OPTIONS[field];
    fields.push(field);
    const expected = opt?.expected ?? (e.type === 'object' ? 'an object' : `valid (${e.type})`);
    messages.push(`${top} must be ${expected} (got ${show(getPath(candidate, top))})`);
  }
  throw new ConfigError(messages.join('; '), { stage: 'config', field: fields[0]! }, { details: { problems: messages, source } });
}

function mergeInto(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b)) {
      mergeInto(b as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      base[k] = v;
    }
  }
  return base;
}

/**
 * Reads `file` (JSON), lays it over the defaults, applies overrides (dotted
 * paths from CLI flags), checks the result and resolves relative paths:
 * those from the file against the file's folder, those from overrides
 * against the working directory.
 *
 * @example loadConfig('pipeline.config.json', { 'parse.chunkBytes': 65536 })
 */
export function loadConfig(file: string | null, overrides: Record<string, unknown> = {}): LoadedConfig {
  const merged = defaults() as unknown as Record<string, unknown>;
  let base = process.cwd();
  if (file !== null) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, { stage: 'config', file }, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`, { stage: 'config', file }, { cause: err });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${file} must hold a JSON object (got ${show(parsed)})`, { stage: 'config', file });
    }
    mergeInto(merged, parsed as Record<string, unknown>);
    base = dirname(resolve(file));
  }
  for (const [path, value] of Object.entries(overrides)) {
    if (!(path in OPTIONS)) throw new ConfigError(`${path} is not a known option${suggestion(path)}`, { stage: 'config', field: path });
    setPath(merged, path, value);
  }
  const config = validate(merged, file ?? 'the configuration');
  // Paths in the file are relative to the file; paths given as overrides (flags, a job's
  // own code) are relative to the working directory, where whoever wrote them stands.
  const baseOf = (option: string) => (option in overrides ? process.cwd() : base);
  const abs = (p: string, option: string) => (isAbsolute(p) ? p : resolve(baseOf(option), p));
  config.sources.paths = config.sources.paths.map((p) => abs(p, 'sources.paths'));
  if (config.sources.manifest !== null) config.sources.manifest = abs(config.sources.manifest, 'sources.manifest');
  if (config.sources.dataset !== null) config.sources.dataset = abs(config.sources.dataset, 'sources.dataset');
  if (config.pipeline.cache !== null) config.pipeline.cache = abs(config.pipeline.cache, 'pipeline.cache');
  if (config.decode.wasmDir !== null) config.decode.wasmDir = abs(config.decode.wasmDir, 'decode.wasmDir');
  if (config.train.checkpointDir !== null) config.train.checkpointDir = abs(config.train.checkpointDir, 'train.checkpointDir');
  return { config, file };
}
