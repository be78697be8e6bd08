/**
 * Saliency maps for a batch, as tensors [N, height, width] at the model's
 * input size, non-negative and min-max scaled to [0, 1] per image:
 * - gradient: |d logit / d input|, the largest over channels (Simonyan et al.);
 * - smoothgrad: the mean of that over `samples` copies of the input with
 *   seeded gaussian noise of `noise` x the image's value range (Smilkov et al.);
 * - integrated-gradients: |(x - baseline) x the mean gradient along the
 *   straight path from the baseline|, `steps` right Riemann steps, summed
 *   over channels (Sundararajan et al.);
 * - gradcam: ReLU(sum_k alpha_k A_k), alpha_k the spatial mean of
 *   d logit / d A_k, A the last spatial layer (Selvaraju et al.), upsampled;
 * - smoe: SMOE scale at the last layer of every spatial scale, one forward
 *   pass and no gradient: m (log2 m - mean_k log2 x_k), x the rectified
 *   activations + epsilon, m their mean over channels; each map z-scored and
 *   put through the normal CDF, upsampled, and the scales averaged
 *   (Mundhenk et al., arXiv 1911.11293);
 * - fastcam: smoe x gradcam (both scaled), scaled again.
 * The score explained is the logit (the output before its sigmoid).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelAnatomy } from './anatomy.js';

export const METHODS = ['gradient', 'smoothgrad', 'integrated-gradients', 'gradcam', 'smoe', 'fastcam'] as const;
export type Method = (typeof METHODS)[number];

/**
 * The methods run when none are named (explain without --method, and
 * train.explainEvery): those whose maps change when the model's weights are
 * randomised (Spearman below 0.5 on the sample task, measured by
 * bench/explain.mjs; see the README's table).
 */
export const DEFAULT_METHODS: readonly Method[] = ['gradcam', 'fastcam'];

export interface MethodOptions {
  smoothgrad: { samples: number; noise: number; seed: number };
  integratedGradients: { steps: number; baseline: number };
  /** Added to the rectified activations before SMOE's logarithms. */
  smoeEpsilon: number;
}

export const DEFAULT_METHOD_OPTIONS: Readonly<MethodOptions> = Object.freeze({
  smoothgrad: { samples: 25, noise: 0.15, seed: 1 },
  integratedGradients: { steps: 32, baseline: 0 },
  smoeEpsilon: 1e-7,
});

/** Per image: (m - min) / (max - min), zeros where the map is flat. */
export function minMaxScale(m: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const lo = m.min([1, 2], true);
    const range = m.max([1, 2], true).sub(lo);
    const safe = tf.where(range.greater(0), range, tf.onesLike(range));
    return tf.where(range.greater(0), m.sub(lo).div(safe), tf.zerosLike(m)) as tf.Tensor3D;
  });
}

/** The signed gradient of each image's logit with respect to its input, [N, h, w, c]. */
export function inputGradient(a: ModelAnatomy, x: tf.Tensor4D): tf.Tensor4D {
  return tf.grad((v: tf.Tensor) => a.logit(v as tf.Tensor4D).sum())(x) as tf.Tensor4D;
}

function gradientMap(a: ModelAnatomy, x: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => minMaxScale(inputGradient(a, x).abs().max(-1) as tf.Tensor3D));
}

function smoothGrad(a: ModelAnatomy, x: tf.Tensor4D, o: MethodOptions['smoothgrad']): tf.Tensor3D {
  return tf.tidy(() => {
    const sigma = x.max([1, 2, 3], true).sub(x.min([1, 2, 3], true)).mul(o.noise);
    let sum: tf.Tensor = tf.zeros(x.shape.slice(0, 3));
    for (let s = 0; s < o.samples; s++) {
      const next = tf.tidy(() => {
        const noisy = x.add(tf.randomNormal(x.shape, 0, 1, 'float32', o.seed * 1000 + s).mul(sigma)) as tf.Tensor4D;
        return sum.add(inputGradient(a, noisy).abs().max(-1));
      });
      sum.dispose();
      sum = next;
    }
    return minMaxScale(sum.div(o.samples) as tf.Tensor3D);
  });
}

function integratedGradients(a: ModelAnatomy, x: tf.Tensor4D, o: MethodOptions['integratedGradients']): tf.Tensor3D {
  return tf.tidy(() => {
    const base = tf.fill(x.shape, o.baseline);
    const delta = x.sub(base);
    let sum: tf.Tensor = tf.zerosLike(x);
    for (let k = 1; k <= o.steps; k++) {
      const next = tf.tidy(() => sum.add(inputGradient(a, base.add(delta.mul(k / o.steps)) as tf.Tensor4D)));
      sum.dispose();
      sum = next;
    }
    return minMaxScale(delta.mul(sum.div(o.steps)).abs().sum(-1) as tf.Tensor3D);
  });
}

function upsample(m: tf.Tensor3D, h: number, w: number): tf.Tensor3D {
  if (m.shape[1] === h && m.shape[2] === w) return m.clone();
  return tf.tidy(() => tf.image.resizeBilinear(m.expandDims(-1) as tf.Tensor4D, [h, w], false, true).squeeze([3]) as tf.Tensor3D);
}

/** Grad-CAM before upsampling and scaling: ReLU(sum_k alpha_k A_k), [N, h', w']. */
export function gradCamRaw(a: ModelAnatomy, x: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const act = a.camHead.apply(x) as tf.Tensor4D;
    const g = tf.grad((v: tf.Tensor) => a.tail(v as tf.Tensor4D).sum())(act);
    const alpha = g.mean([1, 2], true);
    return tf.relu(act.mul(alpha).sum(-1)) as tf.Tensor3D;
  });
}

function gradCam(a: ModelAnatomy, x: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => minMaxScale(upsample(gradCamRaw(a, x), a.input[0], a.input[1])));
}

/** SMOE scale of one layer's activations [N, h, w, K]: m (log2 m - mean_k log2 x_k), x = ReLU(act) + epsilon. */
export function smoeScale(act: tf.Tensor4D, epsilon: number): tf.Tensor3D {
  return tf.tidy(() => {
    const x = tf.relu(act).add(epsilon);
    const m = x.mean(-1);
    const meanLog = tf.log(x).mean(-1);
    return m.mul(tf.log(m).sub(meanLog)).div(Math.LN2) as tf.Tensor3D;
  });
}

/** Per image: the normal CDF of the z-scored map (SMOE's default normalisation). A flat map gives 0.5. */
export function cdfNormalise(m: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const mean = m.mean([1, 2], true);
    const sd = m.sub(mean).square().mean([1, 2], true).sqrt();
    const z = m.sub(mean).div(sd.maximum(1e-12));
    return tf.erf(z.div(Math.SQRT2)).add(1).mul(0.5) as tf.Tensor3D;
  });
}

function smoe(a: ModelAnatomy, x: tf.Tensor4D, epsilon: number): tf.Tensor3D {
  return tf.tidy(() => {
    const out = a.scalesHead.apply(x);
    const acts = (Array.isArray(out) ? out : [out]) as tf.Tensor4D[];
    const maps = acts.map((act) => upsample(cdfNormalise(smoeScale(act, epsilon)), a.input[0], a.input[1]));
    return minMaxScale(tf.addN(maps).div(maps.length) as tf.Tensor3D);
  });
}

/**
 * One method's maps for a batch.
 *
 * @example const maps = saliency(anatomy(model), xs, 'smoe'); // [N, h, w] in [0, 1]
 */
export function saliency(a: ModelAnatomy, x: tf.Tensor4D, method: Method, o: MethodOptions = DEFAULT_METHOD_OPTIONS): tf.Tensor3D {
  switch (method) {
    case 'gradient':
      return gradientMap(a, x);
    case 'smoothgrad':
      return smoothGrad(a, x, o.smoothgrad);
    case 'integrated-gradients':
      return integratedGradients(a, x, o.integratedGradients);
    case 'gradcam':
      return gradCam(a, x);
    case 'smoe':
      return smoe(a, x, o.smoeEpsilon);
    case 'fastcam':
      return tf.tidy(() => minMaxScale(smoe(a, x, o.smoeEpsilon).mul(gradCam(a, x)) as tf.Tensor3D));
  }
}
