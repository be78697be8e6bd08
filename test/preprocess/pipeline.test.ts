import t from 'tap';
import { ConfigError, UnsupportedPixelFormatError } from '../../src/errors.js';
import { preprocess, storedRange } from '../../src/preprocess/pipeline.js';
import type { PreprocessSpec } from '../../src/preprocess/types.js';
import { referenceBytes, sidecar } from '../helpers/fixtures.js';
import { colorFrame, description, grayFrame, near, preprocessSpecOf } from './fixtures/build.js';

const spec = (over: Partial<PreprocessSpec> = {}): PreprocessSpec => preprocessSpecOf(over);

// A signed 12-bit CT-like 4x4 frame; HU = stored - 1024. Its 2x2 blocks:
//   top-left     0, 0, 100, 100         mean stored   50 -> HU  -974
//   top-right    -2000, -1900 (twice)   mean stored -1950 -> HU -2974
//   bottom-left  1024, 1124, 924, 1024  mean stored 1024 -> HU     0
//   bottom-right 2000, 2047, 1900, 1953 mean stored 1975 -> HU   951
// Lung window c=-600 w=1500: edges -600.5 -/+ 749.5 = -1350 and 149; inside, (HU + 600.5) / 1499 + 0.5.
const ct = grayFrame(Int16Array.of(0, 0, -2000, -1900, 100, 100, -2000, -1900, 1024, 1124, 2000, 2047, 924, 1024, 1900, 1953), 4, 4);
const ctDesc = description({ rows: 4, columns: 4, bitsStored: 12, pixelRepresentation: 1, rescaleSlope: 1, rescaleIntercept: -1024 });
const lungSpec = spec({ target: { height: 2, width: 2 }, voi: { mode: 'preset', name: 'lung' } });
const expected = [(-974 + 600.5) / 1499 + 0.5, 0, (0 + 600.5) / 1499 + 0.5, 1]; // 0.2508339, 0, 0.9006004, 1

t.test('CT end to end: rescale, 4x4 -> 2x2 area mean in HU, lung window', async (t) => {
  const s = preprocess(ct, ctDesc, lungSpec, 0);
  t.type(s.data, Float32Array);
  t.same(s.shape, [2, 2, 1]);
  near(t, s.data, expected, 'values');
});

t.test('3 channels replicate, uint8 rounds x * 255', async (t) => {
  const s = preprocess(ct, ctDesc, { ...lungSpec, channels: 3, output: 'uint8' }, 0);
  t.type(s.data, Uint8Array);
  t.same(s.shape, [2, 2, 3]);
  // 0.2508339*255 = 63.96 -> 64; 0.9006004*255 = 229.65 -> 230
  t.same([...s.data], [64, 64, 64, 0, 0, 0, 230, 230, 230, 255, 255, 255]);
});

t.test('MONOCHROME1 gradient with minmax: 1 where stored is lowest; MONOCHROME2 is not inverted', async (t) => {
  const f = grayFrame(Uint16Array.of(0, 1, 2, 3), 4, 1, 'MONOCHROME1');
  near(t, preprocess(f, description({ photometricInterpretation: 'MONOCHROME1' }), spec(), 0).data, [1, 2 / 3, 1 / 3, 0], 'MONOCHROME1 inverted');
  near(t, preprocess(f, description({ photometricInterpretation: 'MONOCHROME1' }), spec({ invertMonochrome1: false }), 0).data, [0, 1 / 3, 2 / 3, 1], 'not asked');
  const g = grayFrame(Uint16Array.of(0, 1, 2, 3), 4, 1);
  near(t, preprocess(g, description(), spec(), 0).data, [0, 1 / 3, 2 / 3, 1], 'MONOCHROME2');
});

t.test("MONOCHROME1 with voi 'none' reflects within the modality range of the stored range", async (t) => {
  const f = grayFrame(Uint16Array.of(0, 100, 4095), 3, 1, 'MONOCHROME1');
  const d = description({ photometricInterpretation: 'MONOCHROME1', bitsStored: 12 });
  // 12-bit unsigned: 0..4095, x -> 4095 - x
  t.same([...preprocess(f, d, spec({ voi: { mode: 'none' } }), 0).data], [4095, 3995, 0]);
  // with HU = stored - 1024 the range is -1024..3071, x -> 2047 - x: HU -1024, -924, 3071 -> 3071, 2971, -1024
  const dr = { ...d, rescaleIntercept: -1024 };
  t.same([...preprocess(f, dr, spec({ voi: { mode: 'none' } }), 0).data], [3071, 2971, -1024]);
});

t.test('pad comes last: padding does not enter minmax, padValue is in output units', async (t) => {
  // 2 rows x 4 columns into 4x4: fits at 2x4, one pad row above and below.
  const f = grayFrame(Uint16Array.of(0, 1, 2, 3, 4, 5, 6, 7), 4, 2);
  const s = preprocess(f, description(), spec({ target: { height: 4, width: 4 }, resize: 'pad', padValue: 0.5 }), 0);
  t.same(s.shape, [4, 4, 1]);
  near(t, s.data, [0.5, 0.5, 0.5, 0.5, 0, 1 / 7, 2 / 7, 3 / 7, 4 / 7, 5 / 7, 6 / 7, 1, 0.5, 0.5, 0.5, 0.5], 'values');
});

t.test('color: no modality LUT, VOI on RGB values, then channels', async (t) => {
  // The rescale would push everything below 0; color ignores it. Window c=128 w=256 is x/255 on 0..255.
  const f = colorFrame(Uint8Array.of(0, 100, 200, 200, 100, 0), 2, 1, 'RGB');
  const d = description({ samplesPerPixel: 3, bitsStored: 8, photometricInterpretation: 'RGB', rescaleIntercept: -1024 });
  const rgb = preprocess(f, d, spec({ channels: 3, voi: { mode: 'window', center: 128, width: 256 } }), 0);
  t.same(rgb.shape, [1, 2, 3]);
  near(t, rgb.data, [0, 100 / 255, 200 / 255, 200 / 255, 100 / 255, 0], 'RGB');
  // minmax over all channels -> 0, 0.5, 1 / 1, 0.5, 0, then luma: 0.587*0.5 + 0.114 and 0.299 + 0.587*0.5
  near(t, preprocess(f, d, spec(), 0).data, [0.4075, 0.5925], 'luma');
});

t.test('per-frame rescale reaches the pipeline', async (t) => {
  const d = description({ frames: 2, frameRescale: [{ slope: 1, intercept: 0 }, { slope: 1, intercept: -1000 }] });
  const f = grayFrame(Uint16Array.of(1000, 1100), 2, 1);
  // frame 1: HU 0 and 100 in window c=50.5 w=101 -> edges 0 and 100 -> 0 and 1
  t.same([...preprocess(f, d, spec({ voi: { mode: 'window', center: 50.5, width: 101 } }), 1).data], [0, 1]);
});

t.test('errors: uint8 with voi none, PALETTE COLOR', async (t) => {
  t.throws(() => preprocess(ct, ctDesc, spec({ output: 'uint8', voi: { mode: 'none' } }), 0), ConfigError);
  const pal = grayFrame(Uint8Array.of(1, 2), 2, 1, 'PALETTE COLOR');
  t.throws(() => preprocess(pal, description({ photometricInterpretation: 'PALETTE COLOR' }), spec(), 0), UnsupportedPixelFormatError);
});

t.test('storedRange is exported from the pipeline', async (t) => {
  t.same(storedRange(ctDesc), { min: -2048, max: 2047 });
});

t.test('fixture: a MONOCHROME1 CR through its own window, inverted', async (t) => {
  const name = 'cr_u12_mono1_jpeg_lossless_p14';
  const sc = sidecar(name);
  const bytes = referenceBytes(name);
  const stored = new Uint16Array(bytes.slice().buffer); // little-endian reference, copied for alignment
  const d = description({ rows: sc.rows, columns: sc.columns, bitsStored: 12, photometricInterpretation: 'MONOCHROME1', windowCenter: sc.windowCenter, windowWidth: sc.windowWidth });
  const s = preprocess(grayFrame(stored, sc.columns, sc.rows, 'MONOCHROME1'), d, spec({ voi: { mode: 'file' } }), 0);
  t.same(s.shape, [sc.rows, sc.columns, 1]);
  // c=2048 w=4096: edges 0 and 4094; inside (x - 2047.5) / 4095 + 0.5; then 1 - y.
  t.same([sc.windowCenter, sc.windowWidth], [2048, 4096]);
  const want = Array.from(stored, (x) => 1 - (x <= 0 ? 0 : x > 4094 ? 1 : (x - 2047.5) / 4095 + 0.5));
  near(t, s.data, want, 'every pixel');
  let iMin = 0;
  stored.forEach((x, i) => { if (x < stored[iMin]!) iMin = i; });
  t.ok(s.data[iMin]! > 0.5, 'the lowest stored value (white in MONOCHROME1) is the brightest side after inversion');
});
