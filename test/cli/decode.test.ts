import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { bits1File, floatFile } from '../dicom/build-classes.js';
import { npyBytes } from '../../src/cli/npy.js';

/** Debian's python3 with NumPy: an independent .npy reader. Prints what `expr` gives for the array `a`. */
function numpy(file: string, expr: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(file)}); print(${expr})`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`/usr/bin/python3 failed (apt-get install python3-numpy): ${r.stderr}`);
  return r.stdout.trim();
}

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-decode-classes-'));
const out = join(dir, 'out');

t.test('npyBytes: dtype from the array, float32 as <f4 and 0/1 masks as |u1', async (t) => {
  const header = (b: Uint8Array) => new TextDecoder().decode(b.subarray(10, 10 + new DataView(b.buffer).getUint16(8, true)));
  t.match(header(npyBytes(Float32Array.of(1.5, -2), [1, 2])), "'descr': '<f4'");
  t.match(header(npyBytes(Uint8Array.of(0, 1, 1), [3])), "'descr': '|u1'");
});

t.test('decode writes 1-bit frames as uint8 0/1, frames that start mid-byte included', async (t) => {
  const { bytes, values } = bits1File({ rows: 11, columns: 13, frames: 3, encoding: 'be-ow' });
  const file = join(dir, 'mask.dcm');
  writeFileSync(file, bytes);
  const r = runCli(['decode', file, '--out', out]);
  t.equal(r.status, 0, r.stderr);
  for (const i of [0, 1, 2]) {
    const npy = join(out, `mask.dcm.f${i}.npy`);
    t.equal(numpy(npy, 'a.dtype, a.shape, sorted(set(a.ravel().tolist()))'), 'uint8 (11, 13) [0, 1]', `frame ${i}: dtype and shape`);
    t.equal(numpy(npy, 'a.ravel().tolist()').replace(/\s/g, ''), JSON.stringify([...values.subarray(i * 143, (i + 1) * 143)]), `frame ${i}: every pixel`);
  }
});

t.test('decode writes float pixel data as float32 (<f4); double floats are narrowed', async (t) => {
  const values = [0.1, -2.5, 1e-30, 3e38, -0, 1e300, 12345.678, -7];
  for (const [kind, bigEndian] of [
    ['float32', false],
    ['float32', true],
    ['float64', false],
    ['float64', true],
  ] as const) {
    const name = `${kind}${bigEndian ? '_be' : ''}.dcm`;
    const file = join(dir, name);
    writeFileSync(file, floatFile({ rows: 2, columns: 4, frames: 1, kind, values: kind === 'float32' ? values.slice(0, 5).concat([1, 2, 3]) : values, bigEndian }));
    const r = runCli(['decode', file, '--out', out]);
    t.equal(r.status, 0, r.stderr);
    const npy = join(out, `${name}.f0.npy`);
    t.equal(numpy(npy, 'a.dtype.str, a.shape'), '<f4 (2, 4)', `${name}: dtype <f4`);
    const b = new Uint8Array(readFileSync(npy));
    const written = new Float32Array(b.buffer.slice(10 + new DataView(b.buffer).getUint16(8, true)));
    const want = (kind === 'float32' ? values.slice(0, 5).concat([1, 2, 3]) : values).map(Math.fround);
    t.same([...written].map((v, i) => Object.is(v, want[i])), want.map(() => true), `${name}: values bit for bit`);
    t.equal(numpy(npy, 'repr(a[0, 0].item())'), String(Math.fround(0.1)), `${name}: NumPy reads the same first value`);
  }
});

t.test('decode --modality: float data is rescaled only when the file says so', async (t) => {
  const plain = join(dir, 'plain.dcm');
  const scaled = join(dir, 'scaled.dcm');
  writeFileSync(plain, floatFile({ rows: 1, columns: 3, frames: 1, kind: 'float64', values: [1.5, -2, 4] }));
  writeFileSync(scaled, floatFile({ rows: 1, columns: 3, frames: 1, kind: 'float64', values: [1.5, -2, 4], rescale: { slope: 2, intercept: 10 } }));
  t.equal(runCli(['decode', plain, '--out', out, '--modality']).status, 0);
  t.equal(runCli(['decode', scaled, '--out', out, '--modality']).status, 0);
  t.equal(numpy(join(out, 'plain.dcm.f0.npy'), 'a.dtype, a.ravel().tolist()'), 'float32 [1.5, -2.0, 4.0]');
  t.equal(numpy(join(out, 'scaled.dcm.f0.npy'), 'a.dtype, a.ravel().tolist()'), 'float32 [13.0, 6.0, 18.0]');
});

t.test('decode refuses what stays unsupported with its error code (exit 1)', async (t) => {
  const file = join(dir, 'od32.dcm');
  const good = floatFile({ rows: 1, columns: 1, frames: 1, kind: 'float64', values: [1] });
  // Same file with BitsAllocated 32: patch the US value (0028,0100) = 64 -> 32.
  const bad = good.slice();
  const at = Buffer.from(bad).indexOf(Buffer.from([0x28, 0x00, 0x00, 0x01, 0x55, 0x53, 0x02, 0x00, 64, 0]));
  t.ok(at > 0, 'found BitsAllocated');
  bad[at + 8] = 32;
  writeFileSync(file, bad);
  const r = runCli(['decode', file, '--out', out]);
  t.equal(r.status, 1);
  t.match(r.stderr, /DF_ERR_PIXEL_DESCRIPTION: Double Float Pixel Data \(7FE0,0009\) needs BitsAllocated 64 \(got BitsAllocated 32\)/);
});

t.test('decode --help says how 1-bit and float data are written', async (t) => {
  const r = runCli(['decode', '--help']);
  t.equal(r.status, 0);
  t.match(r.stdout, /uint8 0\/1/);
  t.match(r.stdout, /Double Float Pixel Data is converted to float32/);
});

// inspect.test.ts pins the JSON keys of integer files; the pixel data kind of the files above is checked here.
t.test('inspect shows the pixel data kind of these files', async (t) => {
  const files = ['mask.dcm', 'float32.dcm', 'float64_be.dcm'].map((f) => join(dir, f));
  const json = runCli(['inspect', '--json', ...files]);
  t.equal(json.status, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(lines.map((l) => l.pixelData), [undefined, 'float32', 'float64'], 'pixelData only for float files');
  t.same(lines.map((l) => l.bitsAllocated), [1, 32, 64]);
  const text = runCli(['inspect', ...files]);
  t.match(text.stdout, /mask\.dcm {2}Explicit VR Big Endian {2}13x11 {2}1-bit packed MONOCHROME2 {2}3\/3 frame\(s\)/);
  t.match(text.stdout, /float32\.dcm {2}Explicit VR Little Endian {2}4x2 {2}32-bit float MONOCHROME2/);
  t.match(text.stdout, /float64_be\.dcm {2}Explicit VR Big Endian {2}4x2 {2}64-bit float MONOCHROME2/);
});
