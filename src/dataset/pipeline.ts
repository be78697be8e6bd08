/**
 * A pipeline over a dicomflow dataset instead of DICOM sources: the same
 * batches, epochs and tf.data adapter, with no reading or decoding of DICOM.
 * Shards come in a seeded order per epoch, and the shuffle buffer mixes the
 * samples across them. `keep` selects samples by their group (the keyed hash
 * of the PatientID): how training and validation are split.
 *
 * @example
 *   const p = datasetPipeline(config, 'ds', { keep: (g) => !isValidationGroup(g, 1, 0.2) });
 *   for await (const batch of p.epoch(1)) train(batch);
 */
import { createHash } from 'node:crypto';
import { batches } from '../batch/batcher.js';
import { labelMap } from '../batch/labels.js';
import { shuffled } from '../batch/shuffle.js';
import { toTfDataset } from '../batch/tf-dataset.js';
import type { PipelineConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Pipeline } from '../pipeline/index.js';
import type { SampleStats } from '../pipeline/samples.js';
import { deriveSeed } from '../synth/random.js';
import { datasetSamples, readIndex, type DatasetSample } from './reader.js';

/**
 * Whether a group belongs to the validation side: a hash of (seed, group) below
 * `fraction`. All samples of one patient land on one side; samples without a
 * PatientID are grouped by file.
 */
export function isValidationGroup(group: string, seed: number, fraction: number): boolean {
  const h = createHash('sha256').update(`${seed}/${group}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < fraction;
}

export function groupOf(s: DatasetSample): string {
  return s.group ?? `file:${s.id.file}`;
}

export interface DatasetPipelineOptions {
  keep?(group: string): boolean;
  /** Shuffle (training); false keeps the dataset's order (validation). */
  shuffle?: boolean;
}

export function datasetPipeline(config: PipelineConfig, dir: string, o: DatasetPipelineOptions = {}): Pipeline {
  const index = readIndex(dir);
  const want = config.preprocess.target;
  const made = index.preprocess.target as string | null | undefined;
  if (want !== null && made !== want) {
    throw new ConfigError(`the dataset ${dir} was made with preprocess.target ${JSON.stringify(made)}, this run wants ${JSON.stringify(want)}`, { stage: 'config', field: 'preprocess.target' });
  }
  const stats: SampleStats = { files: 0, frames: 0, bytesRead: 0, decodedPixels: 0, decodeMs: 0, preprocessMs: 0, errors: 0, warnings: 0, cacheHits: 0, cacheStores: 0, prefixFrames: 0, bytesSkipped: 0 };
  const p = config.pipeline;
  const shuffle = o.shuffle ?? true;
  const pass = async function* (seed: number) {
    const source = (async function* () {
      for await (const s of datasetSamples(dir, shuffle ? seed : null)) {
        if (o.keep && !o.keep(groupOf(s))) continue;
        stats.frames++;
        yield s;
      }
    })();
    yield* shuffle && p.shuffleBuffer > 0 ? shuffled(source, p.shuffleBuffer, seed) : source;
  };
  const labels = async () => labelMap(index.labels ?? []);
  const batchPass = async function* (seed: number) {
    yield* batches(pass(seed), { batchSize: p.batchSize, dropRemainder: shuffle && p.dropRemainder, labels: await labels() });
  };
  const pipeline: Pipeline = {
    stats,
    errors: [],
    warnings: [],
    items: async () => [],
    labels,
    workers: 0,
    // Shards are read by the dataset reader, not as DICOM sources.
    localReads: { syncFiles: 0, asyncFiles: 0, slowSwitches: 0 },
    samples: () => ({ [Symbol.asyncIterator]: () => pass(p.seed) }),
    epoch: (n) => ({ [Symbol.asyncIterator]: () => batchPass(deriveSeed(p.seed, `epoch/${n}`)) }),
    [Symbol.asyncIterator]: () => batchPass(p.seed),
    toTfDataset: (tf) => toTfDataset(pipeline, tf),
    close: async () => {},
  };
  return pipeline;
}
