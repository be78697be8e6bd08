/**
 * The configuration of the main job: one table of options, each with its
 * default, its fastest-validator rule and the phrase used when a value is
 * wrong. `pipeline.config.json` holds the defaults; flags override it.
 */

export interface PipelineConfig {
  sources: {
    /** Files, directories (read recursively) and globs. Relative paths are relative to the config file. */
    paths: string[];
    /** CSV `path,label[,split]`; relative paths in it are relative to the manifest. */
    manifest: string | null;
  };
  parse: {
    /** Read size for local files. */
    chunkBytes: number;
    /** Decompression-bomb guard: largest decoded frame accepted. */
    maxFrameBytes: number;
    /** Largest non-pixel element accepted. */
    maxElementBytes: number;
  };
}

interface Option {
  rule: Record<string, unknown>;
  expected: string;
  default: unknown;
}

const positiveInt = (def: number, max = Number.MAX_SAFE_INTEGER): Option => ({
  rule: { type: 'number', integer: true, positive: true, max },
  expected: max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `a positive integer up to ${max}`,
  default: def,
});

/** Every option, keyed by its dotted path. */
export const OPTIONS: Record<string, Option> = {
  'sources.paths': { rule: { type: 'array', items: 'string' }, expected: 'an array of paths or globs', default: [] },
  'sources.manifest': { rule: { type: 'string', nullable: true, empty: false }, expected: 'a path to a CSV file or null', default: null },
  'parse.chunkBytes': positiveInt(1024 * 1024, 256 * 1024 * 1024),
  'parse.maxFrameBytes': positiveInt(1024 * 1024 * 1024),
  'parse.maxElementBytes': positiveInt(256 * 1024 * 1024),
};

/** The defaults as a nested object. */
export function defaults(): PipelineConfig {
  const out: Record<string, unknown> = {};
  for (const [path, o] of Object.entries(OPTIONS)) setPath(out, path, structuredClone(o.default));
  return out as unknown as PipelineConfig;
}

/** The fastest-validator schema: strict at every level, so unknown keys are errors. */
export function validatorSchema(): Record<string, unknown> {
  const root: Record<string, unknown> = { $$strict: true };
  for (const [path, o] of Object.entries(OPTIONS)) {
    const parts = path.split('.');
    let node = root;
    for (const p of parts.slice(0, -1)) {
      node[p] ??= { type: 'object', strict: true, props: {} };
      node = (node[p] as { props: Record<string, unknown> }).props;
    }
    node[parts.at(-1)!] = o.rule;
  }
  return root;
}

export function getPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const p of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = obj;
  for (const p of parts.slice(0, -1)) {
    if (node[p] === null || typeof node[p] !== 'object') node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}
