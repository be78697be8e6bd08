import t from 'tap';
import { convGeometry } from '../../../src/train/wasm-kernels/geometry.js';

t.test('convGeometry: the exact padding reaches the last row a window reads', async (t) => {
  const base = { kernelName: 'K', filterShape: [3, 3, 1, 1], dilations: 1, depthwise: false };
  t.equal(convGeometry({ ...base, xShape: [1, 5, 5, 1], strides: 2, pad: 'valid' }).exactBottom, 0);
  t.equal(convGeometry({ ...base, xShape: [1, 6, 6, 1], strides: 2, pad: 'valid' }).exactBottom, -1, 'the 6th row is never read');
  // 'same', 128 rows, stride 2: 64 outputs, tfjs pads 0 on top and 1 below.
  t.equal(convGeometry({ ...base, xShape: [1, 128, 128, 1], strides: 2, pad: 'same' }).exactBottom, 1);
  // pad 1 with ceil rounding: 4 outputs over 6 + 2 rows, the last window needs row 9.
  t.equal(convGeometry({ ...base, xShape: [1, 6, 6, 1], strides: 2, pad: 1, dimRoundingMode: 'ceil' }).exactBottom, 2);
  t.throws(() => convGeometry({ ...base, xShape: [1, 6, 6], strides: 1, pad: 'same' }), { message: 'K: x must be rank 4 (got shape [1, 6, 6])' });
});
