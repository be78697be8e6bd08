/**
 * One decoded frame to one model-ready sample.
 *
 * Order, and why:
 * 1. color -> RGB (color frames) or modality LUT (grayscale, when
 *    spec.modalityLut): everything after works on linear physical values
 *    (HU for CT); the modality LUT is undefined for color (PS3.3 C.11.1).
 * 2. resize: area averaging of linear modality values is physically
 *    meaningful (the mean HU of the area), which it is not after a clipping
 *    window; and the steps after run on the smaller image. With 'pad' the
 *    image is resized to its fitted size here and padded last.
 * 3. VOI to [0, 1] (color too: window or statistics over all channels).
 * 4. MONOCHROME1 inversion (file photometric, spec.invertMonochrome1): after
 *    VOI, where it is 1 - x, which holds for any window.
 * 5. channels (luma or replication): after VOI so a window is applied to the
 *    RGB values, not to a luma mixture; replication last copies least.
 * 6. pad: last, so the padding never enters minmax/percentile statistics and
 *    padValue is in the units of the float output (after VOI and inversion).
 * 7. output: float32, or uint8 = round(clamp(x, 0, 1) * 255).
 *
 * Steps 1 and 2 are one pass (fused.ts) for a grayscale frame that shrinks,
 * with bit-identical results.
 *
 * Memory: every step allocates at most one output buffer, and VOI and
 * inversion run in place on the buffer the previous step made here.
 */
import type { PixelDescription } from '../dicom/description.js';
import { toChannels } from './channels.js';
import { toRgb } from './color.js';
import { fusedSize, grayShrink } from './fused.js';
import { invert } from './invert.js';
import { grayToFloat, IDENTITY_RESCALE, modalityRange, rescaleFor } from './modality.js';
import { fitInside, pad, resize } from './resize.js';
import { validateSpec } from './spec.js';
import type { DecodedFrame, FloatImage, PreprocessSpec, Sample } from './types.js';
import { applyVoi } from './voi.js';

export { storedRange } from './modality.js';

/**
 * Runs the spec on one frame; shape of the result is [height, width, channels].
 * Throws ConfigError for an invalid spec, UnsupportedPixelFormatError for
 * PALETTE COLOR or an unknown color model.
 *
 * @example
 *   const sample = preprocess(frame, description, {
 *     target: { height: 256, width: 256 }, resize: 'pad', padValue: 0, channels: 1,
 *     modalityLut: true, voi: { mode: 'preset', name: 'lung' }, invertMonochrome1: true, output: 'float32',
 *   }, 0);
 *   sample.shape // [256, 256, 1]
 */
export function preprocess(frame: DecodedFrame, d: PixelDescription, spec: PreprocessSpec, frameIndex: number): Sample {
  validateSpec(spec);
  const gray = frame.photometricInterpretation === 'MONOCHROME1' || frame.photometricInterpretation === 'MONOCHROME2';
  const rescale = gray && spec.modalityLut ? rescaleFor(d, frameIndex) : IDENTITY_RESCALE;
  // Steps 1 and 2 in one pass when a grayscale frame shrinks: the same numbers (see fused.ts), without
  // the full-size float image. Everywhere else they run one after the other.
  const shrunk = gray ? fusedSize(frame, spec) : null;
  let img: FloatImage;
  let target: { height: number; width: number };
  if (shrunk !== null) {
    img = grayShrink(frame, rescale, shrunk.height, shrunk.width);
    target = spec.target ?? shrunk; // never null here: fusedSize needs a target
  } else {
    img = gray ? grayToFloat(frame, rescale, frameIndex) : toRgb(frame, d.bitsStored, frameIndex);
    target = spec.target ?? { height: img.height, width: img.width };
    const fitted = spec.resize === 'pad' ? fitInside(img.height, img.width, target.height, target.width) : target;
    img = resize(img, fitted.height, fitted.width);
  }

  // In place: every buffer from here on was allocated above, never the caller's.
  img = applyVoi(img, spec.voi, d, img.data);
  if (spec.invertMonochrome1 && gray && d.photometricInterpretation === 'MONOCHROME1') {
    // Without a VOI there is no [0, 1]: reflect within what the modality LUT can produce from the
    // stored range, so one stored value inverts to the same number in every frame of a series.
    const r = spec.voi.mode === 'none' ? modalityRange(d, rescale) : { min: 0, max: 1 };
    img = invert(img, r.min, r.max, img.data);
  }
  img = toChannels(img, spec.channels);
  img = pad(img, target.height, target.width, spec.padValue);

  return { data: spec.output === 'uint8' ? toUint8(img.data) : img.data, shape: [img.height, img.width, img.channels] };
}

function toUint8(src: Float32Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    // NaN compares false both ways and ends as 0 in the Uint8Array.
    out[i] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
  }
  return out;
}
