#!/usr/bin/env node
// One process, one storage setup: runs the whole pipeline (source, parse,
// decode pool, preprocess, batch) over the setup's items and prints one JSON
// line. The job is given as JSON in argv[2]:
//
//   { overrides: {config path: value}, warmup: path, repeatItems: 1,
//     computeMs: 0, accelerators: 1, evict: [paths] | null, sourceOnly: false }
//
// `repeatItems` runs one long pass over the items R times over, as a long epoch
// would (no pipeline restarts in between); with `evict`, each file's pages are
// dropped again once it has been read, so every read of it stays cold.
//
// Throughput mode (computeMs 0) drains batches as fast as they come. With
// computeMs > 0 it emulates training in the manner of MLPerf Storage: each
// batch "computes" for computeMs / accelerators (a sleep: N accelerators
// sharing one stream of batches take a batch each in turn), and accelerator
// utilisation = compute time / wall time.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadConfig } from '../../../dist/config/load.js';
import { createPipeline } from '../../../dist/pipeline/index.js';
import { DecodePool } from '../../../dist/decode/pool.js';
import { resolveSources } from '../../../dist/sources/index.js';
import { fileItem } from '../../../dist/sources/item.js';
import { Prefetcher } from '../../../dist/pipeline/prefetch.js';
import { evict, evictLater } from './page-cache.mjs';

const job = JSON.parse(process.argv[2]);
const { config } = loadConfig(null, job.overrides);

/** CPU time of all cores from /proc/stat: [busy, total] in jiffies. */
function systemCpu() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return [total - idle, total];
  } catch {
    return null;
  }
}

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Per-file latency as the storage delivers it: from the first read of a file
 * to its last byte (or, for a DICOMweb instance, its last frame). It is taken
 * when the last piece arrives, not when the reader finishes, which waits for
 * room in the decode queue.
 */
function timed(item, latencies, evictAfter) {
  const wrapped = { ...item };
  const timeIterable = (iterable, t0) => ({
    async *[Symbol.asyncIterator]() {
      const start = t0 ?? performance.now();
      let last = start;
      try {
        for await (const piece of iterable) {
          last = performance.now();
          yield piece;
        }
      } finally {
        latencies.push(last - start);
        // Off the critical path: the next read of this file (a later repetition) is cold again.
        if (evictAfter) evictLater(item.id);
      }
    },
  });
  wrapped.open = (o) => {
    const source = item.open(o);
    const timedSource = timeIterable(source);
    // Still seekable when the source is: prefix reads skip the rest of a frame unread.
    if (typeof source.seek === 'function') timedSource.seek = (p) => source.seek(p);
    return timedSource;
  };
  if (item.reader) {
    wrapped.reader = (o) => {
      const t0 = performance.now();
      const r = item.reader(o);
      return { header: () => r.header(), close: () => r.close(), frames: () => timeIterable(r.frames(), t0)[Symbol.asyncIterator]() };
    };
  }
  return wrapped;
}

const listing = await resolveSources(config.sources);
if (listing.problems.length) throw new Error(`sources: ${listing.problems.map((p) => p.message).join('; ')}`);
const latencies = [];
const repeated = Array.from({ length: job.repeatItems ?? 1 }, () => listing.items).flat();
const items = repeated.map((i) => timed(i, latencies, Boolean(job.evict) && (job.repeatItems ?? 1) > 1));
if (job.sourceOnly) {
  // The storage's own limit as this client sees it: the same items, the same
  // concurrency, every byte (or frame) fetched, nothing decoded.
  let bytes = 0;
  let next = 0;
  const t0 = performance.now();
  const drain = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item.reader) {
        const r = item.reader({ maxFrameBytes: config.parse.maxFrameBytes });
        await r.header();
        for await (const fr of r.frames()) {
          if (fr.error) throw fr.error;
          bytes += fr.bytes.length;
        }
        await r.close();
      } else for await (const c of item.open({ chunkBytes: config.parse.chunkBytes })) bytes += c.length;
    }
  };
  await Promise.all(Array.from({ length: config.pipeline.fileConcurrency }, drain));
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ files: items.length, bytes, seconds, filesPerSecond: items.length / seconds, mbPerSecond: bytes / 1e6 / seconds }));
  process.exit(0);
}
const pool = new DecodePool({ workers: config.decode.workers, timeoutMs: config.decode.timeoutMs, wasmDir: config.decode.wasmDir });
const errors = [];
const onError = (r) => errors.push(r);

// Warm-up on a local file outside the measured set, twice per worker so that
// every worker has started and instantiated its codec before the clock starts.
if (job.warmup) {
  const w = createPipeline(config, { items: Array.from({ length: 2 * pool.workers }, () => fileItem(job.warmup, undefined)), pool, onError });
  for await (const _ of w) void _;
}
const pipeline = createPipeline(config, { items, pool, onError });
const perBatchMs = job.computeMs > 0 ? job.computeMs / (job.accelerators ?? 1) : 0;
let computeMs = 0;
let batches = 0;
if (job.evict) evict(job.evict);
const cpu0 = process.cpuUsage();
const sys0 = systemCpu();
const t0 = performance.now();
// Batches are prepared ahead of the consumer as the trainer's tf.data prefetch
// does (train.prefetchBatches): the pipeline keeps working while a step computes.
for await (const batch of new Prefetcher(pipeline[Symbol.asyncIterator](), config.train.prefetchBatches)) {
  void batch;
  batches++;
  if (perBatchMs > 0) {
    await new Promise((r) => setTimeout(r, perBatchMs));
    computeMs += perBatchMs;
  }
}
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const sys1 = systemCpu();
await pipeline.close();
await pool.close();
const seconds = wallMs / 1000;
const sorted = latencies.sort((a, b) => a - b);
const cores = availableParallelism();
console.log(
  JSON.stringify({
    frames: pipeline.stats.frames,
    files: pipeline.stats.files,
    errors: errors.length,
    errorSample: errors.slice(0, 3),
    bytesRead: pipeline.stats.bytesRead,
    seconds,
    framesPerSecond: pipeline.stats.frames / seconds,
    mbPerSecond: pipeline.stats.bytesRead / 1e6 / seconds,
    // decode.prefixReads: J2K/HTJ2K frames decoded at sub-resolution are read only in part.
    bytesPerFrame: pipeline.stats.frames > 0 ? pipeline.stats.bytesRead / pipeline.stats.frames : null,
    prefixFrames: pipeline.stats.prefixFrames,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    cpuProcess: (cpu.user + cpu.system) / 1000 / wallMs / cores,
    cpuSystem: sys0 && sys1 ? (sys1[0] - sys0[0]) / (sys1[1] - sys0[1]) : null,
    batches,
    workers: pool.workers,
    accelerators: perBatchMs > 0 ? (job.accelerators ?? 1) : null,
    acceleratorUtilisation: perBatchMs > 0 ? computeMs / wallMs : null,
  }),
);
