import t from 'tap';
import { decodeFrame, resolutionNeeded } from '../../src/decode/decode-frame.js';
import { readJ2kHeader, sizeAtLevel } from '../../src/codecs/j2k-header.js';
import { chooseLevel } from '../../src/codecs/wavelet.js';
import { readDicom } from '../../src/dicom/reader.js';
import type { PreprocessSpec } from '../../src/preprocess/types.js';
import { fixtureBytes } from '../helpers/fixtures.js';

const base: PreprocessSpec = { target: { height: 32, width: 28 }, resize: 'stretch', padValue: 0, channels: 1, modalityLut: true, voi: { mode: 'none' }, invertMonochrome1: true, output: 'float32' };

async function firstFrame(name: string) {
  const r = readDicom([fixtureBytes(name)]);
  const d = await r.header();
  for await (const f of r.frames()) {
    await r.close();
    return { d, bytes: f.bytes };
  }
  throw new Error('no frame');
}

t.test('J2K main header: size, components, precision, decomposition levels', async (t) => {
  const { bytes } = await firstFrame('ct_u12_j2k_lossless');
  const h = readJ2kHeader(bytes);
  t.match(h, { width: 112, height: 128, components: 1, decompositions: 5 });
  t.same(sizeAtLevel(h, 2), { width: 28, height: 32 });
  t.same(sizeAtLevel({ ...h, width: 113, height: 127 }, 1), { width: 57, height: 64 }, 'odd sizes round up');
  t.throws(() => readJ2kHeader(Uint8Array.of(0xff, 0xd8, 0, 0)), { code: 'DF_ERR_DECODE' });
});

t.test('level choice: deepest level still at least the target, only when the target is at most half', async (t) => {
  const full = { width: 2048, height: 2048 };
  const at = (l: number) => ({ width: Math.ceil(2048 / 2 ** l), height: Math.ceil(2048 / 2 ** l) });
  t.equal(chooseLevel(full, { width: 256, height: 256 }, 5, at), 3);
  t.equal(chooseLevel(full, { width: 257, height: 256 }, 5, at), 2);
  t.equal(chooseLevel(full, { width: 256, height: 256 }, 2, at), 2, 'limited by the decomposition levels');
  t.equal(chooseLevel(full, { width: 1100, height: 256 }, 5, at), 0, 'target more than half in one axis');
  t.same(resolutionNeeded({ rows: 100, columns: 50 }, { target: { height: 64, width: 64 }, resize: 'pad' }), { width: 32, height: 64 });
});

t.test('sub-resolution decoding is used when it helps and can be switched off', async (t) => {
  const { d, bytes } = await firstFrame('ct_u12_j2k_lossless');
  const sub = await decodeFrame({ bytes: bytes.slice(), description: d, spec: base, frameIndex: 0, file: 'x', subResolution: true });
  const full = await decodeFrame({ bytes: bytes.slice(), description: d, spec: base, frameIndex: 0, file: 'x', subResolution: false });
  t.ok(sub.ok && full.ok);
  if (!sub.ok || !full.ok) return;
  t.same([sub.decodedWidth, sub.decodedHeight], [28, 32], 'decoded at level 2');
  t.same([full.decodedWidth, full.decodedHeight], [112, 128], 'full decode when switched off');
  t.same(sub.shape, [32, 28, 1]);
  t.same(full.shape, [32, 28, 1]);
  // Both are 28x32 approximations of the same image: close, not equal. The wavelet's
  // low-pass band is not a box filter, and on this small noisy fixture two levels down
  // they differ by ~27 dB; the 35 dB requirement (2048 -> 256 on realistic content) is
  // tested on the synthetic radiograph in test/decode/subresolution.test.ts.
  let se = 0;
  let peak = 0;
  for (let i = 0; i < full.data.length; i++) {
    se += (sub.data[i]! - full.data[i]!) ** 2;
    peak = Math.max(peak, full.data[i]!);
  }
  const psnr = 10 * Math.log10((4095 * 4095) / (se / full.data.length));
  t.ok(psnr >= 25, `PSNR ${psnr.toFixed(1)} dB against full decode + area resize (12-bit peak)`);
});

t.test('a codestream that disagrees with the header is refused before decoding', async (t) => {
  const { d, bytes } = await firstFrame('ct_u12_j2k_lossless');
  const r = await decodeFrame({ bytes, description: { ...d, rows: 64 }, spec: base, frameIndex: 0, file: 'x', subResolution: false });
  t.notOk(r.ok);
  if (!r.ok) {
    t.equal(r.error.code, 'DF_ERR_DECODE');
    t.match(r.error.message, /height is 128 but the DICOM header says 64/);
  }
});
