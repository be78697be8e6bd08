/**
 * One frame, encoded bytes to preprocessed sample: the work a decode worker
 * does, as a plain function (the worker wraps it; tests and benchmarks call
 * it on the main thread too).
 */
import { codecFor, type Codec } from '../codecs/index.js';
import { UnsupportedTransferSyntaxError, toDicomflowError } from '../errors.js';
import type { PixelDescription } from '../dicom/description.js';
import { preprocess } from '../preprocess/pipeline.js';
import { fitInside } from '../preprocess/resize.js';
import type { PreprocessSpec } from '../preprocess/types.js';
import type { DecodeOutcome, DecodeTask } from './task.js';
import { blankFrame, boxInPixels, fillFromSurround, maskSample, type Box, type FrameMask } from '../preprocess/mask.js';
import type { DecodedFrame } from '../preprocess/types.js';

/** The mask's fixed boxes scaled to the decoded frame, and with `text` the boxes OCR finds in it (2 pixels wider). */
async function frameBoxes(m: FrameMask, frame: DecodedFrame, d: PixelDescription): Promise<{ boxes: Box[]; text: Box[] }> {
  const sy = frame.height / d.rows;
  const sx = frame.width / d.columns;
  const boxes = m.boxes.map((b) => boxInPixels(b.every((v) => v <= 1) ? b : [b[0] * sy, b[1] * sx, b[2] * sy, b[3] * sx], frame.height, frame.width));
  const text: Box[] = [];
  if (m.text) {
    const { findText } = await import('../preprocess/mask-text.js');
    for (const b of await findText(frame)) text.push(boxInPixels([b[0] - 2, b[1] - 2, b[2] + 2, b[3] + 2], frame.height, frame.width));
  }
  return { boxes, text };
}

/**
 * The smallest decoded size that loses nothing the output keeps: the target
 * itself, or with 'pad' the size the image is fitted to inside it.
 */
export function resolutionNeeded(d: Pick<PixelDescription, 'rows' | 'columns'>, spec: Pick<PreprocessSpec, 'target' | 'resize'>): { width: number; height: number } | null {
  if (!spec.target) return null;
  if (spec.resize === 'stretch') return { width: spec.target.width, height: spec.target.height };
  const p = fitInside(d.rows, d.columns, spec.target.height, spec.target.width);
  return { width: p.width, height: p.height };
}

/** Decodes and preprocesses one frame; `codec` replaces the registered one (fuzzing's fresh decoders). */
export async function decodeFrame(task: DecodeTask, codecOverride?: Codec): Promise<DecodeOutcome> {
  const { description: d, spec, frameIndex, file } = task;
  try {
    const codec = codecOverride ?? codecFor(d.transferSyntax);
    if (!codec) throw new UnsupportedTransferSyntaxError(`no codec for ${d.transferSyntaxName} (${d.transferSyntax})`, { stage: 'decode' });
    const t0 = performance.now();
    const atLeast = task.subResolution ? resolutionNeeded(d, spec) : null;
    const options = { atLeast, partial: task.partial ?? 'error', ...(task.prefixLevel !== undefined ? { prefixLevel: task.prefixLevel } : {}), ...(task.prefixDamage ? { prefixDamage: task.prefixDamage } : {}) } as const;
    let t1 = 0;
    // Only the frame's size and warnings outlive this block: its pixels may be a view of the WASM heap.
    let frame: Pick<DecodedFrame, 'width' | 'height' | 'warnings'>;
    let sample: ReturnType<typeof preprocess>;
    if (!task.mask && codec.decodeWith) {
      // Preprocessed straight from the codec's memory: a 2048x2048 16-bit frame is not copied out
      // of the WASM heap (8 MiB allocated, written and collected per frame) only to be read once.
      [frame, sample] = await codec.decodeWith(task.bytes, d, options, (f) => {
        t1 = performance.now();
        return [{ width: f.width, height: f.height, ...(f.warnings ? { warnings: f.warnings } : {}) }, preprocess(f, d, spec, frameIndex)] as const;
      });
    } else {
      // Masks write into the frame and OCR is asynchronous: they need a frame of its own.
      const whole = await codec.decode(task.bytes, d, options);
      t1 = performance.now();
      // Masked regions, in the decoded frame's pixels (smaller than the file's after sub-resolution decoding).
      const { boxes, text } = task.mask ? await frameBoxes(task.mask, whole, d) : { boxes: [], text: [] };
      if (boxes.length) blankFrame(whole, boxes);
      if (text.length) fillFromSurround(whole, text);
      sample = preprocess(whole, d, spec, frameIndex);
      if (boxes.length) maskSample(sample, boxes, whole.height, whole.width, spec);
      frame = whole;
    }
    const t2 = performance.now();
    const out: DecodeOutcome = { ok: true, data: sample.data, shape: sample.shape, decodeMs: t1 - t0, preprocessMs: t2 - t1, decodedWidth: frame.width, decodedHeight: frame.height };
    if (frame.warnings) out.warnings = frame.warnings;
    return out;
  } catch (err) {
    return { ok: false, error: toDicomflowError(err, { stage: 'decode', file, frame: frameIndex }).toJSON() };
  }
}
