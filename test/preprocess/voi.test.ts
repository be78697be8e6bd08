import t from 'tap';
import { ConfigError } from '../../src/errors.js';
import { applyVoi, applyWindow, presetWindow, scaleRange, WINDOW_PRESETS } from '../../src/preprocess/voi.js';
import { description, image, near } from './fixtures/build.js';

const row = (values: number[]) => image(values, values.length, 1);

t.test('DICOM linear window edges, c=40 w=400', async (t) => {
  // lower edge c - 0.5 - (w-1)/2 = -160 -> 0; -159 -> (-159 - 39.5)/399 + 0.5 = 1/399;
  // centre 40 -> 0.5/399 + 0.5; top edge c - 0.5 + (w-1)/2 = 239 -> 199.5/399 + 0.5 = 1; 240 -> 1.
  const out = applyWindow(row([-161, -160, -159, 40, 238, 239, 240]), { center: 40, width: 400 });
  near(t, out.data, [0, 0, 1 / 399, 0.5 + 0.5 / 399, 1 - 1 / 399, 1, 1], 'window values');
  t.equal(out.data[1], 0, 'lower edge is exactly 0');
  t.equal(out.data[5], 1, 'top edge is exactly 1');
});

t.test('width 1 is a threshold at c - 0.5', async (t) => {
  t.same([...applyWindow(row([9, 9.5, 10]), { center: 10, width: 1 }).data], [0, 0, 1]);
});

t.test('width below 1 is a ConfigError', async (t) => {
  const err = t.throws(() => applyWindow(row([0]), { center: 0, width: 0.5 })) as ConfigError;
  t.ok(err instanceof ConfigError);
  t.equal(err.message, 'voi.width must be a number of at least 1 (got 0.5)');
});

t.test('presets: the table and a lung window', async (t) => {
  t.same(WINDOW_PRESETS, {
    lung: { center: -600, width: 1500 },
    mediastinum: { center: 50, width: 350 },
    abdomen: { center: 40, width: 400 },
    brain: { center: 40, width: 80 },
    bone: { center: 400, width: 1800 },
    liver: { center: 60, width: 160 },
  });
  t.same(presetWindow('brain'), { center: 40, width: 80 });
  // lung edges: -600.5 -/+ 749.5 = -1350 and 149
  const out = applyVoi(row([-1350, -600, 149]), { mode: 'preset', name: 'lung' }, description());
  near(t, out.data, [0, 0.5 / 1499 + 0.5, 1], 'lung window');
});

t.test('an unknown preset names the known ones', async (t) => {
  const err = t.throws(() => presetWindow('lungs')) as ConfigError;
  t.ok(err instanceof ConfigError);
  t.equal(err.message, 'voi.name must be one of lung, mediastinum, abdomen, brain, bone, liver (got "lungs")');
  t.equal(err.where.field, 'voi.name');
  t.throws(() => presetWindow('toString'), ConfigError, 'inherited properties are not presets');
});

t.test("'file' uses the file's window", async (t) => {
  const out = applyVoi(row([-160, 239]), { mode: 'file' }, description({ windowCenter: 40, windowWidth: 400 }));
  t.same([...out.data], [0, 1]);
});

t.test("'file' falls back to minmax by default, or to 1st/99th percentiles", async (t) => {
  t.same([...applyVoi(row([10, 20, 30]), { mode: 'file' }, description()).data], [0, 0.5, 1]);
  // a width the standard forbids counts as absent
  t.same([...applyVoi(row([10, 20, 30]), { mode: 'file' }, description({ windowCenter: 20, windowWidth: 0 })).data], [0, 0.5, 1]);
  // 0..99: p1 = 0.99, p99 = 98.01
  const ramp = image(Array.from({ length: 100 }, (_, i) => i), 100, 1);
  const out = applyVoi(ramp, { mode: 'file', fallback: 'percentile' }, description());
  near(t, [out.data[0]!, out.data[50]!, out.data[99]!], [0, (50 - 0.99) / (98.01 - 0.99), 1], 'percentile fallback');
});

t.test('percentile 1/99 on 0..99', async (t) => {
  const ramp = image(Array.from({ length: 100 }, (_, i) => i), 10, 10);
  const out = applyVoi(ramp, { mode: 'percentile', low: 1, high: 99 }, description());
  // [0.99, 98.01] -> [0, 1]: 0 clips to 0, 1 -> 0.01/97.02, 50 -> 49.01/97.02, 98 -> 97.01/97.02, 99 clips to 1
  near(t, [0, 1, 50, 98, 99].map((i) => out.data[i]!), [0, 0.01 / 97.02, 49.01 / 97.02, 97.01 / 97.02, 1], 'values');
  t.throws(() => applyVoi(ramp, { mode: 'percentile', low: 99, high: 1 }, description()), ConfigError);
});

t.test('minmax, and minmax over all channels of a color image', async (t) => {
  t.same([...applyVoi(row([10, 20, 30]), { mode: 'minmax' }, description()).data], [0, 0.5, 1]);
  const rgb = image([0, 50, 100, 200, 100, 0], 2, 1, 3);
  t.same([...applyVoi(rgb, { mode: 'minmax' }, description()).data], [0, 0.25, 0.5, 1, 0.5, 0]);
});

t.test('a constant image maps to 0, never NaN', async (t) => {
  const flat = row([5, 5, 5]);
  for (const voi of [{ mode: 'minmax' }, { mode: 'percentile', low: 1, high: 99 }, { mode: 'file' }] as const) {
    t.same([...applyVoi(flat, voi, description()).data], [0, 0, 0], voi.mode);
  }
});

t.test("'none' is the identity, without clipping", async (t) => {
  t.same([...applyVoi(row([-1024, 0.5, 3071]), { mode: 'none' }, description()).data], [-1024, 0.5, 3071]);
});

t.test('scaleRange clips and works in place', async (t) => {
  const img = row([-50, 50, 300]);
  const out = scaleRange(img, 0, 200, img.data);
  t.equal(out.data, img.data);
  t.same([...img.data], [0, 0.25, 1]);
});
