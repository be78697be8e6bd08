import t from 'tap';
import { InvalidPixelDescriptionError, UnsupportedPixelFormatError } from '../../src/errors.js';
import { toRgb } from '../../src/preprocess/color.js';
import { referenceBytes, sidecar } from '../helpers/fixtures.js';
import { colorFrame, near } from './fixtures/build.js';

// Pixel A: Y=100, Cb=Cr=128 is gray. Pixel B: Y=76, Cb=85, Cr=255 (about pure red), so Cb-128 = -43, Cr-128 = 127:
// R = 76 + 1.402*127 = 254.054; G = 76 + 0.344136*43 - 0.714136*127 = 0.102576; B = 76 - 1.772*43 = -0.196 -> clamped to 0.
const A = [100, 100, 100];
const B = [254.054, 0.102576, 0];

t.test('YBR_FULL interleaved pixel pair, by hand', async (t) => {
  const img = toRgb(colorFrame(Uint8Array.of(100, 128, 128, 76, 85, 255), 2, 1, 'YBR_FULL'), 8);
  t.same([img.width, img.height, img.channels], [2, 1, 3]);
  near(t, img.data, [...A, ...B], 'RGB values');
});

t.test('YBR_FULL planar gives the same pixels', async (t) => {
  const img = toRgb(colorFrame(Uint8Array.of(100, 76, 128, 85, 128, 255), 2, 1, 'YBR_FULL', 1), 8);
  near(t, img.data, [...A, ...B], 'RGB values');
});

t.test('results are clamped to [0, 2^bits - 1]', async (t) => {
  // Y=250, Cr=200: R = 250 + 1.402*72 = 350.944 -> 255; G = 250 - 0.714136*72 = 198.58221; B = 250.
  near(t, toRgb(colorFrame(Uint8Array.of(250, 128, 200), 1, 1, 'YBR_FULL'), 8).data, [255, 198.582208, 250], '8-bit');
});

t.test('12-bit YBR_FULL uses the offset 2048 and clamps to 4095', async (t) => {
  // Y=1000, Cb=2048, Cr=2148: R = 1000 + 1.402*100, G = 1000 - 0.714136*100, B = 1000.
  // Y=4000, Cr=2548: R = 4000 + 1.402*500 = 4701 -> 4095; G = 4000 - 357.068 = 3642.932; B = 4000.
  const img = toRgb(colorFrame(Uint16Array.of(1000, 2048, 2148, 4000, 2048, 2548), 2, 1, 'YBR_FULL'), 12);
  near(t, img.data, [1140.2, 928.5864, 1000, 4095, 3642.932, 4000], 'RGB values');
});

t.test('native YBR_FULL_422: Y1 Y2 Cb Cr per pair, chroma replicated', async (t) => {
  // Pair 1 gray. Pair 2: Cb-128 = -20, Cr-128 = 20: R = Y + 28.04, G = Y + 6.88272 - 14.28272 = Y - 7.4, B = Y - 35.44.
  const f = colorFrame(Uint8Array.of(100, 110, 128, 128, 50, 60, 108, 148), 4, 1, 'YBR_FULL_422');
  const img = toRgb(f, 8);
  t.equal(img.data.length, 12);
  near(t, img.data, [100, 100, 100, 110, 110, 110, 78.04, 42.6, 14.56, 88.04, 52.6, 24.56], 'RGB values');
});

t.test('native YBR_FULL_422 over two rows keeps pairs within rows', async (t) => {
  const f = colorFrame(Uint8Array.of(10, 20, 128, 128, 30, 40, 128, 128), 2, 2, 'YBR_FULL_422');
  t.same([...toRgb(f, 8).data], [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]);
});

t.test('YBR_FULL_422 with 3 samples per pixel (upsampled by the codec) is YBR_FULL', async (t) => {
  near(t, toRgb(colorFrame(Uint8Array.of(100, 128, 128, 76, 85, 255), 2, 1, 'YBR_FULL_422'), 8).data, [...A, ...B], 'RGB values');
});

t.test('native YBR_FULL_422 with an odd width is refused', async (t) => {
  t.throws(() => toRgb(colorFrame(Uint8Array.of(1, 2, 3, 4, 5, 6), 3, 1, 'YBR_FULL_422'), 8), UnsupportedPixelFormatError);
});

t.test('planar RGB to interleaved; interleaved RGB unchanged', async (t) => {
  const planar = Uint16Array.of(1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 300, 400);
  t.same([...toRgb(colorFrame(planar, 2, 2, 'RGB', 1), 16).data], [1, 10, 100, 2, 20, 200, 3, 30, 300, 4, 40, 400]);
  t.same([...toRgb(colorFrame(Uint8Array.of(1, 2, 3, 4, 5, 6), 2, 1, 'RGB'), 8).data], [1, 2, 3, 4, 5, 6]);
});

t.test('PALETTE COLOR and unknown color models throw UnsupportedPixelFormatError', async (t) => {
  const pal = { pixels: Uint8Array.of(1, 2), width: 2, height: 1, samplesPerPixel: 1 as const, planarConfiguration: 0 as const, photometricInterpretation: 'PALETTE COLOR' };
  const err = t.throws(() => toRgb(pal, 8, 3)) as UnsupportedPixelFormatError;
  t.ok(err instanceof UnsupportedPixelFormatError);
  t.equal(err.code, 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT');
  t.match(err.message, /PALETTE COLOR/);
  t.equal(err.where.frame, 3);
  t.throws(() => toRgb(colorFrame(Uint8Array.of(1, 2, 3), 1, 1, 'YBR_ICT'), 8), UnsupportedPixelFormatError);
});

t.test('a sample count that does not match the size is refused', async (t) => {
  t.throws(() => toRgb(colorFrame(Uint8Array.of(1, 2, 3, 4), 1, 1, 'RGB'), 8), InvalidPixelDescriptionError);
});

t.test('fixtures: YBR_FULL made from the RGB source converts back within rounding', async (t) => {
  // test/fixtures/gen_sources.mjs wrote ybr_full_u8 as round(RGB -> YBR_FULL) of the same pixels as rgb_u8.
  // Rounding Y, Cb, Cr by at most 0.5 each moves R, G, B by at most 0.5 + 1.772 * 0.5 < 1.4.
  const ybr = referenceBytes('ybr_full_u8_explicit_le');
  const rgb = referenceBytes('rgb_u8_explicit_le');
  const sc = sidecar('ybr_full_u8_explicit_le');
  const img = toRgb(colorFrame(ybr, sc.columns, sc.rows, 'YBR_FULL'), 8);
  let worst = 0;
  for (let i = 0; i < rgb.length; i++) worst = Math.max(worst, Math.abs(img.data[i]! - rgb[i]!));
  t.equal(img.data.length, rgb.length);
  t.ok(worst <= 1.4, `largest difference ${worst.toFixed(3)} <= 1.4`);
});

t.test('fixtures: planar RGB equals the interleaved RGB of the same source', async (t) => {
  const planar = referenceBytes('rgb_u8_pc1_explicit_le');
  const sc = sidecar('rgb_u8_pc1_explicit_le');
  t.equal(sc.referencePlanarConfiguration, 1);
  const img = toRgb(colorFrame(planar, sc.columns, sc.rows, 'RGB', 1), 8);
  t.same(Buffer.from(Uint8Array.from(img.data)), Buffer.from(referenceBytes('rgb_u8_explicit_le')));
});
