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
    const frame = await codec.decode(task.bytes, d, { atLeast, partial: task.partial ?? 'error' });
    const t1 = performance.now();
    const sample = preprocess(frame, d, spec, frameIndex);
    const t2 = performance.now();
    const out: DecodeOutcome = { ok: true, data: sample.data, shape: sample.shape, decodeMs: t1 - t0, preprocessMs: t2 - t1, decodedWidth: frame.width, decodedHeight: frame.height };
    if (frame.warnings) out.warnings = frame.warnings;
    return out;
  } catch (err) {
    return { ok: false, error: toDicomflowError(err, { stage: 'decode', file, frame: frameIndex }).toJSON() };
  }
}
