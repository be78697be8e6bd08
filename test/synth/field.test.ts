import t from 'tap';
import { smoothField, smoothFieldRows } from '../../src/synth/field.js';
import { createRandom } from '../../src/synth/random.js';

// (tap's deep comparison is very slow on long typed arrays.)
const equalArrays = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

t.test('a smooth field is bounded, smooth and deterministic', async (t) => {
  const f = smoothField(300, 200, 6, createRandom(4));
  t.equal(f.length, 300 * 200);
  let lo = Infinity;
  let hi = -Infinity;
  let step = 0;
  for (let y = 0; y < 200; y++) {
    for (let x = 0; x < 300; x++) {
      const v = f[y * 300 + x]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      if (x > 0) step = Math.max(step, Math.abs(v - f[y * 300 + x - 1]!));
      if (y > 0) step = Math.max(step, Math.abs(v - f[(y - 1) * 300 + x]!));
    }
  }
  t.ok(lo >= -1 && hi <= 1, `values in [-1, 1]: ${lo}..${hi}`);
  t.ok(hi - lo > 0.8, `the field varies (${lo}..${hi})`);
  // A cell is 50 pixels; smoothstep's steepest slope is 1.5 per cell, over a range of at most 2.
  t.ok(step < 0.07, `neighbouring pixels differ by at most ${step}`);
  t.ok(equalArrays(smoothField(300, 200, 6, createRandom(4)), f), 'same seed, same field');
  t.notOk(equalArrays(smoothField(300, 200, 6, createRandom(5)), f), 'other seed, other field');
});

t.test('rows can be asked for in any order and match the whole field', async (t) => {
  const whole = smoothField(64, 48, 5, createRandom(8));
  const rows = smoothFieldRows(64, 48, 5, createRandom(8));
  const row = new Float32Array(64);
  for (const y of [47, 0, 23, 5]) {
    rows(y, row);
    t.ok(equalArrays(row, whole.subarray(y * 64, y * 64 + 64)), `row ${y}`);
  }
});
