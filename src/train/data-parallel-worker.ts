/**
 * One replica of the data-parallel trainer (data-parallel.ts), run in a
 * node:worker_threads Worker: its own tfjs, its own backend (wasm with
 * dicomflow's training kernels, or cpu) and its own copy of the model.
 *
 * The worker never applies an optimizer. Per step it receives a shard of
 * the batch, computes the loss and the gradients of the trainable weights
 * on it (tf.variableGrads, with the layers run in training mode, exactly as
 * LayersModel.trainOnBatch does), and sends back the gradients and the
 * values of the non-trainable weights (BatchNormalization's moving mean and
 * variance, which the forward pass updated) as packed Float32Arrays
 * (transferred, not copied). The main thread applies the averaged step and
 * sends every replica the same new weights.
 *
 * Messages in (in order, on one port, so a `weights` message always lands
 * before the next `step`):
 *   { type: 'step', id, xs, ys, n, units, kernels? } -> { id, ok, loss, grads, state, timing, kernels? }
 *   { type: 'weights', weights }                     -> nothing (an error is reported as { id: -1, ok: false })
 *   { type: 'getWeights', id }                       -> { id, ok, weights }
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend.js';

export interface WorkerInit {
  /** model.toJSON(null, false) of the main thread's model. */
  topology: object;
  /** All weights, in model.weights order, packed. */
  weights: Float32Array;
  /** model.weights shapes, to check the rebuilt model has the same layout. */
  shapes: number[][];
  loss: string;
  backend: 'wasm' | 'cpu';
}

export interface StepRequest {
  type: 'step';
  id: number;
  xs: Float32Array;
  ys: Float32Array;
  n: number;
  units: number;
  /** Run the step under tf.profile and return the time per kernel name. */
  kernels?: boolean;
}

export interface WorkerTiming {
  /** From the start of the step to the end of the forward pass (loss computed). */
  forwardMs: number;
  /** The backward pass (the rest of tf.variableGrads). */
  backwardMs: number;
  /** Reading the gradients and state out of the backend into the packed arrays. */
  packMs: number;
  /** Setting the weights the main thread sent before this step. */
  setWeightsMs: number;
}

export interface StepReply {
  id: number;
  ok: true;
  loss: number;
  /** The trainable weights' gradients, in model.trainableWeights order, packed. */
  grads: Float32Array;
  /** The non-trainable weights after the forward pass, in model.nonTrainableWeights order, packed. */
  state: Float32Array;
  timing: WorkerTiming;
  /** Milliseconds per kernel name, when the step ran under tf.profile. */
  kernels?: Record<string, number>;
  /** tf.memory().numTensors in the worker after the step (constant from step to step: no leak). */
  numTensors: number;
}

export type WorkerReply =
  | { id: 0; ok: true; ready: true; backend: string }
  | StepReply
  | { id: number; ok: true; weights: Float32Array }
  | { id: number; ok: false; message: string };

function pack(tensors: tf.Tensor[]): Float32Array {
  const out = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, at);
    at += t.size;
  }
  return out;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('data-parallel-worker runs in a worker thread');
  const init = workerData as WorkerInit;
  await selectBackend(init.backend);
  const loaded = await tf.models.modelFromJSON({ modelTopology: init.topology } as tf.io.ModelJSON);
  // A Sequential compiles (and trains) an inner LayersModel; a functional view of the same
  // layers gives the loss function directly. compile() only picks the very loss function
  // trainOnBatch would use; this optimizer is never stepped.
  const model = tf.model({ inputs: loaded.inputs, outputs: loaded.outputs });
  model.compile({ optimizer: 'sgd', loss: init.loss });
  const lossFn = model.lossFunctions[0];
  if (!lossFn) throw new Error(`no loss function for "${init.loss}"`);
  const shapes = model.weights.map((w) => w.shape as number[]);
  if (JSON.stringify(shapes) !== JSON.stringify(init.shapes)) throw new Error(`the rebuilt model's weights ${JSON.stringify(shapes)} differ from the main thread's ${JSON.stringify(init.shapes)}`);
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  let setWeightsMs = 0;
  const setWeights = (packed: Float32Array) => {
    const t0 = performance.now();
    let at = 0;
    const ts = shapes.map((s) => {
      const size = s.reduce((a, b) => a * b, 1);
      const t = tf.tensor(packed.subarray(at, at + size), s);
      at += size;
      return t;
    });
    if (at !== packed.length) throw new Error(`weights: ${packed.length} values for a model of ${at}`);
    model.setWeights(ts);
    tf.dispose(ts);
    setWeightsMs += performance.now() - t0;
  };
  setWeights(init.weights);
  setWeightsMs = 0;
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const nonTrainable = model.nonTrainableWeights.map((w) => w.read());

  const step = (m: StepRequest): StepReply => {
    const t0 = performance.now();
    let t1 = t0;
    const { value, grads } = tf.tidy(() => {
      const xs = tf.tensor(m.xs, [m.n, ...inputShape]);
      const ys = tf.tensor2d(m.ys, [m.n, m.units]);
      return tf.variableGrads(() => {
        // What LayersModel.trainOnBatch minimises: the mean loss plus any regulariser penalties.
        const pred = model.apply(xs, { training: true }) as tf.Tensor;
        let total = tf.mean(lossFn(ys, pred)) as tf.Scalar;
        for (const r of model.calculateLosses()) total = tf.add(total, r);
        t1 = performance.now(); // wasm and cpu run kernels synchronously: the forward pass is done
        return total;
      }, trainable);
    });
    const t2 = performance.now();
    const g = trainable.map((v) => grads[v.name]!);
    const reply: StepReply = {
      id: m.id,
      ok: true,
      loss: value.dataSync()[0]!,
      grads: pack(g),
      state: pack(nonTrainable),
      timing: { forwardMs: t1 - t0, backwardMs: t2 - t1, packMs: performance.now() - t2, setWeightsMs },
      numTensors: 0,
    };
    setWeightsMs = 0;
    tf.dispose([value, ...g]);
    reply.numTensors = tf.memory().numTensors;
    return reply;
  };

  port.on('message', (m: StepRequest | { type: 'weights'; weights: Float32Array } | { type: 'getWeights'; id: number }) => {
    const id = 'id' in m ? m.id : -1;
    void (async () => {
      try {
        if (m.type === 'weights') return setWeights(m.weights);
        if (m.type === 'getWeights') {
          const weights = pack(model.weights.map((w) => w.read()));
          return port.postMessage({ id, ok: true, weights } satisfies WorkerReply, [weights.buffer as ArrayBuffer]);
        }
        const box: { reply?: StepReply } = {};
        if (m.kernels) {
          const info = await tf.profile(() => {
            box.reply = step(m);
            return [];
          });
          const kernels: Record<string, number> = {};
          for (const k of info.kernels) kernels[k.name] = (kernels[k.name] ?? 0) + (k.kernelTimeMs as number);
          box.reply!.kernels = kernels;
        } else {
          box.reply = step(m);
        }
        const reply = box.reply!;
        port.postMessage(reply, [reply.grads.buffer as ArrayBuffer, reply.state.buffer as ArrayBuffer]);
      } catch (err) {
        port.postMessage({ id, ok: false, message: (err as Error).stack ?? String(err) } satisfies WorkerReply);
      }
    })();
  });
  port.postMessage({ id: 0, ok: true, ready: true, backend: tf.getBackend() } satisfies WorkerReply);
}

main().catch((err) => {
  parentPort?.postMessage({ id: 0, ok: false, message: (err as Error).stack ?? String(err) } satisfies WorkerReply);
});
