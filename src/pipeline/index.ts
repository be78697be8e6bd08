/**
 * The public pipeline: sources -> reader -> decode pool -> batches.
 *
 * @example
 *   const { config } = loadConfig('pipeline.config.json');
 *   const pipeline = createPipeline(config);
 *   for await (const batch of pipeline) train(batch.xs, batch.shape, batch.ys);
 *   await pipeline.close();
 *
 * Each iteration is one pass (epoch) over the data; the worker pool is
 * shared by all passes until close().
 */
import type { PipelineConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { preprocessSpec } from '../config/preprocess.js';
import { assertCodecsInstalled } from '../codecs/index.js';
import { useWasmDir } from '../codecs/wasm.js';
import { DecodePool } from '../decode/pool.js';
import { batches, type Batch } from '../batch/batcher.js';
import { labelMap, type LabelMap } from '../batch/labels.js';
import { shuffled } from '../batch/shuffle.js';
import { deriveSeed } from '../synth/random.js';
import { toTfDataset, type TfModule } from '../batch/tf-dataset.js';
import { resolveSources } from '../sources/index.js';
import type { SourceItem } from '../sources/item.js';
import { errorRecord, samples, type ErrorRecord, type LabeledSample, type SampleStats } from './samples.js';
import { SampleCache } from '../dataset/cache.js';
import { LocalReads, type LocalReadCounts } from '../sources/local-reads.js';

export type { Batch } from '../batch/batcher.js';
export type { ErrorRecord, LabeledSample, SampleId, SampleStats } from './samples.js';

export interface PipelineOptions {
  /** Called for every file or frame that failed; the pipeline goes on. */
  onError?(record: ErrorRecord): void;
  /** Called for every warning about a delivered frame (DF_WARN_*: a partial decode allowed by decode.partial, a colour label the stream contradicts). */
  onWarning?(record: ErrorRecord): void;
  /** Use these items instead of the config's sources. */
  items?: SourceItem[];
  /** Share a decode pool (train and validation pipelines); the pipeline then does not close it. */
  pool?: DecodePool;
}

export interface Pipeline extends AsyncIterable<Batch> {
  /** Counters, cumulative over passes. */
  readonly stats: SampleStats;
  readonly errors: ErrorRecord[];
  readonly warnings: ErrorRecord[];
  /** The items of the last listing (after the first pass has started). */
  items(): Promise<SourceItem[]>;
  /** Labels to numbers, from the listed items. */
  labels(): Promise<LabelMap>;
  /** Samples, one at a time, before batching (a pass of its own). */
  samples(): AsyncIterable<LabeledSample>;
  /** One pass whose shuffle order is seeded by (pipeline.seed, epoch): a different order every epoch, the same on every run. */
  epoch(n: number): AsyncIterable<Batch>;
  toTfDataset(tf: TfModule): ReturnType<typeof toTfDataset>;
  readonly workers: number;
  /** Local files read with synchronous calls and through the thread pool so far (sources.localReads). */
  readonly localReads: Readonly<LocalReadCounts>;
  close(): Promise<void>;
}

export function createPipeline(config: PipelineConfig, options: PipelineOptions = {}): Pipeline {
  const spec = preprocessSpec(config.preprocess); // config errors surface here, before any work
  if (config.sources.dataset !== null && !options.items) {
    throw new ConfigError(`sources.dataset (${config.sources.dataset}) holds decoded samples for training (dicomflow train --dataset); this pipeline reads DICOM sources`, { stage: 'config', field: 'sources.dataset' });
  }
  useWasmDir(config.decode.wasmDir);
  assertCodecsInstalled(); // so does an incomplete install
  const pool = options.pool ?? new DecodePool({ workers: config.decode.workers, timeoutMs: config.decode.timeoutMs, wasmDir: config.decode.wasmDir });
  const stats: SampleStats = { files: 0, frames: 0, bytesRead: 0, decodedPixels: 0, decodeMs: 0, preprocessMs: 0, errors: 0, warnings: 0, cacheHits: 0, cacheStores: 0, prefixFrames: 0, bytesSkipped: 0 };
  const localReads = new LocalReads(config.sources.localReads);
  const errors: ErrorRecord[] = [];
  const warnings: ErrorRecord[] = [];
  const onError = (r: ErrorRecord) => {
    errors.push(r);
    options.onError?.(r);
  };
  const onWarning = (r: ErrorRecord) => {
    warnings.push(r);
    options.onWarning?.(r);
  };
  const cache =
    config.pipeline.cache === null
      ? null
      : new SampleCache(config.pipeline.cache, config.pipeline.cacheMaxBytes, config, (e) => {
          stats.warnings++;
          onWarning({
            file: e.file,
            frame: null,
            code: e.kind === 'damaged' ? 'DF_WARN_CACHE_DAMAGED' : 'DF_WARN_CACHE_STALE',
            message: `the cached samples of this file were ${e.kind === 'damaged' ? 'damaged' : 'outdated'} (${e.why}); decoded again`,
            severity: 'warning',
            stage: 'batch',
          });
        });
  let listing: Promise<SourceItem[]> | undefined;
  const items = () =>
    (listing ??= options.items
      ? Promise.resolve(options.items)
      : resolveSources(config.sources).then((l) => {
          for (const p of l.problems) {
            stats.errors++;
            onError(errorRecord(p, p.where.file ?? ''));
          }
          return l.items;
        }));
  const labels = async () => labelMap((await items()).map((i) => i.label));
  const p = config.pipeline;
  const samplePass = async function* (seed: number) {
    const list = await items();
    const s = samples(list, {
      pool,
      spec,
      parse: config.parse,
      subResolution: config.decode.subResolution,
      prefixReads: config.decode.prefixReads,
      fileConcurrency: p.fileConcurrency,
      prefetchFrames: p.prefetchFrames > 0 ? p.prefetchFrames : 2 * pool.workers,
      limit: p.limit,
      partial: config.decode.partial,
      onError,
      onWarning,
      cache,
      stats,
      localReads,
    });
    yield* p.shuffleBuffer > 0 ? shuffled(s, p.shuffleBuffer, seed) : s;
  };
  const batchPass = async function* (seed: number) {
    yield* batches(samplePass(seed), { batchSize: p.batchSize, dropRemainder: p.dropRemainder, labels: await labels() });
  };
  const pipeline: Pipeline = {
    stats,
    errors,
    warnings,
    items,
    labels,
    workers: pool.workers,
    localReads: localReads.counts,
    samples: () => ({ [Symbol.asyncIterator]: () => samplePass(p.seed) }),
    epoch: (n) => ({ [Symbol.asyncIterator]: () => batchPass(deriveSeed(p.seed, `epoch/${n}`)) }),
    [Symbol.asyncIterator]: () => batchPass(p.seed),
    toTfDataset: (tf) => toTfDataset(pipeline, tf),
    close: async () => {
      if (!options.pool) await pool.close();
    },
  };
  return pipeline;
}
