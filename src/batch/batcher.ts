/**
 * Samples into batches of N: one Float32Array [N, H, W, C], labels, ids.
 * All samples of a batch must have the same shape (set preprocess.target).
 */
import { BatchShapeError } from '../errors.js';
import type { LabeledSample, SampleId } from '../pipeline/samples.js';
import type { LabelMap } from './labels.js';

export interface Batch {
  xs: Float32Array;
  shape: [number, number, number, number];
  /** Labels as numbers (NaN where a sample has none). */
  ys: Float32Array;
  ids: SampleId[];
}

export interface BatchOptions {
  batchSize: number;
  dropRemainder: boolean;
  labels: LabelMap;
}

export async function* batches(source: AsyncIterable<LabeledSample>, o: BatchOptions): AsyncGenerator<Batch> {
  let pending: LabeledSample[] = [];
  const emit = (group: LabeledSample[]): Batch => {
    const [h, w, c] = group[0]!.shape;
    const per = h * w * c;
    // Every element is written below: skip the zero-fill of a new Float32Array
    // (measurable on 2 cores, where the main thread competes with the decoders).
    const xs = new Float32Array(Buffer.allocUnsafeSlow(group.length * per * 4).buffer, 0, group.length * per);
    const ys = new Float32Array(group.length);
    group.forEach((s, i) => {
      // uint8 samples widen to float here; the batch tensor is always float32.
      xs.set(s.data, i * per);
      ys[i] = o.labels.toNumber(s.label);
    });
    return { xs, shape: [group.length, h, w, c], ys, ids: group.map((s) => s.id) };
  };
  for await (const s of source) {
    const first = pending[0];
    if (first && first.shape.join('x') !== s.shape.join('x')) {
      throw new BatchShapeError(
        `sample ${s.id.file} frame ${s.id.frame} is ${s.shape.join('x')} but the batch is ${first.shape.join('x')}: set preprocess.target to batch frames of different sizes`,
        { stage: 'batch', file: s.id.file, frame: s.id.frame },
      );
    }
    pending.push(s);
    if (pending.length === o.batchSize) {
      yield emit(pending);
      pending = [];
    }
  }
  if (pending.length > 0 && !o.dropRemainder) yield emit(pending);
}
