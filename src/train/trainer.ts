/**
 * Training on the pipeline's batches. The training set streams through a
 * tf.data.Dataset with prefetch, so decoding (in the worker pool) overlaps
 * the training step. Every step measures how long it waited for its batch:
 * the data-wait fraction, wait / (wait + compute), is the share of time the
 * model sat idle because the pipeline was late (the accelerator-utilisation
 * figure of MLPerf Storage, seen from the trainer).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PipelineConfig } from '../config/schema.js';
import { toTfDataset } from '../batch/tf-dataset.js';
import { DecodePool } from '../decode/pool.js';
import { CheckpointError, ConfigError } from '../errors.js';
import { createPipeline, type ErrorRecord, type Pipeline } from '../pipeline/index.js';
import { errorRecord } from '../pipeline/samples.js';
import { resolveSources } from '../sources/index.js';
import type { SourceItem } from '../sources/item.js';
import { selectBackend } from './backend.js';
import { loadCheckpoint, saveCheckpoint, type EpochRecord, type TrainState } from './checkpoint.js';
import { createParallelTrainer, type ParallelTrainer } from './data-parallel.js';
import { accuracy, rocAuc } from './metrics.js';
import { buildModel, type ModelName } from './models.js';
import { splitItems } from './split.js';
import { datasetPipeline, isValidationGroup } from '../dataset/pipeline.js';

export interface TrainOptions {
  config: PipelineConfig;
  /** Checkpoint folder to continue from. */
  resume?: string | null;
  items?: SourceItem[];
  onLog?(line: string): void;
  onStep?(s: { epoch: number; epochs: number; images: number; imagesPerSecond: number; loss: number }): void;
  onError?(r: ErrorRecord): void;
  /** Warnings about delivered frames (DF_WARN_*), see PipelineOptions.onWarning. */
  onWarning?(r: ErrorRecord): void;
  /** Generating the built-in sample on first use. */
  onSampleProgress?(done: number, total: number): void;
}

export interface TrainResult {
  backend: string;
  backendReason: string;
  model: ModelName;
  epochs: number;
  trainFiles: number;
  valFiles: number;
  trainImages: number;
  imagesPerSecond: number;
  dataWaitFraction: number;
  valLoss: number;
  valAuc: number;
  valAccuracy: number;
  history: EpochRecord[];
  checkpoint: string | null;
  split: string;
  errors: number;
  seconds: number;
}

/** A tensor's values as float32 (a uint8 pipeline gives int32 tensors). */
async function floats(t: tf.Tensor): Promise<Float32Array> {
  const v = await t.data();
  return v instanceof Float32Array ? v : Float32Array.from(v as Int32Array);
}

function makeOptimizer(c: PipelineConfig['train']): tf.Optimizer {
  return c.optimizer === 'sgd' ? tf.train.sgd(c.learningRate) : tf.train.adam(c.learningRate);
}

async function evaluate(model: tf.LayersModel, val: Pipeline, lossName: string): Promise<{ loss: number; auc: number; accuracy: number; images: number }> {
  const scores: number[] = [];
  const labels: number[] = [];
  for await (const b of val) {
    const xs = tf.tensor4d(b.xs, b.shape);
    const p = model.predict(xs) as tf.Tensor;
    scores.push(...(await p.data()));
    labels.push(...b.ys);
    tf.dispose([xs, p]);
  }
  let loss = 0;
  for (let i = 0; i < scores.length; i++) {
    const y = labels[i]!;
    const s = Math.min(1 - 1e-7, Math.max(1e-7, scores[i]!));
    loss += lossName === 'meanSquaredError' ? (s - y) ** 2 : -(y * Math.log(s) + (1 - y) * Math.log(1 - s));
  }
  return { loss: loss / Math.max(1, scores.length), auc: rocAuc(scores, labels), accuracy: accuracy(scores, labels), images: scores.length };
}

interface TrainingData {
  /** The validation files, when the data are DICOM sources (for train.explainEvery). */
  valItems?: SourceItem[];
  trainPipe: Pipeline;
  valPipe: Pipeline;
  method: string;
  trainFiles(): number;
  valFiles(): number;
  close(): Promise<void>;
}

/** DICOM sources: listed, split by patient (or study), decoded in a pool. */
async function sourceData(c: PipelineConfig, o: TrainOptions, onError: (r: ErrorRecord) => void, log: (line: string) => void): Promise<TrainingData> {
  let items = o.items;
  if (!items) {
    const listing = await resolveSources(c.sources, o.onSampleProgress ? { onSampleProgress: o.onSampleProgress } : {});
    for (const p of listing.problems) onError(errorRecord(p, p.where.file ?? ''));
    items = listing.items;
  }
  const unlabelled = items.filter((i) => i.label === undefined).length;
  if (unlabelled > 0) {
    throw new ConfigError(`training needs labels: ${unlabelled} of ${items.length} input(s) have none (use sources.manifest with path,label, or sources.sample)`, { stage: 'config', field: 'sources.manifest' });
  }
  const split = await splitItems(items, { by: c.train.splitBy, fraction: c.train.validationFraction, seed: c.train.seed, parse: c.parse });
  for (const p of split.problems) onError(errorRecord(p, p.where.file ?? ''));
  log(`split: ${split.train.length} training, ${split.val.length} validation file(s), ${split.method}`);


  // Training runs on this process's main thread (wasm and cpu are single-threaded here):
  // by default leave it a core and give the decoders the rest.
  const workers = c.decode.workers > 0 ? c.decode.workers : Math.max(1, availableParallelism() - 1);
  const pool = new DecodePool({ workers, timeoutMs: c.decode.timeoutMs, wasmDir: c.decode.wasmDir });
  log(`decode: ${workers} worker(s)${c.decode.workers > 0 ? '' : ' (cores - 1: the training step takes the other)'}`);
  const trainPipe = createPipeline(c, { items: split.train, pool, onError, ...(o.onWarning ? { onWarning: o.onWarning } : {}) });
  const valPipe = createPipeline({ ...c, pipeline: { ...c.pipeline, shuffleBuffer: 0, limit: 0, dropRemainder: false } }, { items: split.val, pool, onError, ...(o.onWarning ? { onWarning: o.onWarning } : {}) });
  return { valItems: split.val, trainPipe, valPipe, method: split.method, trainFiles: () => split.train.length, valFiles: () => split.val.length, close: () => pool.close() };
}

/**
 * A dicomflow dataset (sources.dataset): no decoding at all. Split by each
 * sample's group (the keyed hash of its PatientID), so one patient's samples
 * stay on one side.
 */
function datasetData(c: PipelineConfig, log: (line: string) => void): TrainingData {
  const dir = c.sources.dataset!;
  const s = c.sources;
  if (s.paths.length > 0 || s.urls.length > 0 || s.manifest !== null || s.sample || s.dicomweb.url !== null) {
    throw new ConfigError('sources.dataset replaces the other sources: leave sources.paths, urls, manifest, sample and dicomweb.url unset (train --dataset DIR does)', { stage: 'config', field: 'sources.dataset' });
  }
  const f = c.train.validationFraction;
  const seed = c.train.seed;
  const files = { train: new Set<string>(), val: new Set<string>() };
  const trainPipe = datasetPipeline(c, dir, { keep: (g) => !isValidationGroup(g, seed, f) });
  const valPipe = datasetPipeline({ ...c, pipeline: { ...c.pipeline, shuffleBuffer: 0, dropRemainder: false } }, dir, { keep: (g) => isValidationGroup(g, seed, f), shuffle: false });
  const count = (p: Pipeline, into: Set<string>): Pipeline => ({
    ...p,
    epoch: (n) => ({ [Symbol.asyncIterator]: async function* () { for await (const b of p.epoch(n)) { for (const id of b.ids) into.add(id.file); yield b; } } }),
    [Symbol.asyncIterator]: async function* () { for await (const b of p) { for (const id of b.ids) into.add(id.file); yield b; } },
  });
  log(`split: dataset ${dir}, by group (keyed hash of PatientID): about ${Math.round(f * 100)}% of groups held out; no decoding`);
  return { trainPipe: count(trainPipe, files.train), valPipe: count(valPipe, files.val), method: 'by group (dataset)', trainFiles: () => files.train.size, valFiles: () => files.val.size, close: async () => {} };
}

/**
 * Trains for `config.train.epochs` epochs (continuing from `resume`).
 *
 * @example const result = await train({ config, onLog: (l) => console.error(l) });
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const c = o.config;
  const log = o.onLog ?? (() => {});
  if (!c.preprocess.target) throw new ConfigError('training needs a fixed input size: set preprocess.target (e.g. "128x128")', { stage: 'config', field: 'preprocess.target' });
  const [h, w] = c.preprocess.target.split('x').map(Number) as [number, number];
  const inputShape: [number, number, number] = [h, w, c.preprocess.channels];

  if (c.train.explainEvery > 0 && !c.train.checkpointDir) {
    throw new ConfigError('train.explainEvery writes its sheets beside the checkpoints: set train.checkpointDir (--checkpoints DIR) too', { stage: 'config', field: 'train.explainEvery' });
  }
  if (c.train.explainEvery > 0 && c.sources.dataset !== null && !o.items) {
    throw new ConfigError('train.explainEvery needs DICOM sources: a dataset does not keep the frames\' geometry', { stage: 'config', field: 'train.explainEvery' });
  }
  const backend = await selectBackend(c.train.backend);
  log(`backend: ${backend.name} (${backend.reason})${backend.registeredKernels.length ? `; registered ${backend.registeredKernels.join(', ')}` : ''}`);

  let errors = 0;
  const onError = (r: ErrorRecord) => {
    errors++;
    o.onError?.(r);
  };
  const data = c.sources.dataset !== null && !o.items ? datasetData(c, log) : await sourceData(c, o, onError, log);
  let model: tf.LayersModel;
  let state: TrainState;
  const optimizer = makeOptimizer(c.train);
  if (o.resume) {
    const ck = await loadCheckpoint(o.resume);
    if (ck.state.inputShape.join('x') !== inputShape.join('x') || ck.state.model !== c.train.model) {
      throw new CheckpointError(`checkpoint ${ck.path} is a ${ck.state.model} on ${ck.state.inputShape.join('x')}; this run wants ${c.train.model} on ${inputShape.join('x')}`, { stage: 'train', file: ck.path });
    }
    if (ck.optimizerClass !== optimizer.getClassName()) throw new CheckpointError(`checkpoint optimizer is ${ck.optimizerClass}, this run uses ${optimizer.getClassName()}`, { stage: 'train', file: ck.path });
    model = ck.model;
    model.compile({ optimizer, loss: c.train.loss });
    await optimizer.setWeights(ck.optimizerWeights);
    tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
    state = ck.state;
    log(`resumed from ${ck.path} after epoch ${state.epoch}`);
  } else {
    model = buildModel(c.train.model, inputShape, c.train.seed);
    model.compile({ optimizer, loss: c.train.loss });
    state = { epoch: 0, seed: c.train.seed, model: c.train.model, inputShape, history: [], preprocess: { ...c.preprocess } };
  }

  const { trainPipe, valPipe } = data;
  let checkpoint: string | null = null;
  // train.workers > 1: the step's gradients are computed in worker threads; this thread's
  // model and optimizer stay the reference (validation, checkpoints), see data-parallel.ts.
  let parallel: ParallelTrainer | null = null;
  try {
    if (c.train.workers > 1) {
      if (backend.name === 'wasm' || backend.name === 'cpu') {
        parallel = await createParallelTrainer({ workers: c.train.workers, model, optimizer, loss: c.train.loss, backend: backend.name });
        log(`train: ${parallel.workers} data-parallel worker thread(s) on ${parallel.backend}, gradients averaged on the main thread`);
      } else {
        log(`train: train.workers ${c.train.workers} ignored: the ${backend.name} backend uses the cores itself`);
      }
    }
    for (let epoch = state.epoch + 1; epoch <= c.train.epochs; epoch++) {
      const e0 = performance.now();
      const it = await toTfDataset(trainPipe.epoch(epoch), tf).prefetch(c.train.prefetchBatches).iterator();
      let wait = 0;
      let compute = 0;
      let images = 0;
      let lossSum = 0;
      let steps = 0;
      for (;;) {
        const w0 = performance.now();
        const next = await it.next();
        const w1 = performance.now();
        if (next.done) break;
        wait += w1 - w0;
        const { xs, ys } = next.value as { xs: tf.Tensor4D; ys: tf.Tensor1D };
        const y = ys.reshape([-1, 1]);
        const loss = parallel ? await parallel.step(await floats(xs), await floats(y), xs.shape[0]) : ((await model.trainOnBatch(xs, y)) as number);
        compute += performance.now() - w1;
        images += xs.shape[0];
        lossSum += loss;
        steps++;
        tf.dispose([xs, ys, y]);
        o.onStep?.({ epoch, epochs: c.train.epochs, images, imagesPerSecond: images / ((wait + compute) / 1000), loss: lossSum / steps });
      }
      const v = await evaluate(model, valPipe, c.train.loss);
      const record: EpochRecord = {
        epoch,
        loss: lossSum / Math.max(1, steps),
        valLoss: v.loss,
        valAuc: v.auc,
        valAccuracy: v.accuracy,
        trainImages: images,
        imagesPerSecond: images / ((wait + compute) / 1000),
        dataWaitFraction: wait / Math.max(1e-9, wait + compute),
        seconds: (performance.now() - e0) / 1000,
      };
      state = { ...state, epoch, history: [...state.history, record] };
      log(
        `epoch ${epoch}/${c.train.epochs}: loss ${record.loss.toFixed(4)}, val loss ${record.valLoss.toFixed(4)}, val AUC ${record.valAuc.toFixed(3)}, ` +
          `val accuracy ${record.valAccuracy.toFixed(3)}, ${record.imagesPerSecond.toFixed(1)} images/s, data wait ${(record.dataWaitFraction * 100).toFixed(1)}%`,
      );
      // The preprocessing travels with the weights, so predict and explain see what training saw.
      state.preprocess = { ...c.preprocess };
      state.split = { by: c.train.splitBy, fraction: c.train.validationFraction, seed: c.train.seed };
      if (c.train.checkpointDir) checkpoint = await saveCheckpoint(c.train.checkpointDir, model, optimizer, state);
      if (c.train.explainEvery > 0 && epoch % c.train.explainEvery === 0 && c.train.checkpointDir && data.valItems) {
        const out = join(c.train.checkpointDir, 'explain', `epoch-${String(epoch).padStart(4, '0')}`);
        const { explain } = await import('../explain/explain.js');
        const { DEFAULT_METHODS } = await import('../explain/methods.js');
        const s = await explain(
          { ...c, pipeline: { ...c.pipeline, limit: c.train.explainFrames } },
          { checkpoint: c.train.checkpointDir, out, methods: DEFAULT_METHODS, items: data.valItems.slice(0, c.train.explainFrames), keepBackend: true, onError },
        );
        log(`explain: ${s.frames} validation frame(s), ${s.methods.join(', ')}: ${join(out, 'index.html')}`);
      }
    }
  } finally {
    await parallel?.close();
    await trainPipe.close();
    await valPipe.close();
    await data.close();
  }
  const last = state.history.at(-1);
  const ran = state.history.filter((r) => r.epoch > 0);
  const totalImages = ran.reduce((n, r) => n + r.trainImages, 0);
  const totalTime = ran.reduce((n, r) => n + r.trainImages / r.imagesPerSecond, 0);
  const result: TrainResult = {
    backend: backend.name,
    backendReason: backend.reason,
    model: c.train.model,
    epochs: state.epoch,
    trainFiles: data.trainFiles(),
    valFiles: data.valFiles(),
    trainImages: last?.trainImages ?? 0,
    imagesPerSecond: totalTime > 0 ? totalImages / totalTime : 0,
    dataWaitFraction: ran.length ? ran.reduce((n, r) => n + r.dataWaitFraction * (r.trainImages / r.imagesPerSecond), 0) / totalTime : 0,
    valLoss: last?.valLoss ?? Number.NaN,
    valAuc: last?.valAuc ?? Number.NaN,
    valAccuracy: last?.valAccuracy ?? Number.NaN,
    history: state.history,
    checkpoint,
    split: data.method,
    errors,
    seconds: (performance.now() - t0) / 1000,
  };
  model.dispose();
  optimizer.dispose();
  return result;
}
