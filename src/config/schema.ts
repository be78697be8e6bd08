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
    /** Use the built-in sample dataset (generated once, then cached) as the manifest. */
    sample: boolean;
    /** A folder written by `ingest --out`: train from its shards, with no decoding. Replaces the other sources. */
    dataset: string | null;
    /** HTTP(S) URLs of files. */
    urls: string[];
    http: {
      connections: number;
      timeoutMs: number;
      retries: number;
      backoffMs: number;
      /** Name of an environment variable holding the Authorization header value (never logged). */
      authEnv: string | null;
    };
    dicomweb: {
      /** DICOMweb root, e.g. http://pacs:8042/dicom-web; null = no DICOMweb source. Uses sources.http's connection settings and auth. */
      url: string | null;
      /** StudyInstanceUIDs to read; empty = every study the server lists. */
      studies: string[];
      /**
       * "frames": one WADO-RS request per frame (header from the series metadata); "instance": one per
       * instance, its Part-10 bytes parsed as they stream; "auto": per series, instance mode for instances
       * of several small frames, frame mode otherwise (see chooseMode in sources/dicomweb.ts).
       */
      mode: 'frames' | 'instance' | 'auto';
    };
    /**
     * Local files: "sync" reads them with synchronous calls on the main thread, "async" through
     * libuv's thread pool, "auto" synchronously until a call is slow (see sources/local-reads.ts).
     */
    localReads: 'auto' | 'sync' | 'async';
  };
  parse: {
    /** Read size for local files. */
    chunkBytes: number;
    /** Decompression-bomb guard: largest decoded frame accepted. */
    maxFrameBytes: number;
    /** Largest non-pixel element accepted. */
    maxElementBytes: number;
  };
  decode: {
    /** Worker threads; 0 = available cores. */
    workers: number;
    /** Decode J2K/HTJ2K straight to a resolution near the target when it is at most half the frame. */
    subResolution: boolean;
    /**
     * With subResolution: read a J2K / HTJ2K frame only as far as the
     * resolution it is decoded at needs, when its codestream puts those
     * resolutions first (RPCL, RLCP, or one quality layer); the rest of the
     * frame is not read from local files or over HTTP (Range requests).
     */
    prefixReads: boolean;
    /**
     * A frame the codec decoded only in part (a cut-short or damaged codestream): "error"
     * makes it a DF_ERR_DECODE record; "allow" keeps it and reports a DF_WARN_PARTIAL_DECODE warning.
     */
    partial: 'error' | 'allow';
    /** Longest one frame's decode may run; a worker stuck past it is replaced and the frame is DF_ERR_DECODE_TIMEOUT. 0 = no limit. */
    timeoutMs: number;
    /** A folder holding the codec .wasm binaries to use instead of the codec packages' own; null = the packages'. */
    wasmDir: string | null;
  };
  preprocess: {
    /** "HxW", or null to keep each frame's size (then batches need equal sizes). */
    target: string | null;
    resize: 'stretch' | 'pad';
    padValue: number;
    channels: 1 | 3;
    modalityLut: boolean;
    /** file | minmax | none | percentile[:low,high] | window:center,width | a preset name (lung, brain, ...). */
    voi: string;
    invertMonochrome1: boolean;
    output: 'float32' | 'uint8';
    /** Regions blanked before anything else (burned-in text, markers): null, "text;r0,c0,r1,c1", or {boxes, rules, text}. See preprocess/mask.ts. */
    mask: string | { boxes?: number[][]; rules?: { manufacturer?: string; model?: string; modality?: string; boxes: number[][] }[]; text?: boolean } | null;
  };
  pipeline: {
    batchSize: number;
    /** Files read and decoded at once (their frames interleave in the pool; output order stays by file). */
    fileConcurrency: number;
    /** Frames decoded ahead per open file; 0 = 2 per worker. Bounds memory. */
    prefetchFrames: number;
    /** 0 = deterministic order; N = seeded shuffle buffer of N samples. */
    shuffleBuffer: number;
    seed: number;
    dropRemainder: boolean;
    /** Stop after this many frames; 0 = all. */
    limit: number;
    /** Folder of the decoded-sample cache (later epochs and runs read it instead of decoding); null = no cache. */
    cache: string | null;
    /** The cache's size bound: least recently used entries go past it. */
    cacheMaxBytes: number;
  };
  train: {
    /** auto = tfjs-node if it loads, else wasm with dicomflow's training kernels, else cpu. */
    backend: 'auto' | 'node' | 'wasm' | 'cpu';
    model: 'small-cnn' | 'resnet';
    epochs: number;
    learningRate: number;
    optimizer: 'adam' | 'sgd';
    loss: 'binaryCrossentropy' | 'meanSquaredError';
    /** Share of patients (or studies) held out for validation, when the manifest names no split. */
    validationFraction: number;
    /** What may never be on both sides of the split. */
    splitBy: string;
    /** Batches prepared ahead of the training step. */
    prefetchBatches: number;
    /**
     * Worker threads for the training step (synchronous data parallelism, src/train/data-parallel.ts):
     * each computes the gradients of its share of the batch. 0 or 1 = the step on the main thread.
     */
    workers: number;
    /** Weights, optimizer state and progress are written here after every epoch; null = no checkpoints. */
    checkpointDir: string | null;
    seed: number;
    /** Every N epochs, the contact sheet of saliency maps for a fixed set of validation frames (checkpointDir/explain/epoch-NNNN); 0 = never. */
    explainEvery: number;
    /** How many validation frames that sheet shows (the first ones, the same every time). */
    explainFrames: number;
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

const count = (def: number, what: string): Option => ({
  rule: { type: 'number', integer: true, min: 0 },
  expected: `a whole number >= 0 (${what})`,
  default: def,
});
const bool = (def: boolean): Option => ({ rule: { type: 'boolean' }, expected: 'true or false', default: def });
const oneOf = (values: readonly (string | number)[], def: string | number): Option => ({
  rule: { type: 'enum', values },
  expected: `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
  default: def,
});

/** Every option, keyed by its dotted path. */
export const OPTIONS: Record<string, Option> = {
  'sources.paths': { rule: { type: 'array', items: 'string' }, expected: 'an array of paths or globs', default: [] },
  'sources.manifest': { rule: { type: 'string', nullable: true, empty: false }, expected: 'a path to a CSV file or null', default: null },
  'sources.sample': { rule: { type: 'boolean' }, expected: 'true or false', default: false },
  'sources.dataset': { rule: { type: 'string', nullable: true, empty: false }, expected: 'a dataset folder (written by ingest --out) or null', default: null },
  'sources.urls': { rule: { type: 'array', items: { type: 'string', pattern: /^https?:\/\//i } }, expected: 'an array of http:// or https:// URLs', default: [] },
  'sources.http.connections': positiveInt(8, 1024),
  'sources.http.timeoutMs': positiveInt(30_000),
  'sources.http.retries': count(4, 'retries after 5xx, timeouts and broken connections'),
  'sources.http.backoffMs': count(100, 'first backoff, doubled per retry'),
  'sources.http.authEnv': { rule: { type: 'string', nullable: true, empty: false }, expected: 'an environment variable name or null', default: null },
  'sources.dicomweb.url': { rule: { type: 'string', nullable: true, pattern: /^https?:\/\/[^/]/i }, expected: 'an http:// or https:// URL or null', default: null },
  'sources.dicomweb.studies': {
    rule: { type: 'array', items: { type: 'string', pattern: /^[0-9]+(\.[0-9]+)*$/, max: 64 } },
    expected: 'an array of StudyInstanceUIDs (digits and dots, at most 64 characters)',
    default: [],
  },
  'sources.dicomweb.mode': oneOf(['frames', 'instance', 'auto'], 'auto'),
  'sources.localReads': oneOf(['auto', 'sync', 'async'], 'auto'),
  'parse.chunkBytes': positiveInt(1024 * 1024, 256 * 1024 * 1024),
  'parse.maxFrameBytes': positiveInt(1024 * 1024 * 1024),
  'parse.maxElementBytes': positiveInt(256 * 1024 * 1024),
  'decode.workers': count(0, '0 = available cores'),
  'decode.subResolution': bool(true),
  'decode.prefixReads': bool(true),
  'decode.partial': oneOf(['error', 'allow'], 'error'),
  'decode.timeoutMs': count(30_000, 'milliseconds; 0 = no limit'),
  'decode.wasmDir': { rule: { type: 'string', nullable: true, empty: false }, expected: 'a folder of codec .wasm files or null', default: null },
  'preprocess.target': {
    rule: { type: 'string', nullable: true, pattern: /^[1-9]\d*x[1-9]\d*$/ },
    expected: 'a size "HxW" such as "256x256", or null',
    default: '256x256',
  },
  'preprocess.resize': oneOf(['stretch', 'pad'], 'stretch'),
  'preprocess.padValue': { rule: { type: 'number', finite: true }, expected: 'a finite number', default: 0 },
  'preprocess.channels': oneOf([1, 3], 1),
  'preprocess.modalityLut': bool(true),
  'preprocess.voi': {
    rule: { type: 'string', empty: false },
    expected: 'file, minmax, none, percentile[:low,high], window:center,width or a preset name',
    default: 'file',
  },
  'preprocess.invertMonochrome1': bool(true),
  'preprocess.output': oneOf(['float32', 'uint8'], 'float32'),
  'preprocess.mask': { rule: { type: 'any', nullable: true }, expected: 'null, "text;r0,c0,r1,c1" or {boxes, rules, text}', default: null },
  'pipeline.batchSize': positiveInt(16, 65536),
  'pipeline.fileConcurrency': positiveInt(4, 1024),
  'pipeline.prefetchFrames': count(0, '0 = 2 per worker'),
  'pipeline.shuffleBuffer': count(0, '0 = no shuffling'),
  'pipeline.seed': { rule: { type: 'number', integer: true }, expected: 'an integer', default: 1 },
  'pipeline.dropRemainder': bool(false),
  'pipeline.limit': count(0, 'frames; 0 = all'),
  'pipeline.cache': { rule: { type: 'string', nullable: true, empty: false }, expected: 'a cache folder or null', default: null },
  'pipeline.cacheMaxBytes': positiveInt(16 * 1024 ** 3),
  'train.backend': oneOf(['auto', 'node', 'wasm', 'cpu'], 'auto'),
  'train.model': oneOf(['small-cnn', 'resnet'], 'small-cnn'),
  'train.epochs': positiveInt(5, 10000),
  'train.learningRate': { rule: { type: 'number', positive: true, max: 10 }, expected: 'a number in (0, 10]', default: 0.001 },
  'train.optimizer': oneOf(['adam', 'sgd'], 'adam'),
  'train.loss': oneOf(['binaryCrossentropy', 'meanSquaredError'], 'binaryCrossentropy'),
  'train.validationFraction': { rule: { type: 'number', min: 0, max: 0.9 }, expected: 'a number from 0 to 0.9', default: 0.2 },
  'train.splitBy': {
    rule: { type: 'string', empty: false },
    expected: 'patient, study, institution, station, manufacturer, or an attribute keyword or tag (a site: validation on held-out sites)',
    default: 'patient',
  },
  'train.prefetchBatches': positiveInt(2, 64),
  'train.workers': { rule: { type: 'number', integer: true, min: 0, max: 64 }, expected: 'a whole number from 0 to 64 (0 or 1 = the step on the main thread)', default: 0 },
  'train.checkpointDir': { rule: { type: 'string', nullable: true, empty: false }, expected: 'a folder path or null', default: null },
  'train.seed': { rule: { type: 'number', integer: true }, expected: 'an integer', default: 1 },
  'train.explainEvery': count(0, '0 = never'),
  'train.explainFrames': positiveInt(8, 256),
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
