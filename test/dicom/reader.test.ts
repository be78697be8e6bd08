import { createHash } from 'node:crypto';
import t from 'tap';
import { readAll, type ReadResult } from '../helpers/dicom.js';
import { fixtureBytes, fixtureNames, referenceBytes, sidecar } from '../helpers/fixtures.js';
import { syntaxInfo } from '../../src/dicom/transfer-syntax.js';
import { readDicom } from '../../src/dicom/reader.js';
import { bits1File, floatFile } from './build-classes.js';

function digest(r: ReadResult): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(r.description));
  for (const f of r.frames) h.update(`${f.index}:${f.offset}:`).update(f.bytes);
  h.update(String(r.error?.code));
  return h.digest('hex');
}

const names = fixtureNames();

t.test('every fixture reads the same in 1-byte, 7-byte and 64 KiB chunks', async (t) => {
  t.ok(names.length >= 20, `${names.length} fixtures`);
  for (const name of names) {
    const bytes = fixtureBytes(name);
    const whole = await readAll(bytes, bytes.length);
    t.equal(whole.error, null, `${name} reads without error`);
    const ref = digest(whole);
    for (const size of [1, 7, 65536]) t.equal(digest(await readAll(bytes, size)), ref, `${name} in ${size}-byte chunks`);
  }
});

t.test('1-bit and float files read the same in 1-byte, 7-byte and 64 KiB chunks', async (t) => {
  // 1-bit frames share bytes (and big endian OW words) with their neighbours: the carry-over
  // must not depend on where chunks end.
  const files: [string, Uint8Array][] = [
    ...(['le', 'be-ow', 'be-ob', 'implicit'] as const).map((encoding) => [`1-bit 13x11x3 ${encoding}`, bits1File({ rows: 11, columns: 13, frames: 3, encoding }).bytes] as [string, Uint8Array]),
    ['1-bit 7x5x5 be-ow', bits1File({ rows: 5, columns: 7, frames: 5, encoding: 'be-ow' }).bytes],
    ['float32 BE', floatFile({ rows: 3, columns: 5, frames: 2, kind: 'float32', values: Array.from({ length: 30 }, (_, i) => i / 7 - 2), bigEndian: true })],
    ['float64 BE', floatFile({ rows: 3, columns: 5, frames: 2, kind: 'float64', values: Array.from({ length: 30 }, (_, i) => i / 7 - 2), bigEndian: true })],
  ];
  for (const [name, bytes] of files) {
    const whole = await readAll(bytes, bytes.length);
    t.equal(whole.error, null, `${name} reads without error`);
    const ref = digest(whole);
    for (const size of [1, 7, 65536]) t.equal(digest(await readAll(bytes, size)), ref, `${name} in ${size}-byte chunks`);
  }
});

t.test('the pixel description agrees with the sidecar read back by DCMTK/GDCM', async (t) => {
  for (const name of names) {
    const s = sidecar(name);
    const { description: d, frames } = await readAll(fixtureBytes(name));
    t.ok(d, name);
    if (!d) continue;
    t.match(
      d,
      {
        transferSyntax: s.transferSyntax,
        rows: s.rows,
        columns: s.columns,
        frames: s.frames,
        samplesPerPixel: s.samplesPerPixel,
        bitsAllocated: s.bitsAllocated,
        bitsStored: s.bitsStored,
        highBit: s.highBit,
        pixelRepresentation: s.pixelRepresentation,
        photometricInterpretation: s.photometricInterpretation,
      },
      name,
    );
    if (s.samplesPerPixel > 1) t.equal(d.planarConfiguration, s.planarConfiguration ?? 0, `${name} planar configuration`);
    // The sidecar has null where the file has no rescale; it may also spell out the identity.
    if (s.rescaleIntercept !== null && d.rescaleIntercept !== null) t.equal(d.rescaleIntercept, s.rescaleIntercept, `${name} intercept`);
    if (s.windowCenter !== null) t.equal(d.windowCenter, s.windowCenter, `${name} window center`);
    if (s.windowWidth !== null) t.equal(d.windowWidth, s.windowWidth, `${name} window width`);
    t.equal(frames.length, s.frames, `${name}: ${s.frames} frames delivered`);
    t.same(frames.map((f) => f.index), [...Array(s.frames).keys()], `${name}: frames in order`);
  }
});

t.test('native frames are exactly the stored values of the independent reference', async (t) => {
  let checked = 0;
  for (const name of names) {
    const s = sidecar(name);
    if (syntaxInfo(s.transferSyntax)?.encapsulated) continue;
    const { frames } = await readAll(fixtureBytes(name), 4096);
    const ref = referenceBytes(name);
    const got = new Uint8Array(frames.reduce((n, f) => n + f.bytes.length, 0));
    let at = 0;
    for (const f of frames) {
      got.set(f.bytes, at);
      at += f.bytes.length;
    }
    // The reference may carry one byte of even-length padding.
    t.equal(Buffer.compare(Buffer.from(got), Buffer.from(ref.subarray(0, got.length))), 0, `${name} (${s.transferSyntax})`);
    t.ok(ref.length - got.length <= 1, `${name}: reference length ${ref.length}, frames ${got.length}`);
    checked++;
  }
  t.ok(checked >= 6, `${checked} native fixtures checked (LE, BE, implicit, deflated, no-meta)`);
});

t.test('encapsulated frames start with their codec marker', async (t) => {
  for (const name of names) {
    const s = syntaxInfo(sidecar(name).transferSyntax)!;
    if (!s.encapsulated || !s.frameStartMarker) continue;
    const { frames } = await readAll(fixtureBytes(name), 999);
    for (const f of frames) t.same([...f.bytes.subarray(0, s.frameStartMarker.length)], [...s.frameStartMarker], `${name} frame ${f.index}`);
  }
});

t.test('the first frame is delivered before the input has been read to the end', async (t) => {
  // A generated 4-frame native file fed in small chunks: count what was pulled when frame 0 arrives.
  const { imageModule, meta, el, cat } = await import('../helpers/dicom.js');
  const rows = 64;
  const columns = 64;
  const frame = rows * columns * 2;
  const pixels = new Uint8Array(frame * 4).map((_, i) => i & 0xff);
  const bytes = cat(meta('1.2.840.10008.1.2.1'), imageModule({ rows, columns, frames: 4 }), el(0x7fe00010, 'OW', pixels));
  let pulled = 0;
  const source = (function* () {
    for (let i = 0; i < bytes.length; i += 1000) {
      pulled += Math.min(1000, bytes.length - i);
      yield bytes.subarray(i, i + 1000);
    }
  })();
  const r = readDicom(source, { file: 'gen.dcm' });
  const d = await r.header();
  t.equal(d.frames, 4);
  const pulledAtHeader = pulled;
  t.ok(pulledAtHeader < bytes.length - 3 * frame, `header available after ${pulledAtHeader} of ${bytes.length} bytes`);
  for await (const f of r.frames()) {
    if (f.index === 0) {
      t.ok(pulled < bytes.length - 2 * frame, `frame 0 delivered after ${pulled} of ${bytes.length} bytes`);
      t.same([...f.bytes.subarray(0, 4)], [0, 1, 2, 3]);
    }
  }
  t.equal(pulled, bytes.length);
});

t.test('closing after the header stops reading the input', async (t) => {
  let closed = false;
  const bytes = fixtureBytes(names.find((n) => sidecar(n).frames > 1)!);
  const source = (function* () {
    try {
      for (let i = 0; i < bytes.length; i += 512) yield bytes.subarray(i, i + 512);
    } finally {
      closed = true;
    }
  })();
  const r = readDicom(source);
  await r.header();
  await r.close();
  t.ok(closed, 'source iterator returned');
});
