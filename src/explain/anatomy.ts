/**
 * What the saliency methods need to know about a model, found from its
 * graph once:
 * - the logit: the output before its sigmoid (gradients of a saturated
 *   probability vanish; the logit's do not);
 * - Grad-CAM's layer: the last layer with a spatial (4-D) output from which a
 *   single chain of layers leads to the output (the last convolution, or the
 *   ReLU after the last residual add), split into a head (input -> that
 *   layer) and a tail (that layer -> logit), because tfjs takes gradients
 *   with respect to a function's inputs, not intermediate tensors;
 * - SMOE's layers: the last layer of each spatial scale (each output size).
 * One multi-output model gives every SMOE layer's activations in one pass.
 */
import * as tf from '@tensorflow/tfjs';
import { ExplainError } from '../errors.js';

export interface ModelAnatomy {
  model: tf.LayersModel;
  /** Input size [height, width, channels]. */
  input: [number, number, number];
  /** Input -> the Grad-CAM layer's activations. */
  camHead: tf.LayersModel;
  /** One pass: input -> every SMOE layer's activations. */
  scalesHead: tf.LayersModel;
  camLayer: string;
  scaleLayers: string[];
  /** Whether each SMOE layer's output is non-negative by construction (after a ReLU); the others (a linear convolution) are rectified first. */
  scaleRectified: boolean[];
  /** logit(x) for a batch x, shape [N]. */
  logit(x: tf.Tensor4D): tf.Tensor1D;
  /** logit from the Grad-CAM layer's activations, shape [N]. */
  tail(a: tf.Tensor4D): tf.Tensor1D;
  dispose(): void;
}

type Layer = tf.layers.Layer;

function activationOf(l: Layer): string {
  const a = (l.getConfig() as { activation?: string }).activation;
  return a ?? 'linear';
}

function inbound(l: Layer): Layer[] {
  return (l.inboundNodes[0]?.inboundLayers ?? []) as Layer[];
}

/** The output layer's kernel and bias applied without its activation (sigmoid or linear only: binary models). */
function preActivation(l: Layer): (t: tf.Tensor) => tf.Tensor1D {
  const act = activationOf(l);
  if (l.getClassName() !== 'Dense' || !['sigmoid', 'linear'].includes(act)) {
    throw new ExplainError(`explain needs a model ending in a Dense layer with a sigmoid or linear output (binary scores); this one ends in ${l.getClassName()} (${act})`, { stage: 'train', field: l.name });
  }
  const [kernel, bias] = l.getWeights();
  if (!kernel || kernel.shape[1] !== 1) throw new ExplainError(`explain scores one output unit; ${l.name} has ${kernel?.shape[1] ?? 0}`, { stage: 'train', field: l.name });
  return (t) => {
    const z = tf.matMul(t as tf.Tensor2D, kernel as tf.Tensor2D);
    return (bias ? z.add(bias) : z).reshape([-1]) as tf.Tensor1D;
  };
}

/**
 * @example
 *   const a = anatomy(model);
 *   const scales = a.scalesHead.predict(x) as tf.Tensor4D[];
 */
export function anatomy(model: tf.LayersModel, o: { camLayer?: string | null } = {}): ModelAnatomy {
  const out = model.layers.at(-1)!;
  const final = preActivation(out);
  const shape = model.inputs[0]!.shape;
  if (shape.length !== 4) throw new ExplainError(`explain needs image inputs [height, width, channels]; the model takes ${JSON.stringify(shape.slice(1))}`, { stage: 'train' });
  const input = shape.slice(1) as [number, number, number];

  // Walk back from the output along single-input layers to the first spatial output.
  const chain: Layer[] = [];
  let cur: Layer = out;
  let cam: Layer | null = null;
  for (;;) {
    const prev = inbound(cur);
    if (prev.length !== 1) break;
    chain.unshift(cur);
    if (prev[0]!.outputShape.length === 4 && prev[0]!.getClassName() !== 'InputLayer' && (!o.camLayer || prev[0]!.name === o.camLayer)) {
      cam = prev[0]!;
      break;
    }
    cur = prev[0]!;
  }
  if (!cam) {
    const why = o.camLayer ? `layer "${o.camLayer}" is not a spatial layer with a single path to the output` : 'explain found no spatial layer with a single path to the output';
    throw new ExplainError(`${why} (Grad-CAM needs one; spatial layers: ${model.layers.filter((l) => (l.outputShape as number[]).length === 4).map((l) => l.name).join(', ')})`, { stage: 'train', field: 'camLayer' });
  }

  // SMOE: the last layer of each spatial size, in graph order.
  const spatial = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && (l.outputShape as number[]).length === 4);
  const scales: Layer[] = [];
  for (const [i, l] of spatial.entries()) {
    const next = spatial[i + 1];
    const size = (l.outputShape as number[]).slice(1, 3).join('x');
    if (!next || (next.outputShape as number[]).slice(1, 3).join('x') !== size) scales.push(l);
  }
  const rectified = scales.map((l) => l.getClassName() === 'ReLU' || activationOf(l) === 'relu');

  const camHead = tf.model({ inputs: model.inputs, outputs: cam.output as tf.SymbolicTensor });
  const scalesHead = tf.model({ inputs: model.inputs, outputs: scales.map((l) => l.output as tf.SymbolicTensor) });
  const beforeOut = tf.model({ inputs: model.inputs, outputs: inbound(out)[0]!.output as tf.SymbolicTensor });
  const tailLayers = chain.slice(0, -1);
  return {
    model,
    input,
    camHead,
    scalesHead,
    camLayer: cam.name,
    scaleLayers: scales.map((l) => l.name),
    scaleRectified: rectified,
    logit: (x) => final(beforeOut.apply(x) as tf.Tensor),
    tail: (a) => {
      let t: tf.Tensor = a;
      for (const l of tailLayers) t = l.apply(t) as tf.Tensor;
      return final(t);
    },
    // The sub-models share the model's layers and weights: nothing of their own to free.
    dispose: () => {},
  };
}
