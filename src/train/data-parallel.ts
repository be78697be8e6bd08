/**
 * Synchronous data-parallel training on worker threads, so a training step
 * uses the cores it is given. tfjs-backend-wasm runs one thread in Node (it
 * reports no multithread support, and forcing it makes the backend fail to
 * start), so one thread per replica is the only way to more than one core.
 *
 * N workers (node:worker_threads, data-parallel-worker.ts), each with its
 * own tfjs, backend and copy of the model. Per step:
 *
 *   1. the batch is cut into N contiguous shards (sizes differ by at most 1;
 *      a batch smaller than N uses fewer workers);
 *   2. each worker runs the forward pass in training mode and the backward
 *      pass on its shard and sends back the loss, the gradients of the
 *      trainable weights and its non-trainable weights, as transferred
 *      Float32Arrays;
 *   3. the main thread averages the gradients and losses weighted by shard
 *      size (in float64), which is the gradient of the mean loss over the
 *      whole batch, applies them with ITS optimizer to ITS model (the one the
 *      caller passed, or built here), and
 *   4. sends the new weights, all of them, to every worker.
 *
 * The main thread's model and optimizer stay the reference: checkpoints,
 * validation and resuming use them as in the single-thread path, and the
 * replicas are bit-identical copies of it at every step (they receive the
 * same Float32 values). With one worker the step equals trainOnBatch on
 * the same backend; with several it equals it up to float32 summation order.
 *
 * BatchNormalization: each shard normalises with its own batch statistics
 * (PyTorch DDP without SyncBatchNorm). The moving mean and variance each
 * worker updated are averaged, weighted by shard size, into the main model
 * and broadcast with the weights. For the moving mean with equal shards that
 * is exactly the full-batch update; for the moving variance it leaves out
 * the spread between shard means (so it is a little lower than the
 * full-batch value). DDP instead copies rank 0's buffers; the average uses
 * every sample and costs the same. Other non-trainable weights are averaged
 * the same way.
 *
 * Dropout draws its masks in each worker, so a seeded dropout is not the
 * full-batch mask (the built-in models have no dropout). The loss function
 * is the one LayersModel.compile picks for the name, plus the model's
 * regulariser penalties, as trainOnBatch minimises.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { TrainingBackendError } from '../errors.js';
import type { StepReply, StepRequest, WorkerInit, WorkerReply, WorkerTiming } from './data-parallel-worker.js';
import { buildModel, type ModelName } from './models.js';

/** The compiled worker, whether this module runs from src/ (tests) or dist/. */
export const DEFAULT_TRAIN_WORKER = fileURLToPath(new URL('../../dist/train/data-parallel-worker.js', import.meta.url));

export type LossName = 'binaryCrossentropy' | 'meanSquaredError';

/** A model to replicate: one the caller owns, or one of the built-in models, built (and disposed by close()) here. */
export type ModelSpec = tf.LayersModel | { name: ModelName; inputShape: [number, number, number]; seed: number };

/** An optimizer the caller owns, or one made (and disposed by close()) here. */
export type OptimizerSpec = tf.Optimizer | { name: 'adam' | 'sgd'; learningRate: number };

export interface ParallelTrainerOptions {
  /** Worker threads (replicas), at least 1. */
  workers: number;
  model: ModelSpec;
  optimizer: OptimizerSpec;
  /** A loss name LayersModel.compile knows. */
  loss: LossName;
  /** The workers' backend. Default wasm. The main thread keeps its own (it only applies the optimizer). */
  backend?: 'wasm' | 'cpu';
  /** Worker module. Default: the compiled dist/train/data-parallel-worker.js. */
  workerFile?: string;
}

/** Where one step's time went, in milliseconds. */
export interface StepProfile {
  /** Samples per worker. */
  shards: number[];
  /** Copying the shards out of the batch. */
  splitMs: number;
  /** From posting the shards to the last worker's reply. */
  roundTripMs: number;
  /** Each worker's own timing (forward, backward, packing, setting the weights before this step). */
  workers: WorkerTiming[];
  /** The slowest worker's forward + backward + pack: the compute the step waited for. */
  computeMs: number;
  /** roundTripMs - computeMs: messages, transfers, thread wake-ups, and setting weights if it overlapped. */
  overheadMs: number;
  /** Averaging the gradients on the main thread. */
  averageMs: number;
  /** optimizer.applyGradients and the state write on the main thread. */
  applyMs: number;
  /** Reading the new weights and posting them to the workers. */
  broadcastMs: number;
  totalMs: number;
  /** Per worker, milliseconds per kernel name (profile steps only). */
  kernels?: Record<string, number>[];
  /** Per worker, tf.memory().numTensors after its part of the step. */
  workerTensors: number[];
}

export interface AveragedGradients {
  loss: number;
  /** In model.trainableWeights order. */
  grads: Float32Array[];
  /** The averaged non-trainable weights, in model.nonTrainableWeights order. */
  state: Float32Array[];
}

export interface ParallelTrainer {
  readonly workers: number;
  /** The workers' backend, as they report it. */
  readonly backend: string;
  /** The reference model: the one passed in, or the one built here. */
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  /**
   * One synchronous step on `n` samples: xs is n x the model's input shape
   * (NHWC, packed), ys n x the output units. Resolves to the batch's mean
   * loss. The arrays are only read.
   */
  step(xs: Float32Array, ys: Float32Array, n: number): Promise<number>;
  /** step() under tf.profile in each worker: also returns the time per kernel. */
  profileStep(xs: Float32Array, ys: Float32Array, n: number): Promise<{ loss: number; profile: StepProfile }>;
  /** The averaged gradients of a batch, applied to nothing (the moving statistics are not kept either). */
  gradients(xs: Float32Array, ys: Float32Array, n: number): Promise<AveragedGradients>;
  /** The reference model's weights, in model.weights order. */
  getWeights(): Float32Array[];
  /** Each worker's weights, in model.weights order. */
  replicaWeights(): Promise<Float32Array[][]>;
  /** Sends the reference model's weights to the workers again (after changing them outside step()). */
  syncWeights(): void;
  /** The last step's profile. */
  readonly lastProfile: StepProfile | null;
  /** Workers still running. */
  alive(): number;
  /** Terminates the workers; disposes the model and optimizer if they were made here. */
  close(): Promise<void>;
}

interface Pending {
  resolve(r: WorkerReply): void;
  reject(e: Error): void;
}

class Replica {
  readonly worker: Worker;
  readonly exited: Promise<number>;
  running = true;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;

  constructor(file: string, init: WorkerInit, index: number) {
    this.worker = new Worker(file, { workerData: init, name: `dicomflow-train-${index}` });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.running = false;
        this.fail(new TrainingBackendError(`data-parallel worker ${index} exited (code ${code})`, { stage: 'train' }));
        resolve(code);
      });
    });
    this.worker.on('error', (err) => this.fail(new TrainingBackendError(`data-parallel worker ${index} failed: ${err.message}`, { stage: 'train' }, { cause: err })));
    this.worker.on('message', (r: WorkerReply) => {
      if (!r.ok && r.id === -1) return this.fail(new TrainingBackendError(`data-parallel worker ${index}: ${r.message}`, { stage: 'train' }));
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r);
      else p.reject(new TrainingBackendError(`data-parallel worker ${index}: ${r.message}`, { stage: 'train' }));
    });
  }

  /** Resolves when the worker has its backend and model (its first message, id 0). */
  ready(): Promise<WorkerReply> {
    return this.expect(0);
  }

  request(m: Omit<StepRequest, 'id'> | { type: 'getWeights' }, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const reply = this.expect(id);
    this.worker.postMessage({ ...m, id }, transfer);
    return reply;
  }

  post(m: unknown, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(m, transfer);
  }

  private expect(id: number): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function split(packed: Float32Array | Float64Array, sizes: number[]): Float32Array[] {
  let at = 0;
  return sizes.map((s) => Float32Array.from(packed.subarray(at, (at += s))));
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Shard sizes for n samples over w workers: contiguous, differing by at most one, no empty shard. */
export function shardSizes(n: number, w: number): number[] {
  const k = Math.max(1, Math.min(w, n));
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/**
 * Starts the workers (each initialises its backend and rebuilds the model
 * from its topology and weights) and resolves when all are ready.
 *
 * @example
 *   const p = await createParallelTrainer({ workers: 2, model: { name: 'small-cnn', inputShape: [128, 128, 1], seed: 1 },
 *     optimizer: { name: 'adam', learningRate: 1e-3 }, loss: 'binaryCrossentropy' });
 *   const loss = await p.step(batch.xs, batch.ys, 16);
 *   await p.close();
 */
export async function createParallelTrainer(o: ParallelTrainerOptions): Promise<ParallelTrainer> {
  if (!Number.isInteger(o.workers) || o.workers < 1) throw new TrainingBackendError(`data-parallel training needs at least 1 worker, got ${o.workers}`, { stage: 'train' });
  const ownModel = !(o.model instanceof tf.LayersModel);
  const model = o.model instanceof tf.LayersModel ? o.model : buildModel(o.model.name, o.model.inputShape, o.model.seed);
  const ownOptimizer = !(o.optimizer instanceof tf.Optimizer);
  const optimizer = o.optimizer instanceof tf.Optimizer ? o.optimizer : o.optimizer.name === 'sgd' ? tf.train.sgd(o.optimizer.learningRate) : tf.train.adam(o.optimizer.learningRate);
  const dispose = () => {
    if (ownModel) model.dispose();
    if (ownOptimizer) optimizer.dispose();
  };

  const weights = model.weights;
  const trainable = model.trainableWeights;
  const nonTrainable = model.nonTrainableWeights;
  const trainableSizes = trainable.map((w) => sizeOf(w.shape as number[]));
  const stateSizes = nonTrainable.map((w) => sizeOf(w.shape as number[]));
  const weightSizes = weights.map((w) => sizeOf(w.shape as number[]));
  const inputSize = sizeOf(model.inputs[0]!.shape.slice(1) as number[]);
  const units = sizeOf(model.outputs[0]!.shape.slice(1) as number[]);
  const readWeights = () => concat(weights.map((w) => w.read().dataSync() as Float32Array));

  const init: WorkerInit = {
    topology: model.toJSON(null, false) as object,
    weights: readWeights(),
    shapes: weights.map((w) => w.shape as number[]),
    loss: o.loss,
    backend: o.backend ?? 'wasm',
  };
  const replicas = Array.from({ length: o.workers }, (_, i) => new Replica(o.workerFile ?? DEFAULT_TRAIN_WORKER, init, i));
  let backend = '';
  try {
    const ready = await Promise.all(replicas.map((r) => r.ready()));
    const names = new Set(ready.map((r) => ('backend' in r ? r.backend : '?')));
    backend = [...names].join(', ');
    if (names.size !== 1) throw new TrainingBackendError(`the data-parallel workers came up on different backends: ${backend}`, { stage: 'train' });
  } catch (err) {
    await Promise.all(replicas.map((r) => r.worker.terminate()));
    dispose();
    throw err;
  }

  let closed = false;
  let lastProfile: StepProfile | null = null;
  const live = () => {
    if (closed) throw new TrainingBackendError('the data-parallel trainer is closed', { stage: 'train' });
  };

  /** Steps 1 and 2: shards out, gradients back, averaged in float64. */
  async function compute(xs: Float32Array, ys: Float32Array, n: number, kernels: boolean) {
    live();
    if (!Number.isInteger(n) || n < 1) throw new TrainingBackendError(`a step needs at least one sample, got n=${n}`, { stage: 'train' });
    if (xs.length !== n * inputSize) throw new TrainingBackendError(`xs has ${xs.length} values; ${n} samples of the model's input need ${n * inputSize}`, { stage: 'train' });
    if (ys.length !== n * units) throw new TrainingBackendError(`ys has ${ys.length} values; ${n} samples of ${units} output(s) need ${n * units}`, { stage: 'train' });
    const t0 = performance.now();
    const shards = shardSizes(n, replicas.length);
    let at = 0;
    const requests = shards.map((s) => {
      const m = { type: 'step' as const, xs: xs.slice(at * inputSize, (at + s) * inputSize), ys: ys.slice(at * units, (at + s) * units), n: s, units, kernels };
      at += s;
      return m;
    });
    const t1 = performance.now();
    const replies = (await Promise.all(requests.map((m, i) => replicas[i]!.request(m, [m.xs.buffer, m.ys.buffer])))) as StepReply[];
    const t2 = performance.now();
    const grads = new Float64Array(trainableSizes.reduce((a, b) => a + b, 0));
    const state = new Float64Array(stateSizes.reduce((a, b) => a + b, 0));
    for (const r of replies) {
      if (r.grads.length !== grads.length || r.state.length !== state.length) {
        throw new TrainingBackendError(`a data-parallel worker sent ${r.grads.length} gradient and ${r.state.length} state values for a model of ${grads.length} and ${state.length}`, { stage: 'train' });
      }
    }
    let loss = 0;
    replies.forEach((r, i) => {
      const wgt = shards[i]! / n;
      loss += r.loss * wgt;
      for (let j = 0; j < grads.length; j++) grads[j]! += r.grads[j]! * wgt;
      for (let j = 0; j < state.length; j++) state[j]! += r.state[j]! * wgt;
    });
    const t3 = performance.now();
    const computeMs = Math.max(...replies.map((r) => r.timing.forwardMs + r.timing.backwardMs + r.timing.packMs));
    const profile: StepProfile = {
      shards,
      splitMs: t1 - t0,
      roundTripMs: t2 - t1,
      workers: replies.map((r) => r.timing),
      computeMs,
      overheadMs: t2 - t1 - computeMs,
      averageMs: t3 - t2,
      applyMs: 0,
      broadcastMs: 0,
      totalMs: t3 - t0,
      workerTensors: replies.map((r) => r.numTensors),
      ...(kernels ? { kernels: replies.map((r) => r.kernels ?? {}) } : {}),
    };
    return { loss, grads: split(grads, trainableSizes), state: split(state, stateSizes), profile };
  }

  function broadcast(): void {
    const packed = readWeights();
    replicas.forEach((r, i) => (i === replicas.length - 1 ? r.post({ type: 'weights', weights: packed }, [packed.buffer as ArrayBuffer]) : r.post({ type: 'weights', weights: packed })));
  }

  /** Steps 3 and 4: apply on the reference model, send its weights out. */
  async function run(xs: Float32Array, ys: Float32Array, n: number, kernels: boolean): Promise<{ loss: number; profile: StepProfile }> {
    const { loss, grads, state, profile } = await compute(xs, ys, n, kernels);
    live();
    const t0 = performance.now();
    const named = trainable.map((w, i) => ({ name: w.name, tensor: tf.tensor(grads[i]!, w.shape as number[]) }));
    try {
      optimizer.applyGradients(named);
    } finally {
      tf.dispose(named.map((g) => g.tensor));
    }
    nonTrainable.forEach((w, i) => {
      const t = tf.tensor(state[i]!, w.shape as number[]);
      w.write(t);
      t.dispose();
    });
    const t1 = performance.now();
    broadcast();
    const t2 = performance.now();
    profile.applyMs = t1 - t0;
    profile.broadcastMs = t2 - t1;
    profile.totalMs += t2 - t0;
    lastProfile = profile;
    return { loss, profile };
  }

  return {
    workers: replicas.length,
    backend,
    model,
    optimizer,
    get lastProfile() {
      return lastProfile;
    },
    step: async (xs, ys, n) => (await run(xs, ys, n, false)).loss,
    profileStep: (xs, ys, n) => run(xs, ys, n, true),
    gradients: async (xs, ys, n) => {
      const { loss, grads, state } = await compute(xs, ys, n, false);
      // The workers' moving statistics moved with that forward pass: put the reference's back.
      if (nonTrainable.length > 0) broadcast();
      return { loss, grads, state };
    },
    getWeights: () => weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array)),
    replicaWeights: async () => {
      live();
      const replies = await Promise.all(replicas.map((r) => r.request({ type: 'getWeights' })));
      return replies.map((r) => split((r as { weights: Float32Array }).weights, weightSizes));
    },
    syncWeights: () => {
      live();
      broadcast();
    },
    alive: () => replicas.filter((r) => r.running).length,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const r of replicas) r.fail(new TrainingBackendError('the data-parallel trainer is closed', { stage: 'train' }));
      await Promise.all(replicas.map((r) => r.worker.terminate()));
      await Promise.all(replicas.map((r) => r.exited));
      dispose();
    },
  };
}
