/**
 * Checkpoints that work on every backend: tfjs-node's `file://` handler
 * exists only with tfjs-node, so the model is saved through a custom save
 * handler as the standard `model.json` + `weights.bin` (loadable with
 * tf.loadLayersModel anywhere). The optimizer's state (Adam's moments and
 * step count) and the run's progress are saved beside it, so a resumed run
 * continues exactly where it stopped.
 *
 * Layout: DIR/epoch-0003/{model.json, weights.bin, optimizer.json,
 * optimizer.bin, state.json} and DIR/latest.json naming the newest; each
 * epoch folder is written under a temporary name and renamed when complete.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors.js';

export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss: number;
  valAuc: number;
  valAccuracy: number;
  trainImages: number;
  imagesPerSecond: number;
  dataWaitFraction: number;
  seconds: number;
}

export interface TrainState {
  /** Epochs completed (1-based count). */
  epoch: number;
  seed: number;
  model: string;
  inputShape: [number, number, number];
  history: EpochRecord[];
  /**
   * The preprocessing the model was trained with (preprocess section of the
   * configuration): predict reuses it unless told otherwise. Absent in
   * checkpoints written before it was recorded.
   */
  preprocess?: Record<string, unknown>;
  /** How files were split into training and validation, so explain can take the same validation files. Absent in older checkpoints. */
  split?: { by: string; fraction: number; seed: number };
}

function toBuffer(data: ArrayBuffer | ArrayBuffer[] | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return Array.isArray(data) ? Buffer.concat(data.map((d) => Buffer.from(d))) : Buffer.from(data);
}

/** @example await saveCheckpoint('runs/a', model, optimizer, state) */
export async function saveCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer, state: TrainState): Promise<string> {
  const name = `epoch-${String(state.epoch).padStart(4, '0')}`;
  const tmp = join(dir, `.${name}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(tmp, 'weights.bin'), toBuffer(artifacts.weightData as ArrayBuffer | ArrayBuffer[]));
      const json = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileSync(join(tmp, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const optimizerWeights = await optimizer.getWeights();
  const encoded = await tf.io.encodeWeights(optimizerWeights);
  writeFileSync(join(tmp, 'optimizer.bin'), toBuffer(encoded.data));
  writeFileSync(join(tmp, 'optimizer.json'), JSON.stringify({ className: optimizer.getClassName(), config: optimizer.getConfig(), specs: encoded.specs }));
  // getWeights() returns fresh tensors for the step count; free ours, not the optimizer's.
  for (const w of optimizerWeights) if (w.name === 'iter') w.tensor.dispose();
  writeFileSync(join(tmp, 'state.json'), JSON.stringify(state, null, 2));
  const final = join(dir, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  writeFileSync(join(dir, 'latest.json.tmp'), JSON.stringify({ checkpoint: name, epoch: state.epoch }));
  renameSync(join(dir, 'latest.json.tmp'), join(dir, 'latest.json'));
  return final;
}

export interface LoadedCheckpoint {
  model: tf.LayersModel;
  /** Apply to a new optimizer of the same kind with `optimizer.setWeights(...)`. */
  optimizerWeights: { name: string; tensor: tf.Tensor }[];
  optimizerClass: string;
  state: TrainState;
  path: string;
}

/** Loads DIR's newest checkpoint. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const pointer = join(dir, 'latest.json');
  if (!existsSync(pointer)) throw new CheckpointError(`no checkpoint in ${dir} (latest.json is missing)`, { stage: 'train', file: dir });
  const { checkpoint } = JSON.parse(readFileSync(pointer, 'utf8')) as { checkpoint: string };
  const path = join(dir, checkpoint);
  try {
    const json = JSON.parse(readFileSync(join(path, 'model.json'), 'utf8'));
    const weightData = new Uint8Array(readFileSync(join(path, 'weights.bin'))).buffer;
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
    const opt = JSON.parse(readFileSync(join(path, 'optimizer.json'), 'utf8')) as { className: string; specs: tf.io.WeightsManifestEntry[] };
    const named = tf.io.decodeWeights(new Uint8Array(readFileSync(join(path, 'optimizer.bin'))).buffer, opt.specs);
    // Order matters: optimizers restore their slots by position (the order getWeights() gave).
    const optimizerWeights = opt.specs.map((s) => ({ name: s.name, tensor: named[s.name]! }));
    const state = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as TrainState;
    return { model, optimizerWeights, optimizerClass: opt.className, state, path };
  } catch (err) {
    throw new CheckpointError(`checkpoint ${path} cannot be loaded: ${(err as Error).message}`, { stage: 'train', file: path }, { cause: err });
  }
}
