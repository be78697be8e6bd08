import t from 'tap';
import { insideEllipse, paintEllipse, type Canvas } from '../../src/synth/raster.js';

const canvas = (w: number, h: number, fill = 0): Canvas => ({ data: new Float32Array(w * h).fill(fill), width: w, height: h });
const sum = (c: Canvas) => c.data.reduce((a, b) => a + b, 0);

t.test('an added ellipse contributes its area times its value', async (t) => {
  for (const [rx, ry, angle] of [
    [20, 20, 0],
    [30, 12, 0.7],
    [3, 3, 0],
  ] as const) {
    const c = canvas(100, 100);
    paintEllipse(c, { cx: 50.3, cy: 49.6, rx, ry, angle }, 2, 'add');
    const area = Math.PI * rx * ry;
    t.ok(Math.abs(sum(c) / 2 - area) / area < 0.02, `${rx}x${ry}: painted area ${(sum(c) / 2).toFixed(1)} vs ${area.toFixed(1)}`);
  }
});

t.test('set replaces inside, leaves outside alone, and blends over about one pixel', async (t) => {
  const c = canvas(64, 64, -1000);
  paintEllipse(c, { cx: 32, cy: 32, rx: 10, ry: 10 }, 40, 'set');
  t.equal(c.data[32 * 64 + 32], 40, 'centre');
  t.equal(c.data[32 * 64 + 32 + 8], 40, 'well inside');
  t.equal(c.data[32 * 64 + 32 + 12], -1000, 'well outside');
  t.equal(c.data[0], -1000, 'corner');
  // Along the row through the centre, only the pixels straddling the rim take in-between values.
  const partial = Array.from(c.data.subarray(32 * 64, 33 * 64)).filter((v) => v > -1000 && v < 40);
  t.ok(partial.length <= 2, `${partial.length} partial pixels on the centre row`);
});

t.test('insideEllipse honours rotation', async (t) => {
  const e = { cx: 0, cy: 0, rx: 10, ry: 2, angle: Math.PI / 2 };
  t.ok(insideEllipse(e, 0, 9), 'along the rotated long axis');
  t.notOk(insideEllipse(e, 9, 0), 'across it');
});
