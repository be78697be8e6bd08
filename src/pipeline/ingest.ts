/**
 * Ingest as a function: the configured sources through the reader, the decode
 * pool and the batcher, without training, and what it cost. `dicomflow ingest`
 * is this plus a progress line and errors.jsonl; a batch job calls it directly.
 *
 * @example
 *   const { config } = loadConfig('pipeline.config.json');
 *   const summary = await ingest(config, { onError: (r) => log.write(JSON.stringify(r) + '\n') });
 *   if (summary.errors > 0) process.exitCode = 1;
 */
import type { PipelineConfig } from '../config/schema.js';
import { createPipeline, type PipelineOptions } from './index.js';
import type { ErrorRecord, SampleStats } from './samples.js';
import type { LocalReadCounts } from '../sources/local-reads.js';

export interface IngestSummary {
  frames: number;
  files: number;
  seconds: number;
  framesPerSecond: number;
  bytesRead: number;
  mbPerSecond: number;
  mpxPerSecond: number;
  batches: number;
  workers: number;
  errors: number;
  /** Frames delivered with a DF_WARN_* record (partial decodes allowed by decode.partial, contradicted colour labels, non-finite float pixels). */
  warnings: number;
  /** With pipeline.cache: files read from the cache, and files decoded into it. */
  cacheHits: number;
  cacheStores: number;
  /** Bytes read per frame delivered (whole files, headers included). */
  bytesPerFrame: number;
  /** decode.prefixReads: frames read only in part, and the bytes of them left unread. */
  prefixFrames: number;
  bytesSkipped: number;
  /** sources.localReads: local files opened with synchronous calls, through the thread pool, and returns to the pool after a slow call. */
  localReads: LocalReadCounts;
}

export interface IngestOptions {
  onError?(record: ErrorRecord): void;
  onWarning?(record: ErrorRecord): void;
  /** Called every `progressMs` (default 250) with the counters so far and the number of files listed. */
  onProgress?(stats: Readonly<SampleStats>, files: number, seconds: number): void;
  progressMs?: number;
  /** Use these items instead of the config's sources. */
  items?: PipelineOptions['items'];
}

/** Runs one pass over the sources; resolves when every file was read (or failed). */
export async function ingest(config: PipelineConfig, options: IngestOptions = {}): Promise<IngestSummary> {
  const pipeline = createPipeline(config, {
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.items ? { items: options.items } : {}),
  });
  const s = pipeline.stats;
  const t0 = performance.now();
  let batches = 0;
  let files = 0;
  void pipeline.items().then((items) => (files = items.length));
  // On a timer, not per batch: a batch of large frames can take many seconds.
  const timer = options.onProgress ? setInterval(() => options.onProgress!(s, files, (performance.now() - t0) / 1000), options.progressMs ?? 250) : null;
  try {
    for await (const _batch of pipeline) batches++;
  } finally {
    if (timer) clearInterval(timer);
    await pipeline.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    frames: s.frames,
    files: s.files,
    seconds: Number(seconds.toFixed(3)),
    framesPerSecond: Number((s.frames / seconds).toFixed(2)),
    bytesRead: s.bytesRead,
    mbPerSecond: Number((s.bytesRead / 1e6 / seconds).toFixed(2)),
    mpxPerSecond: Number((s.decodedPixels / 1e6 / seconds).toFixed(2)),
    batches,
    workers: pipeline.workers,
    errors: s.errors,
    warnings: s.warnings,
    cacheHits: s.cacheHits,
    cacheStores: s.cacheStores,
    bytesPerFrame: s.frames > 0 ? Math.round(s.bytesRead / s.frames) : 0,
    prefixFrames: s.prefixFrames,
    bytesSkipped: s.bytesSkipped,
    localReads: { ...pipeline.localReads },
  };
}
