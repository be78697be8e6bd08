/**
 * Scoring new frames with a trained model: `dicomflow predict` as a function.
 * The checkpoint records the preprocessing it was trained with, and that is
 * what the frames get (a model fed frames windowed or sized otherwise gives
 * wrong scores, silently), unless the caller overrides fields of it.
 *
 * @example
 *   const { config } = loadConfig(null, { 'sources.paths': ['new-scans/'] });
 *   await predict(config, { checkpoint: 'runs/a', onResult: (p) => console.log(p.file, p.frame, p.score) });
 */
import * as tf from '@tensorflow/tfjs';
import type { PipelineConfig } from '../config/schema.js';
import { CheckpointError } from '../errors.js';
import { createPipeline, type ErrorRecord } from '../pipeline/index.js';
import type { SourceItem } from '../sources/item.js';
import { selectBackend, type SelectedBackend } from './backend.js';
import { loadCheckpoint, type LoadedCheckpoint } from './checkpoint.js';

export interface Prediction {
  file: string;
  frame: number;
  /** The model's output for the frame (a probability for the binary models trained here). */
  score: number;
  /** The frame's label, when its source has one. */
  label?: string;
}

export interface PredictOptions {
  /** A checkpoint folder (its newest epoch) written by train. */
  checkpoint: string;
  onResult(p: Prediction): void;
  onError?(r: ErrorRecord): void;
  onWarning?(r: ErrorRecord): void;
  /** Preprocessing fields to use instead of the checkpoint's (e.g. from command-line flags). */
  preprocessOverrides?: Partial<PipelineConfig['preprocess']>;
  items?: SourceItem[];
  onLog?(line: string): void;
}

export interface PredictSummary {
  frames: number;
  errors: number;
  warnings: number;
  checkpoint: string;
  backend: SelectedBackend['name'];
  /** Where the preprocessing came from: the checkpoint, or the configuration for checkpoints that do not record it. */
  preprocessFrom: 'checkpoint' | 'configuration';
}

/** A checkpoint ready to score frames: its model, and the configuration with the preprocessing it was trained with. */
export interface ScoringSetup {
  ck: LoadedCheckpoint;
  config: PipelineConfig;
  backend: SelectedBackend;
  preprocessFrom: 'checkpoint' | 'configuration';
}

/**
 * Selects the backend, loads the checkpoint, and resolves the preprocessing:
 * the configuration's, then what the checkpoint recorded, then the overrides;
 * the model's input size must match. Shared by predict and explain.
 */
export async function openForScoring(
  config: PipelineConfig,
  o: { checkpoint: string; preprocessOverrides?: Partial<PipelineConfig['preprocess']>; onLog?(line: string): void; keepBackend?: boolean },
): Promise<ScoringSetup> {
  const log = o.onLog ?? (() => {});
  // keepBackend: called from inside a training run, whose backend is already set.
  const backend: SelectedBackend = o.keepBackend ? { name: tf.getBackend(), reason: 'the training run\'s', registeredKernels: [] } : await selectBackend(config.train.backend);
  if (!o.keepBackend) log(`backend: ${backend.name} (${backend.reason})`);
  const ck = await loadCheckpoint(o.checkpoint);
  tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
  const recorded = ck.state.preprocess as Partial<PipelineConfig['preprocess']> | undefined;
  const preprocess = { ...config.preprocess, ...(recorded ?? {}), ...(o.preprocessOverrides ?? {}) };
  if (!recorded) log(`${ck.path} does not record its preprocessing: using the configuration's`);
  const [h, w] = (preprocess.target ?? '').split('x').map(Number);
  const [mh, mw, mc] = ck.state.inputShape;
  if (h !== mh || w !== mw || preprocess.channels !== mc) {
    ck.model.dispose();
    throw new CheckpointError(`the model takes ${mh}x${mw}x${mc} inputs but the preprocessing gives ${preprocess.target ?? 'frames of their own size'} with ${preprocess.channels} channel(s)`, {
      stage: 'train',
      file: ck.path,
    });
  }
  const c: PipelineConfig = { ...config, preprocess, pipeline: { ...config.pipeline, shuffleBuffer: 0, dropRemainder: false, limit: config.pipeline.limit } };
  return { ck, config: c, backend, preprocessFrom: recorded ? 'checkpoint' : 'configuration' };
}

export async function predict(config: PipelineConfig, o: PredictOptions): Promise<PredictSummary> {
  const { ck, config: c, backend, preprocessFrom } = await openForScoring(config, o);
  const pipeline = createPipeline(c, {
    ...(o.onError ? { onError: o.onError } : {}),
    ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    ...(o.items ? { items: o.items } : {}),
  });
  const labels = new Map((await pipeline.items()).map((i) => [i.id, i.label]));
  let frames = 0;
  try {
    for await (const b of pipeline) {
      const scores = tf.tidy(() => (ck.model.predict(tf.tensor4d(b.xs, b.shape)) as tf.Tensor).dataSync());
      b.ids.forEach((id, i) => {
        const p: Prediction = { file: id.file, frame: id.frame, score: scores[i]! };
        const label = labels.get(id.file);
        if (label !== undefined) p.label = label;
        o.onResult(p);
        frames++;
      });
    }
  } finally {
    await pipeline.close();
    ck.model.dispose();
  }
  return { frames, errors: pipeline.stats.errors, warnings: pipeline.stats.warnings, checkpoint: ck.path, backend: backend.name, preprocessFrom };
}
