/**
 * 1-bit and float pixel data made by independent tools, decoded with the
 * reader and the native codec and compared exactly with reference pixels.
 *
 * The committed fixtures in test/fixtures/classes/ (pydicom-written, then
 * dcmconv +tb for big endian; references from GDCM) are used when present.
 * Without them the test makes equivalent files itself with pydicom and
 * dcmconv, with references from pydicom (little endian) and GDCM (big endian
 * OW, which pydicom 2.3 does not un-swap), so it never passes vacuously.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { readAll } from '../helpers/dicom.js';
import { native } from '../../src/codecs/native.js';
import type { PixelDataKind } from '../../src/dicom/description.js';

const COMMITTED = fileURLToPath(new URL('../fixtures/classes/', import.meta.url));
const WANTED = ['bits1_le_mf3', 'bits1_be_mf3', 'seg_bits1_mf3', 'float32_le', 'float64_le', 'float32_be', 'float64_be'];

interface Sidecar {
  rows: number;
  columns: number;
  frames: number;
  referenceDtype: 'uint8' | 'float32' | 'float64';
  pixelElement?: { tag: string };
}

/** Python's json writes Infinity/NaN for some statistics; they are not JSON. */
function readSidecar(path: string): Sidecar & { class?: string } {
  return JSON.parse(readFileSync(path, 'utf8').replace(/:\s*(-?Infinity|NaN)\b/g, ': "$1"')) as Sidecar & { class?: string };
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

const GENERATE = String.raw`
import json, sys
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import pack_bits

def base(sop):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.1'
    ds.file_meta.MediaStorageSOPClassUID = sop
    ds.file_meta.MediaStorageSOPInstanceUID = '2.25.1234'
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = '2.25.1234'
    ds.PatientID = 'X'
    return ds

def pixel(ds, rows, cols, frames, bits, integer=True):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.NumberOfFrames = frames
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated = bits
    if integer:
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits - 1, 0

def save(ds, name, ref, rows, cols, frames, dtype):
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(name + '.dcm', write_like_original=False)
    ref.astype(np.dtype(dtype).newbyteorder('<')).tofile(name + '.raw')
    json.dump({'rows': rows, 'columns': cols, 'frames': frames, 'referenceDtype': dtype}, open(name + '.json', 'w'))

def masks(rows, cols, frames, seed):
    rng = np.random.default_rng(seed)
    m = (rng.random((frames, rows, cols)) < 0.4).astype(np.uint8)
    m[:, 0, 0] = 1
    m[:, -1, -1] = 1
    return m

kind, name = sys.argv[1], sys.argv[2]
if kind in ('bits1', 'bits1-ow', 'seg'):
    rows, cols = (15, 9) if kind == 'seg' else (13, 11)
    m = masks(rows, cols, 3, 41 if kind == 'seg' else 42)
    ds = base('1.2.840.10008.5.1.4.1.1.66.4' if kind == 'seg' else '1.2.840.10008.5.1.4.1.1.7.1')
    if kind == 'seg':
        ds.Modality = 'SEG'
        ds.SegmentationType = 'BINARY'
        ds.SharedFunctionalGroupsSequence = [Dataset()]
        ds.PerFrameFunctionalGroupsSequence = [Dataset() for _ in range(3)]
    pixel(ds, rows, cols, 3, 1)
    ds.PixelData = pack_bits(m.ravel())
    ds['PixelData'].VR = 'OW' if kind == 'bits1-ow' else 'OB'
    save(ds, name, m, rows, cols, 3, 'uint8')
    # pydicom's own unpacking is the reference decoder for the little-endian file.
    assert (pydicom.dcmread(name + '.dcm').pixel_array == m).all()
elif kind in ('float32', 'float64'):
    rows, cols = (20, 24) if kind == 'float32' else (18, 22)
    v = np.linspace(-1500.0, 2500.0, 2 * rows * cols).reshape(2, rows, cols).astype(kind)
    v.ravel()[:5] = np.array([-0.0, 1.0 / 3.0, -1.0e-30, 3.0e30, np.finfo(kind).tiny], dtype=kind)
    ds = base('1.2.840.10008.5.1.4.1.1.30')
    pixel(ds, rows, cols, 2, 32 if kind == 'float32' else 64, integer=False)
    if kind == 'float32':
        ds.FloatPixelData = v.tobytes()
    else:
        ds.DoubleFloatPixelData = v.tobytes()
    save(ds, name, v, rows, cols, 2, kind)
    # pydicom's read of the file is the reference (it equals v, checked here).
    a = pydicom.dcmread(name + '.dcm').pixel_array
    assert a.tobytes() == v.tobytes()
    a.astype(a.dtype.newbyteorder('<')).tofile(name + '.raw')
elif kind == 'reference':
    # Reference of a big-endian file: GDCM's little-endian rewrite, read by pydicom.
    src, dst = sys.argv[3], sys.argv[4]
    ds = pydicom.dcmread(src)
    a = ds.pixel_array
    a.astype(a.dtype.newbyteorder('<')).tofile(dst)
`;

/** Equivalent inputs made here: pydicom writes little endian, dcmconv +tb big endian. */
function generate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-classes-'));
  writeFileSync(join(dir, 'gen.py'), GENERATE);
  const py = (...args: string[]) => run('/usr/bin/python3', ['gen.py', ...args], dir);
  py('bits1', 'bits1_le_mf3');
  py('seg', 'seg_bits1_mf3');
  py('float32', 'float32_le');
  py('float64', 'float64_le');
  py('bits1-ow', 'bits1_le_ow');
  for (const [le, be] of [
    ['bits1_le_ow', 'bits1_be_mf3'],
    ['float32_le', 'float32_be'],
    ['float64_le', 'float64_be'],
  ] as const) {
    run('dcmconv', ['+tb', `${le}.dcm`, `${be}.dcm`], dir);
    writeFileSync(join(dir, `${be}.json`), readFileSync(join(dir, `${le}.json`)));
    if (be.startsWith('bits1')) {
      // GDCM undoes the OW word swap (pydicom 2.3 would not): its rewrite is the reference.
      run('gdcmconv', ['--raw', `${be}.dcm`, `${be}.gdcm.dcm`], dir);
      py('reference', '', `${be}.gdcm.dcm`, `${be}.raw`);
    } else {
      py('reference', '', `${be}.dcm`, `${be}.raw`);
    }
  }
  return dir;
}

// DICOMFLOW_GENERATE_CLASSES=1 exercises the fallback even where the fixtures exist.
const committed =
  process.env.DICOMFLOW_GENERATE_CLASSES !== '1' && existsSync(join(COMMITTED, 'index.json')) && WANTED.every((n) => existsSync(join(COMMITTED, `${n}.dcm`)));
const dir = committed ? COMMITTED : generate();
const names = committed
  ? (JSON.parse(readFileSync(join(COMMITTED, 'index.json'), 'utf8')) as { fixtures: string[] }).fixtures.filter((n) => ['bits1', 'float'].includes(readSidecar(join(COMMITTED, `${n}.json`)).class ?? ''))
  : WANTED;

function reference(name: string, s: Sidecar): ArrayLike<number> {
  const b = new Uint8Array(readFileSync(join(dir, `${name}.raw`)));
  if (s.referenceDtype === 'uint8') return b;
  if (s.referenceDtype === 'float32') return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  // Double floats are compared after the same narrowing the codec documents.
  return Float32Array.from(new Float64Array(b.buffer, b.byteOffset, b.length / 8));
}

const KIND: Record<Sidecar['referenceDtype'], PixelDataKind> = { uint8: 'integer', float32: 'float32', float64: 'float64' };

t.test(`every 1-bit and float input decodes exactly to its reference (${committed ? 'committed fixtures' : 'generated here'})`, async (t) => {
  t.ok(WANTED.every((n) => names.includes(n)), `inputs: ${names.join(', ')}`);
  for (const name of names) {
    const s = readSidecar(join(dir, `${name}.json`));
    const ref = reference(name, s);
    const bytes = new Uint8Array(readFileSync(join(dir, `${name}.dcm`)));
    for (const chunk of [1, 7, 65536]) {
      const r = await readAll(bytes, chunk);
      t.equal(r.error, null, `${name}: reads`);
      const d = r.description!;
      t.match(d, { rows: s.rows, columns: s.columns, frames: s.frames, pixelData: KIND[s.referenceDtype] }, `${name}: description`);
      t.equal(r.frames.length, s.frames, `${name}: frames`);
      const n = s.rows * s.columns;
      let differing = 0;
      for (const f of r.frames) {
        const px = (await native.decode(f.bytes, d)).pixels;
        t.equal(px.constructor, s.referenceDtype === 'uint8' ? Uint8Array : Float32Array, `${name}: output type`);
        t.equal(px.length, n);
        // Object.is: -0 is not 0, NaN is NaN; nothing is within a tolerance.
        for (let i = 0; i < n; i++) if (!Object.is(px[i], ref[f.index * n + i])) differing++;
      }
      t.equal(differing, 0, `${name} in ${chunk}-byte chunks: every pixel equals the reference`);
    }
  }
});

t.test('doubles beyond float32 and non-finite values are reported as a warning, never silently', async (t) => {
  const { readDicom } = await import('../../src/dicom/reader.js');
  const { classFixture } = await import('../helpers/classes.js');
  for (const name of ['float64_le', 'float32_le']) {
    const r = readDicom([classFixture(name).bytes]);
    const d = await r.header();
    const warnings = [];
    for await (const f of r.frames()) warnings.push(...((await native.decode(f.bytes, d)).warnings ?? []));
    const narrowed = warnings.reduce((n, w) => n + Number(w.details?.narrowedToInfinity ?? 0), 0);
    if (name === 'float64_le') t.ok(narrowed > 0, `${name}: ${narrowed} double(s) beyond float32's range reported`);
    for (const w of warnings) t.equal(w.code, 'DF_WARN_NONFINITE_PIXELS');
  }
});
