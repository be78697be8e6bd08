import t from 'tap';
import { decodeFrame } from '../../src/decode/decode-frame.js';
import { readDicom } from '../../src/dicom/reader.js';
import { TransferSyntax } from '../../src/dicom/transfer-syntax.js';
import { codecFor } from '../../src/codecs/index.js';
import type { PreprocessSpec } from '../../src/preprocess/types.js';
import { radiograph, ctSlice } from '../../src/synth/phantom.js';
import { encodeFrame, planEncoding } from '../../src/synth/encode.js';
import { part10Chunks } from '../../src/synth/part10.js';

const ids = { patientId: 'P', studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', sopInstanceUid: '1.2.3.4.5' };

async function radiographFile(codec: 'j2k' | 'htj2k', size: number) {
  const pixels = radiograph({ width: size, height: size, bits: 12, seed: 11 });
  const layout = { width: size, height: size, bitsStored: 12, signed: false, samples: 1 as const };
  const plan = planEncoding(layout, codec, { lossless: true });
  const codestream = await encodeFrame(pixels, layout, codec, { lossless: true });
  const chunks = part10Chunks(
    { transferSyntax: plan.transferSyntax, rows: size, columns: size, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, photometric: 'MONOCHROME2', ids },
    [codestream],
  );
  const r = readDicom(chunks);
  const d = await r.header();
  for await (const f of r.frames()) return { d, bytes: f.bytes, pixels };
  throw new Error('no frame');
}

function psnr(a: Float32Array | Uint8Array, b: Float32Array | Uint8Array, peak: number): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((peak * peak) / (se / a.length));
}

const spec = (n: number): PreprocessSpec => ({ target: { height: n, width: n }, resize: 'stretch', padValue: 0, channels: 1, modalityLut: true, voi: { mode: 'none' }, invertMonochrome1: false, output: 'float32' });

// The 2048 -> 256 case is measured in bench/decode-subres.mjs; here 1024 -> 128 (the same
// three levels) keeps the suite fast.
for (const codec of ['j2k', 'htj2k'] as const) {
  t.test(`${codec}: sub-resolution decode to 1/8 holds PSNR >= 35 dB against full decode + area resize`, async (t) => {
    const { d, bytes } = await radiographFile(codec, 1024);
    const sub = await decodeFrame({ bytes: bytes.slice(), description: d, spec: spec(128), frameIndex: 0, file: codec, subResolution: true });
    const full = await decodeFrame({ bytes: bytes.slice(), description: d, spec: spec(128), frameIndex: 0, file: codec, subResolution: false });
    t.ok(sub.ok && full.ok);
    if (!sub.ok || !full.ok) return;
    t.same([sub.decodedWidth, full.decodedWidth], [128, 1024], 'level 3 against full resolution');
    const db = psnr(sub.data, full.data, 4095);
    t.ok(db >= 35, `PSNR ${db.toFixed(1)} dB`);
  });
}

t.test('HTJ2K lossless decodes to exactly the source pixels (no Debian tool writes HTJ2K fixtures)', async (t) => {
  const { d, bytes, pixels } = await radiographFile('htj2k', 256);
  t.equal(d.transferSyntax, TransferSyntax.HTJ2KLosslessRPCL);
  const f = await codecFor(d.transferSyntax)!.decode(bytes, d);
  t.same(Array.from(f.pixels), Array.from(pixels));
  const hu = ctSlice({ size: 128, seed: 3 });
  const layout = { width: 128, height: 128, bitsStored: 16, signed: true, samples: 1 as const };
  const cs = await encodeFrame(hu, layout, 'htj2k', { lossless: true });
  const ct = await codecFor(TransferSyntax.HTJ2KLossless)!.decode(cs, { ...d, rows: 128, columns: 128, bitsStored: 16, highBit: 15, pixelRepresentation: 1 });
  t.ok(ct.pixels instanceof Int16Array, 'signed CT stays signed');
  t.same(Array.from(ct.pixels), Array.from(hu));
});
