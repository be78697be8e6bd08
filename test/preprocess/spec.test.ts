import t from 'tap';
import { ConfigError } from '../../src/errors.js';
import { validateSpec } from '../../src/preprocess/spec.js';
import type { PreprocessSpec } from '../../src/preprocess/types.js';

const base: PreprocessSpec = {
  target: { height: 64, width: 64 },
  resize: 'stretch',
  padValue: 0,
  channels: 1,
  modalityLut: true,
  voi: { mode: 'minmax' },
  invertMonochrome1: true,
  output: 'float32',
};

function messageOf(spec: PreprocessSpec): string {
  try {
    validateSpec(spec);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '(no error)';
}

t.test('a valid spec passes', async (t) => {
  t.equal(messageOf(base), '(no error)');
  t.equal(messageOf({ ...base, target: null, output: 'uint8', voi: { mode: 'preset', name: 'bone' } }), '(no error)');
});

t.test('messages name the field, the value and what was expected', async (t) => {
  t.equal(messageOf({ ...base, target: { height: 0, width: 64 } }), 'target.height must be a positive integer (got 0)');
  t.equal(messageOf({ ...base, target: { height: 64, width: 1.5 } }), 'target.width must be a positive integer (got 1.5)');
  t.equal(messageOf({ ...base, channels: 2 as 1 }), 'channels must be 1 or 3 (got 2)');
  t.equal(messageOf({ ...base, resize: 'crop' as 'pad' }), 'resize must be "stretch" or "pad" (got "crop")');
  t.equal(messageOf({ ...base, padValue: NaN }), 'padValue must be a finite number (got NaN)');
  t.equal(messageOf({ ...base, voi: { mode: 'window', center: 40, width: 0 } }), 'voi.width must be a number of at least 1 (got 0)');
  t.equal(messageOf({ ...base, voi: { mode: 'percentile', low: 2, high: 2 } }), 'voi.low and voi.high must satisfy 0 <= low < high <= 100 (got low 2, high 2)');
  t.match(messageOf({ ...base, voi: { mode: 'preset', name: 'chest' } }), /^voi.name must be one of lung, /);
  t.equal(messageOf({ ...base, voi: { mode: 'gamma' } as never }), 'voi.mode must be one of window, preset, file, percentile, minmax, none (got "gamma")');
});

t.test('uint8 output needs a VOI to [0, 1]', async (t) => {
  t.equal(messageOf({ ...base, output: 'uint8', voi: { mode: 'none' } }), 'output "uint8" needs a voi that maps to [0, 1] (got voi.mode "none")');
});

t.test('presets and file windows need modality values', async (t) => {
  t.equal(messageOf({ ...base, modalityLut: false, voi: { mode: 'preset', name: 'lung' } }), 'modalityLut must be true with voi.mode "preset": its window is in modality units (HU for CT)');
  t.equal(messageOf({ ...base, modalityLut: false, voi: { mode: 'window', center: 40, width: 400 } }), '(no error)');
});
