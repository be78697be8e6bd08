/**
 * TFRecord shards, as TensorFlow's TFRecordDataset reads them: each record is
 * `uint64 length, uint32 masked CRC-32C of the length, data, uint32 masked
 * CRC-32C of the data` (little endian), and the data a `tf.train.Example`.
 * protobufjs encodes the Example (from its schema, below) and
 * @aws-crypto/crc32c computes the checksums: maintained libraries rather than
 * hand-written copies. Features are added in a fixed order, so equal inputs
 * give byte-identical shards.
 */
import { crc32c } from '@aws-crypto/crc32c';
import protobuf from 'protobufjs';
import type { DatasetRecord } from './sample-record.js';
import type { ShardFile } from './shard-file.js';
import type { ShardWriter } from './webdataset.js';
import { DatasetError } from '../errors.js';

// tensorflow/core/example/example.proto and feature.proto, the parts used.
const root = protobuf.Root.fromJSON({
  nested: {
    BytesList: { fields: { value: { rule: 'repeated', type: 'bytes', id: 1 } } },
    FloatList: { fields: { value: { rule: 'repeated', type: 'float', id: 1, options: { packed: true } } } },
    Int64List: { fields: { value: { rule: 'repeated', type: 'int64', id: 1, options: { packed: true } } } },
    Feature: {
      oneofs: { kind: { oneof: ['bytesList', 'floatList', 'int64List'] } },
      fields: { bytesList: { type: 'BytesList', id: 1 }, floatList: { type: 'FloatList', id: 2 }, int64List: { type: 'Int64List', id: 3 } },
    },
    Features: { fields: { feature: { keyType: 'string', type: 'Feature', id: 1 } as protobuf.IField } },
    Example: { fields: { features: { type: 'Features', id: 1 } } },
  },
});
const Example = root.lookupType('Example');

/** TFRecord's checksum: CRC-32C, rotated right by 15 bits, plus a constant (tensorflow/core/lib/hash/crc32c.h). */
export function maskedCrc32c(b: Uint8Array): number {
  const c = crc32c(b) >>> 0;
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** One record's framing around `data`. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

const bytes = (v: Uint8Array | string) => ({ bytesList: { value: [typeof v === 'string' ? new TextEncoder().encode(v) : v] } });
const ints = (v: number[]) => ({ int64List: { value: v } });

/** The sample as a tf.train.Example: image (raw little-endian values), shape, dtype and the ids. */
export function exampleBytes(r: DatasetRecord): Uint8Array {
  const m = r.meta;
  const feature: Record<string, unknown> = {
    image: bytes(new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)),
    shape: ints(r.shape),
    dtype: bytes(r.dtype),
    label: bytes(m.label ?? ''),
    key: bytes(m.key),
    file: bytes(m.file),
    frame: ints([m.frame]),
    sop_instance_uid: bytes(m.sopInstanceUid ?? ''),
    group: bytes(m.group ?? ''),
  };
  return Example.encode(Example.fromObject({ features: { feature } })).finish();
}

export function tfRecordWriter(file: ShardFile): ShardWriter {
  return {
    add: (r) => file.write(frameRecord(exampleBytes(r))),
    finish: async () => {},
  };
}

/** The records of a TFRecord file; a CRC that does not match is a DatasetError naming the byte. */
export function* readRecords(b: Uint8Array, where: string): Generator<Uint8Array> {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  for (let at = 0; at < b.length; ) {
    if (at + 12 > b.length) throw new DatasetError(`${where}: record header cut short at byte ${at}`, { stage: 'dataset', file: where, offset: at });
    const n = Number(dv.getBigUint64(at, true));
    if (dv.getUint32(at + 8, true) !== maskedCrc32c(b.subarray(at, at + 8))) throw new DatasetError(`${where}: length CRC mismatch at byte ${at}`, { stage: 'dataset', file: where, offset: at });
    if (at + 16 + n > b.length) throw new DatasetError(`${where}: record at byte ${at} is cut short`, { stage: 'dataset', file: where, offset: at });
    const data = b.subarray(at + 12, at + 12 + n);
    if (dv.getUint32(at + 12 + n, true) !== maskedCrc32c(data)) throw new DatasetError(`${where}: data CRC mismatch at byte ${at}`, { stage: 'dataset', file: where, offset: at });
    yield data;
    at += 16 + n;
  }
}

export interface DecodedExample {
  image: Uint8Array;
  shape: number[];
  dtype: string;
  label: string;
  key: string;
  file: string;
  frame: number;
  sopInstanceUid: string;
  group: string;
}

/** The features dicomflow writes, out of one tf.train.Example. */
export function decodeExample(b: Uint8Array): DecodedExample {
  const e = Example.toObject(Example.decode(b), { longs: Number, bytes: Uint8Array }) as { features: { feature: Record<string, { bytesList?: { value: Uint8Array[] }; int64List?: { value: number[] } }> } };
  const f = e.features.feature;
  const text = (k: string) => new TextDecoder().decode(f[k]?.bytesList?.value[0] ?? new Uint8Array());
  return {
    image: f.image?.bytesList?.value[0] ?? new Uint8Array(),
    shape: f.shape?.int64List?.value ?? [],
    dtype: text('dtype'),
    label: text('label'),
    key: text('key'),
    file: text('file'),
    frame: f.frame?.int64List?.value[0] ?? 0,
    sopInstanceUid: text('sop_instance_uid'),
    group: text('group'),
  };
}
