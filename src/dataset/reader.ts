/**
 * Reading a dicomflow dataset back: the samples of its shards, in shard
 * order (or a seeded shuffle of it), with no decoding. WebDataset shards are
 * read with tar-stream, TFRecord shards with the same framing and Example
 * schema that wrote them; every TFRecord CRC is checked.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { DatasetError } from '../errors.js';
import type { LabeledSample } from '../pipeline/samples.js';
import { createRandom } from '../synth/random.js';
import type { SampleMeta } from './sample-record.js';
import { decodeExample, readRecords } from './tfrecord.js';

export interface DatasetIndex {
  format: 'webdataset' | 'tfrecord';
  version: number;
  samples: number;
  shards: { name: string; samples: number; bytes: number; sha256: string }[];
  preprocess: Record<string, unknown>;
  labels?: string[];
}

/** A sample from a dataset, with its grouping id (the keyed hash of its PatientID). */
export type DatasetSample = LabeledSample & { group: string | null };

export function readIndex(dir: string): DatasetIndex {
  try {
    return JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8')) as DatasetIndex;
  } catch (err) {
    throw new DatasetError(`${dir} is not a dicomflow dataset (no readable dataset.json): ${(err as Error).message}`, { stage: 'dataset', file: dir }, { cause: err });
  }
}

/** The .npy bytes as a typed array and shape (the formats the writer uses: '<f4' and '|u1'). */
export function parseNpy(b: Uint8Array, where: string): { data: Float32Array | Uint8Array; shape: [number, number, number] } {
  const bad = (why: string) => new DatasetError(`${where}: not a sample .npy: ${why}`, { stage: 'dataset', file: where });
  if (b[0] !== 0x93 || String.fromCharCode(...b.subarray(1, 6)) !== 'NUMPY') throw bad('no NumPy magic');
  const headerLength = b[8]! | (b[9]! << 8);
  const header = new TextDecoder().decode(b.subarray(10, 10 + headerLength));
  const descr = /'descr': '([^']+)'/.exec(header)?.[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)?.[1]?.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  if (!shape || shape.length !== 3) throw bad(`shape ${shape?.join('x') ?? '?'} is not [H, W, C]`);
  // A copy aligned at 0: `b` may be a Buffer, whose slice() is a view into a larger buffer.
  const body = new Uint8Array(b.subarray(10 + headerLength));
  const n = shape[0]! * shape[1]! * shape[2]!;
  if (descr === '<f4' && body.length === n * 4) return { data: new Float32Array(body.buffer, 0, n), shape: shape as [number, number, number] };
  if (descr === '|u1' && body.length === n) return { data: body, shape: shape as [number, number, number] };
  throw bad(`dtype ${descr} with ${body.length} bytes for shape ${shape.join('x')}`);
}

function sample(meta: SampleMeta, data: Float32Array | Uint8Array, shape: [number, number, number]): DatasetSample {
  return {
    data,
    shape,
    label: meta.label ?? undefined,
    split: undefined,
    id: { file: meta.file, frame: meta.frame, sopInstanceUid: meta.sopInstanceUid, seriesInstanceUid: meta.seriesInstanceUid, studyInstanceUid: meta.studyInstanceUid, patientId: null },
    decodeMs: 0,
    preprocessMs: 0,
    group: meta.group,
  };
}

async function* webDatasetShard(path: string): AsyncGenerator<DatasetSample> {
  const tar = extract();
  createReadStream(path).pipe(tar);
  let key: string | null = null;
  let parts: Record<string, Uint8Array> = {};
  const flush = function* () {
    if (key === null) return;
    if (!parts.json || !parts.npy) throw new DatasetError(`${path}: sample ${key} lacks its .json or .npy member`, { stage: 'dataset', file: path });
    const meta = JSON.parse(new TextDecoder().decode(parts.json)) as SampleMeta;
    const { data, shape } = parseNpy(parts.npy, `${path} ${key}`);
    yield sample(meta, data, shape);
  };
  for await (const entry of tar) {
    const name = entry.header.name;
    const dot = name.indexOf('.');
    const k = name.slice(0, dot);
    const chunks: Uint8Array[] = [];
    for await (const c of entry) chunks.push(c as Uint8Array);
    if (k !== key) {
      yield* flush();
      key = k;
      parts = {};
    }
    parts[name.slice(dot + 1)] = Buffer.concat(chunks);
  }
  yield* flush();
}

async function* tfRecordShard(path: string): AsyncGenerator<DatasetSample> {
  for (const record of readRecords(readFileSync(path), path)) {
    const e = decodeExample(record);
    const shape = e.shape as [number, number, number];
    const raw = new Uint8Array(e.image); // a copy aligned at 0 (protobufjs gives Buffers in Node)
    const data = e.dtype === 'uint8' ? raw : new Float32Array(raw.buffer, 0, raw.length / 4);
    yield sample({ key: e.key, file: e.file, frame: e.frame, sopInstanceUid: e.sopInstanceUid || null, seriesInstanceUid: null, studyInstanceUid: null, label: e.label === '' ? null : e.label, group: e.group || null }, data, shape);
  }
}

/**
 * Every sample of the dataset. `seed` shuffles the order of the shards (the
 * pipeline's shuffle buffer then mixes samples across them); null keeps it.
 *
 * @example for await (const s of datasetSamples('ds', null)) console.log(s.id.file, s.id.frame, s.group);
 */
export async function* datasetSamples(dir: string, seed: number | null): AsyncGenerator<DatasetSample> {
  const index = readIndex(dir);
  const order = index.shards.map((s) => s.name);
  if (seed !== null) {
    const rng = createRandom(seed);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  for (const name of order) yield* index.format === 'webdataset' ? webDatasetShard(join(dir, name)) : tfRecordShard(join(dir, name));
}
