import t from 'tap';
import { minMax, percentiles } from '../../src/preprocess/stats.js';
import { near, rng } from './fixtures/build.js';

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

t.test('minMax', async (t) => {
  t.same(minMax(Float32Array.of(3, -1, 2)), { min: -1, max: 3 });
});

t.test('percentiles on 0..99 interpolate linearly at rank p/100*(n-1)', async (t) => {
  // rank 0.99 -> 0.99; rank 98.01 -> 98.01; rank 49.5 -> 49.5
  near(t, percentiles(ramp(100), [1, 99, 50, 0, 100]), [0.99, 98.01, 49.5, 0, 99], 'values');
});

t.test('percentiles on 0..100 hit the values exactly', async (t) => {
  t.same(percentiles(ramp(101), [1, 99]), [1, 99]);
});

t.test('order of the input does not matter; negatives, fractions and duplicates', async (t) => {
  const data = Float32Array.of(3, 0, -1.5, 2.25, -5, 0, 0);
  // sorted: -5, -1.5, 0, 0, 0, 2.25, 3 (n = 7)
  // p=25 -> rank 1.5 -> -1.5 + 0.5*1.5 = -0.75; p=50 -> rank 3 -> 0; p=90 -> rank 5.4 -> 2.25 + 0.4*0.75 = 2.55
  near(t, percentiles(data, [25, 50, 90]), [-0.75, 0, 2.55], 'values');
});

t.test('agrees with sorting on random data with many ties', async (t) => {
  const r = rng(7);
  const data = Float32Array.from({ length: 20011 }, () => (r() < 0.3 ? -1024 : Math.round(r() * 3000 - 1000) + (r() < 0.5 ? 0.25 : 0)));
  const sorted = [...data].sort((a, b) => a - b);
  const ref = (p: number) => {
    const pos = (p / 100) * (sorted.length - 1);
    const k = Math.floor(pos);
    return sorted[k]! + (pos - k) * ((sorted[Math.min(k + 1, sorted.length - 1)] ?? 0) - sorted[k]!);
  };
  const ps = [0, 0.5, 1, 29.99, 30, 50, 99, 99.5, 100];
  near(t, percentiles(data, ps), ps.map(ref), 'matches the sort-based reference', 1e-9);
});

t.test('a constant image and a single value', async (t) => {
  t.same(percentiles(new Float32Array(10).fill(-7), [1, 99]), [-7, -7]);
  t.same(percentiles(Float32Array.of(4), [0, 50, 100]), [4, 4, 4]);
  t.throws(() => percentiles(new Float32Array(0), [50]), RangeError);
  t.throws(() => percentiles(ramp(3), [101]), RangeError);
});

t.test('NaN (float pixel data) is left out of percentiles and minMax', async (t) => {
  const data = Float32Array.of(NaN, 3, 0, NaN, 1, 2, -NaN);
  // without NaN: 0, 1, 2, 3 (n = 4); p=50 -> rank 1.5 -> 1.5; p=100 -> 3
  t.same(percentiles(data, [0, 50, 100]), [0, 1.5, 3]);
  t.same(minMax(data), { min: 0, max: 3 });
  const allNaN = percentiles(Float32Array.of(NaN, NaN), [1, 99]);
  t.ok(allNaN.every((v) => Number.isNaN(v)), 'an image of NaN only has NaN percentiles');
  t.same(percentiles(Float32Array.of(-Infinity, 5, Infinity), [0, 50, 100]), [-Infinity, 5, Infinity], 'infinities are values');
});

t.test('minMax skips ±Infinity as it skips NaN: one infinite float pixel does not make the window infinite', async (t) => {
  t.same(minMax(Float32Array.of(2, Infinity, -1, -Infinity, NaN, 5)), { min: -1, max: 5 });
});
