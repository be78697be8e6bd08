/**
 * What one frame becomes in a dataset: a key that is unique, stable and has
 * no '.' (WebDataset splits a member name at its first dot), the sample as
 * NumPy bytes, and the few ids that may travel with pixels. Never the
 * PatientID, names or institution attributes: `group` is a keyed hash.
 */
import { npyBytes } from '../cli/npy.js';
import type { LabeledSample } from '../pipeline/samples.js';
import { groupId } from './group.js';

export interface SampleMeta {
  key: string;
  file: string;
  frame: number;
  sopInstanceUid: string | null;
  seriesInstanceUid: string | null;
  studyInstanceUid: string | null;
  label: string | null;
  group: string | null;
}

export interface DatasetRecord {
  meta: SampleMeta;
  /** The sample as a .npy file ([H, W, C], the configured dtype). */
  npy: Uint8Array;
  data: Float32Array | Uint8Array;
  shape: [number, number, number];
  dtype: 'float32' | 'uint8';
}

/** `s000003_f000012_000001`: shard, file's place in the shard, frame. */
export function sampleKey(shard: number, fileInShard: number, frame: number): string {
  return `s${String(shard).padStart(6, '0')}_f${String(fileInShard).padStart(6, '0')}_${String(frame).padStart(6, '0')}`;
}

export function datasetRecord(s: LabeledSample, key: string): DatasetRecord {
  const meta: SampleMeta = {
    key,
    file: s.id.file,
    frame: s.id.frame,
    sopInstanceUid: s.id.sopInstanceUid,
    seriesInstanceUid: s.id.seriesInstanceUid,
    studyInstanceUid: s.id.studyInstanceUid,
    label: s.label ?? null,
    group: groupId(s.id.patientId),
  };
  return { meta, npy: npyBytes(s.data, s.shape), data: s.data, shape: s.shape, dtype: s.data instanceof Uint8Array ? 'uint8' : 'float32' };
}
