/**
 * Ingest into a dataset: the sources, cut into logical shards (plan.ts), each
 * decoded once through the pool and written as a WebDataset tar or a TFRecord
 * file. Resumable and atomic, as webdataset's ShardWriter and img2dataset do
 * it: a shard is written under a temporary name, flushed and renamed, and
 * its stats file (`<shard>.stats.json`: samples, bytes, SHA-256, the errors
 * of its files, and the identity of what it was made from) is written last,
 * as the commit marker. A rerun skips every shard whose stats match the file
 * on disk and the plan, and redoes the rest; the index (`dataset.json`) and
 * `errors.jsonl` are derived from the stats, so a run killed at any moment and
 * run again gives byte-identical results. Array workers each take the shards
 * k with k mod N = i; `merge` writes the index once all are there.
 *
 * @example
 *   const { config } = loadConfig(null, { 'sources.paths': ['scans/'] });
 *   const s = await writeDataset(config, { out: 'ds', format: 'webdataset', shardFiles: 256 });
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/schema.js';
import { DecodePool } from '../decode/pool.js';
import { ConfigError, DatasetError, toDicomflowError } from '../errors.js';
import { createPipeline } from '../pipeline/index.js';
import { errorRecord, type ErrorRecord } from '../pipeline/samples.js';
import { resolveSources } from '../sources/index.js';
import type { SourceItem } from '../sources/item.js';
import { codecVersions } from './versions.js';
import { planShards, shardsOf, type PlannedShard } from './plan.js';
import { datasetRecord, sampleKey } from './sample-record.js';
import { openShardFile } from './shard-file.js';
import { tfRecordWriter } from './tfrecord.js';
import { webDatasetWriter, type ShardWriter } from './webdataset.js';

export type DatasetFormat = 'webdataset' | 'tfrecord';
export const DATASET_VERSION = 1;

export interface DatasetOptions {
  out: string;
  format: DatasetFormat;
  /** Files per shard (default 256). */
  shardFiles?: number;
  /** This worker's index and the number of workers (default 0 of 1). */
  arrayIndex?: number;
  arraySize?: number;
  /** Write dataset.json from the shards already there (after the array workers), without decoding. */
  merge?: boolean;
  onError?(r: ErrorRecord): void;
  onWarning?(r: ErrorRecord): void;
  /** After each shard this worker handles: written, or skipped as already done. */
  onShard?(s: { name: string; samples: number; skipped: boolean; done: number; of: number }): void;
}

export interface ShardStats {
  name: string;
  file: string;
  samples: number;
  bytes: number;
  sha256: string;
  files: number;
  failedFiles: number;
  /** What the shard was made from: its files (ids and sizes), the format and the preprocessing. */
  identity: string;
  errors: ErrorRecord[];
}

export interface DatasetSummary {
  out: string;
  format: DatasetFormat;
  shards: number;
  /** Shards this worker wrote, and skipped because a finished copy was there. */
  written: number;
  skipped: number;
  samples: number;
  errors: number;
  /** dataset.json was written (a single worker, or a merge with every shard present). */
  indexed: boolean;
  missing: string[];
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function extension(format: DatasetFormat): string {
  return format === 'webdataset' ? '.tar' : '.tfrecord';
}

function shardIdentity(shard: PlannedShard, format: DatasetFormat, preprocessHash: string): string {
  return sha256(JSON.stringify({ version: DATASET_VERSION, format, preprocessHash, codecs: codecVersions(), files: shard.items.map((i) => [i.id, i.size ?? null, i.label ?? null]) }));
}

function readStats(path: string): ShardStats | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ShardStats;
  } catch {
    return null;
  }
}

/** A finished shard: its stats are there, made from the same plan, and the file's checksum matches. */
async function finished(out: string, shard: PlannedShard, format: DatasetFormat, identity: string): Promise<ShardStats | null> {
  const stats = readStats(join(out, `${shard.name}.stats.json`));
  if (!stats || stats.identity !== identity) return null;
  const file = join(out, stats.file);
  if (!existsSync(file) || stats.file !== `${shard.name}${extension(format)}`) return null;
  return (await fileSha256(file)) === stats.sha256 ? stats : null;
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function writeDataset(config: PipelineConfig, o: DatasetOptions): Promise<DatasetSummary> {
  const shardFiles = o.shardFiles ?? 256;
  const size = o.arraySize ?? 1;
  const index = o.arrayIndex ?? 0;
  if (!Number.isInteger(shardFiles) || shardFiles < 1) throw new ConfigError(`--shard-files must be a positive integer (got ${shardFiles})`, { stage: 'config' });
  if (!Number.isInteger(size) || size < 1) throw new ConfigError(`--array-size must be a positive integer (got ${size})`, { stage: 'config' });
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new ConfigError(`--array-index must be 0..${size - 1} (got ${index})`, { stage: 'config' });
  if (config.pipeline.limit > 0) throw new ConfigError(`pipeline.limit must be 0 when writing a dataset (got ${config.pipeline.limit}): a dataset holds every frame`, { stage: 'config', field: 'pipeline.limit' });
  mkdirSync(o.out, { recursive: true });

  const listing = await resolveSources(config.sources);
  const listingErrors = listing.problems.map((p) => errorRecord(p, p.where.file ?? ''));
  for (const r of listingErrors) o.onError?.(r);
  const plan = planShards(listing.items, shardFiles);
  const preprocessHash = sha256(JSON.stringify(config.preprocess));
  const mine = o.merge ? [] : shardsOf(plan, index, size);
  let written = 0;
  let skipped = 0;

  // What a killed run left under a temporary name for these shards is garbage.
  const mineNames = new Set(mine.map((s) => s.name));
  for (const f of readdirSync(o.out)) {
    const m = /^(shard-\d{6})\..*\.tmp-\d+$/.exec(f);
    if (m && mineNames.has(m[1]!)) rmSync(join(o.out, f), { force: true });
  }

  const pool = mine.length > 0 ? new DecodePool({ workers: config.decode.workers, timeoutMs: config.decode.timeoutMs, wasmDir: config.decode.wasmDir }) : null;
  try {
    for (const [done, shard] of mine.entries()) {
      const identity = shardIdentity(shard, o.format, preprocessHash);
      if (await finished(o.out, shard, o.format, identity)) {
        skipped++;
        o.onShard?.({ name: shard.name, samples: readStats(join(o.out, `${shard.name}.stats.json`))!.samples, skipped: true, done: done + 1, of: mine.length });
        continue;
      }
      const stats = await writeShard(config, o, shard, identity, pool!);
      written++;
      o.onShard?.({ name: shard.name, samples: stats.samples, skipped: false, done: done + 1, of: mine.length });
    }
  } finally {
    await pool?.close();
  }

  // The index, derived from the stats of every shard of the plan.
  const all = plan.map((s) => ({ shard: s, stats: readStats(join(o.out, `${s.name}.stats.json`)) }));
  const missing = all.filter((a) => a.stats === null || a.stats.identity !== shardIdentity(a.shard, o.format, preprocessHash)).map((a) => a.shard.name);
  const summary: DatasetSummary = { out: o.out, format: o.format, shards: plan.length, written, skipped, samples: 0, errors: listingErrors.length, indexed: false, missing };
  for (const a of all) if (a.stats && !missing.includes(a.shard.name)) {
    summary.samples += a.stats.samples;
    summary.errors += a.stats.errors.length;
  }
  if (missing.length > 0 && (o.merge || size === 1)) {
    throw new DatasetError(`${missing.length} shard(s) are not written yet: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`, { stage: 'dataset', file: o.out }, { details: { missing } });
  }
  if (missing.length === 0 && (o.merge || size === 1)) {
    writeIndex(o, config, plan, all.map((a) => a.stats!), listingErrors, preprocessHash);
    summary.indexed = true;
  }
  return summary;
}

async function writeShard(config: PipelineConfig, o: DatasetOptions, shard: PlannedShard, identity: string, pool: DecodePool): Promise<ShardStats> {
  const fileName = `${shard.name}${extension(o.format)}`;
  const file = openShardFile(join(o.out, fileName));
  const writer: ShardWriter = o.format === 'webdataset' ? webDatasetWriter(file) : tfRecordWriter(file);
  const place = new Map(shard.items.map((it: SourceItem, i) => [it.id, i]));
  const errors: ErrorRecord[] = [];
  const onError = (r: ErrorRecord) => {
    errors.push(r);
    o.onError?.(r);
  };
  // File order and frame order, no shuffling: a shard's bytes depend on its inputs alone.
  const shardConfig: PipelineConfig = { ...config, pipeline: { ...config.pipeline, shuffleBuffer: 0, limit: 0 } };
  const pipeline = createPipeline(shardConfig, { items: shard.items, pool, onError, ...(o.onWarning ? { onWarning: o.onWarning } : {}) });
  let samples = 0;
  try {
    for await (const s of pipeline.samples()) {
      await writer.add(datasetRecord(s, sampleKey(shard.index, place.get(s.id.file)!, s.id.frame)));
      samples++;
    }
    await writer.finish();
  } catch (err) {
    file.abort();
    throw toDicomflowError(err, { stage: 'dataset', file: join(o.out, fileName) });
  }
  const { bytes, sha256: sum } = await file.commit();
  const failedFiles = new Set(errors.map((e) => e.file)).size;
  const stats: ShardStats = { name: shard.name, file: fileName, samples, bytes, sha256: sum, files: shard.items.length, failedFiles, identity, errors };
  writeAtomically(join(o.out, `${shard.name}.stats.json`), `${JSON.stringify(stats, null, 2)}\n`);
  return stats;
}

function writeIndex(o: DatasetOptions, config: PipelineConfig, plan: PlannedShard[], stats: ShardStats[], listingErrors: ErrorRecord[], preprocessHash: string): void {
  const samples = stats.reduce((n, s) => n + s.samples, 0);
  const labels = [...new Set(plan.flatMap((s) => s.items.map((i) => i.label)).filter((l): l is string => l !== undefined))].sort();
  const index = {
    // The fields PyTorch's wids reads (a wids shard index), so `wids.ShardListDataset` opens this file as it is.
    __kind__: 'wids-shard-index-v1',
    wids_version: 1,
    name: 'dicomflow',
    shardlist: stats.map((s) => ({ url: s.file, nsamples: s.samples })),
    format: o.format,
    version: DATASET_VERSION,
    samples,
    files: plan.reduce((n, s) => n + s.items.length, 0),
    shards: stats.map((s) => ({ name: s.file, samples: s.samples, bytes: s.bytes, sha256: s.sha256 })),
    /** Every label of the listed files, sorted: how a reader maps them to numbers, as the pipeline does. */
    labels,
    preprocess: config.preprocess,
    preprocessHash,
    codecs: codecVersions(),
    errors: listingErrors.length + stats.reduce((n, s) => n + s.errors.length, 0),
    failedFiles: stats.reduce((n, s) => n + s.failedFiles, 0),
  };
  const errors = [...listingErrors, ...stats.flatMap((s) => s.errors)];
  writeAtomically(join(o.out, 'errors.jsonl'), errors.map((e) => `${JSON.stringify(e)}\n`).join(''));
  writeAtomically(join(o.out, 'dataset.json'), `${JSON.stringify(index, null, 2)}\n`);
}
