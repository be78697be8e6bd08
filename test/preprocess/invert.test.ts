import t from 'tap';
import { invert } from '../../src/preprocess/invert.js';
import { image } from './fixtures/build.js';

t.test('after VOI the range is [0, 1]: 1 - x', async (t) => {
  t.same([...invert(image([0, 0.25, 1], 3, 1), 0, 1).data], [1, 0.75, 0]);
});

t.test('a modality range reflects onto itself: (lo + hi) - x', async (t) => {
  // lo + hi = -1024 + 3071 = 2047
  t.same([...invert(image([-1024, 0, 3071], 3, 1), -1024, 3071).data], [3071, 2047, -1024]);
});

t.test('in place', async (t) => {
  const img = image([0, 1], 2, 1);
  invert(img, 0, 1, img.data);
  t.same([...img.data], [1, 0]);
});
