#!/usr/bin/env python3
"""An independent reader of dicomflow datasets, written from the formats' own
specifications with the Python standard library and NumPy only:
- WebDataset: tarfile; members grouped by the key before the first dot;
  <key>.npy with numpy.load, <key>.json, <key>.cls.
- TFRecord: the framing (uint64 length, masked CRC-32C of the length, data,
  masked CRC-32C of the data) with every CRC checked, and the tf.train.Example
  protobuf decoded from its wire format.
Prints one JSON line per sample: key, file, frame, shape, dtype and the
SHA-256 of the sample's little-endian bytes. Exit 1 on any inconsistency.
"""
import hashlib, io, json, os, struct, sys, tarfile
import numpy as np

def crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t
TABLE = crc32c_table()

def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = TABLE[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

def masked(b):
    c = crc32c(b)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF

def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1
        v |= (x & 0x7F) << s; s += 7
        if not x & 0x80:
            return v, i

def fields(b):
    """(field number, wire type, value) of a protobuf message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        elif wt == 5:
            v = b[i:i + 4]; i += 4
        elif wt == 1:
            v = b[i:i + 8]; i += 8
        else:
            raise ValueError('wire type %d' % wt)
        yield num, wt, v

def example(b):
    """tf.train.Example -> {name: ('bytes'|'int64'|'float', [values])}."""
    out = {}
    for num, _, features in fields(b):
        assert num == 1
        for fnum, _, entry in fields(features):
            assert fnum == 1
            name = value = None
            for enum, _, ev in fields(entry):
                if enum == 1: name = ev.decode()
                elif enum == 2: value = ev
            for knum, _, lst in fields(value):
                if knum == 1:
                    out[name] = ('bytes', [v for n, _, v in fields(lst) if n == 1])
                elif knum == 3:
                    vals = []
                    for n, wt, v in fields(lst):
                        if wt == 2:  # packed
                            j = 0
                            while j < len(v):
                                x, j = varint(v, j); vals.append(x)
                        else:
                            vals.append(v)
                    out[name] = ('int64', vals)
                elif knum == 2:
                    out[name] = ('float', list(struct.unpack('<%df' % (len(lst) // 4), lst)))
    return out

def tfrecords(path):
    with open(path, 'rb') as f:
        data = f.read()
    i = 0
    while i < len(data):
        head = data[i:i + 8]
        (n,) = struct.unpack('<Q', head)
        (hc,) = struct.unpack('<I', data[i + 8:i + 12])
        if hc != masked(head): raise ValueError('%s: length CRC mismatch at %d' % (path, i))
        body = data[i + 12:i + 12 + n]
        (dc,) = struct.unpack('<I', data[i + 12 + n:i + 16 + n])
        if dc != masked(body): raise ValueError('%s: data CRC mismatch at %d' % (path, i))
        yield body
        i += 16 + n

def main(folder):
    index = json.load(open(os.path.join(folder, 'dataset.json')))
    fmt = index['format']
    total = 0
    for shard in index['shards']:
        path = os.path.join(folder, shard['name'])
        if hashlib.sha256(open(path, 'rb').read()).hexdigest() != shard['sha256']:
            raise ValueError('%s: sha256 differs from dataset.json' % path)
        n = 0
        if fmt == 'webdataset':
            groups = {}
            with tarfile.open(path) as tar:
                for m in tar.getmembers():
                    key, ext = m.name.split('.', 1)
                    groups.setdefault(key, {})[ext] = tar.extractfile(m).read()
            for key, g in groups.items():
                a = np.load(io.BytesIO(g['npy']))
                meta = json.loads(g['json'])
                if meta['key'] != key: raise ValueError('key mismatch')
                if 'cls' in g and g['cls'].decode().strip() != meta['label']: raise ValueError('label mismatch')
                print(json.dumps({'key': key, 'file': meta['file'], 'frame': meta['frame'], 'shape': list(a.shape), 'dtype': str(a.dtype),
                                  'sha256': hashlib.sha256(a.astype(a.dtype.newbyteorder('<')).tobytes()).hexdigest(), 'group': meta['group']}))
                n += 1
        else:
            for body in tfrecords(path):
                e = example(body)
                shape = e['shape'][1]
                dtype = e['dtype'][1][0].decode()
                a = np.frombuffer(e['image'][1][0], dtype='<f4' if dtype == 'float32' else 'u1').reshape(shape)
                print(json.dumps({'key': e['key'][1][0].decode(), 'file': e['file'][1][0].decode(), 'frame': e['frame'][1][0], 'shape': list(a.shape),
                                  'dtype': str(a.dtype), 'sha256': hashlib.sha256(a.tobytes()).hexdigest(), 'group': e['group'][1][0].decode() or None}))
                n += 1
        if n != shard['samples']: raise ValueError('%s: %d samples, dataset.json says %d' % (path, n, shard['samples']))
        total += n
    if total != index['samples']: raise ValueError('%d samples, dataset.json says %d' % (total, index['samples']))

if __name__ == '__main__':
    try:
        main(sys.argv[1])
    except Exception as e:
        print('read_shards: %s' % e, file=sys.stderr)
        sys.exit(1)
