import t from 'tap';
import { fitInside, pad, resize } from '../../src/preprocess/resize.js';
import { image, near, rng } from './fixtures/build.js';

const ramp = (w: number, h: number) => image(Array.from({ length: w * h }, (_, i) => i), w, h);

t.test('4x4 -> 2x2 gives the 2x2 block means', async (t) => {
  // 0 1 2 3 / 4 5 6 7 / 8 9 10 11 / 12 13 14 15
  const out = resize(ramp(4, 4), 2, 2);
  t.same([out.width, out.height, out.channels], [2, 2, 1]);
  t.same([...out.data], [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]);
});

t.test('5 -> 2 weights by fractional coverage', async (t) => {
  // Output 0 covers [0, 2.5): pixels 0, 1 fully and half of 2 -> weights 0.4 0.4 0.2; output 1 the mirror.
  near(t, resize(image([1, 2, 3, 4, 5], 5, 1), 1, 2).data, [0.4 * 1 + 0.4 * 2 + 0.2 * 3, 0.2 * 3 + 0.4 * 4 + 0.4 * 5], '1-D');
  // 3 -> 2: output 0 covers [0, 1.5) -> weights 2/3, 1/3
  near(t, resize(image([3, 6, 9], 3, 1), 1, 2).data, [4, 8], '3 -> 2');
  // 5x5 -> 2x2 of f(x, y) = x + 10y: coverage-weighted x is 0.4*0 + 0.4*1 + 0.2*2 = 0.8 or 0.2*2 + 0.4*3 + 0.4*4 = 3.2; same for y.
  const f = image(Array.from({ length: 25 }, (_, i) => (i % 5) + 10 * Math.floor(i / 5)), 5, 5);
  near(t, resize(f, 2, 2).data, [0.8 + 8, 3.2 + 8, 0.8 + 32, 3.2 + 32], '2-D');
});

t.test('2x2 -> 4x4 bilinear with half-pixel centres', async (t) => {
  // Source coordinates of outputs: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
  // Row 0,4 -> 0 1 3 4; row 8,12 -> 8 9 11 12; rows mix 1, 0.75/0.25, 0.25/0.75, 1.
  const out = resize(image([0, 4, 8, 12], 2, 2), 4, 4);
  t.same([...out.data], [0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
});

t.test('one axis shrinks while the other grows', async (t) => {
  // 2 rows x 4 cols -> 4 rows x 2 cols. Columns: pair means -> [1, 5] and [9, 13]; rows: 1, 0.75/0.25, 0.25/0.75, 1.
  const out = resize(image([0, 2, 4, 6, 8, 10, 12, 14], 4, 2), 4, 2);
  t.same([out.width, out.height], [2, 4]);
  t.same([...out.data], [1, 5, 3, 7, 7, 11, 9, 13]);
});

t.test('same size is the identity, not a blur', async (t) => {
  const img = ramp(3, 2);
  const out = resize(img, 2, 3);
  t.equal(out, img);
  t.same([...out.data], [0, 1, 2, 3, 4, 5]);
});

t.test('channels are resized independently', async (t) => {
  const out = resize(image([0, 0, 0, 2, 20, 200, 4, 40, 400, 6, 60, 600], 2, 2, 3), 1, 1);
  t.same([...out.data], [3, 30, 300]);
});

t.test('area shrinking preserves the mean on random data', async (t) => {
  const r = rng(42);
  const img = image(Array.from({ length: 53 * 37 }, () => r() * 1000 - 500), 53, 37);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  for (const [h, w] of [[10, 7], [37, 20], [1, 1], [13, 53]] as const) {
    near(t, [mean(resize(img, h, w).data)], [mean(img.data)], `${h}x${w}`, 1e-5);
  }
});

t.test("'pad' keeps the aspect ratio: 100x50 into 64x64 is 64x32 with 16 columns each side", async (t) => {
  t.same(fitInside(100, 50, 64, 64), { height: 64, width: 32, top: 0, left: 16 });
  t.same(fitInside(50, 100, 64, 64), { height: 32, width: 64, top: 16, left: 0 });
  const img = image(new Array(100 * 50).fill(7), 50, 100);
  const out = resize(img, 64, 64, { fit: 'pad', padValue: -1 });
  t.same([out.width, out.height], [64, 64]);
  const rowsOk = Array.from({ length: 64 }, (_, y) => {
    const row = [...out.data.subarray(y * 64, (y + 1) * 64)];
    return row.slice(0, 16).every((v) => v === -1) && row.slice(48).every((v) => v === -1) && row.slice(16, 48).every((v) => Math.abs(v - 7) < 1e-5);
  });
  t.ok(rowsOk.every(Boolean), 'every row: 16 pad, 32 content, 16 pad');
});

t.test('pad centres the image', async (t) => {
  t.same([...pad(image([5], 1, 1), 1, 3, 0).data], [0, 5, 0]);
  t.same([...pad(image([1, 2], 2, 1), 3, 2, 9).data], [9, 9, 1, 2, 9, 9]);
  t.throws(() => pad(image([1, 2], 2, 1), 1, 1, 0), RangeError);
});
